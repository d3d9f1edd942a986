"""Benchmark of training a grid of mimicking networks one at a time against `workers` at once (prints numbers; not a test).

Teacher: the demo teacher's architecture (`DEMO_TEACHER`: 12 blocks of width 64) with random weights, and random
cached features of the demo's size (1,600 training and 200 validation clips of 49 frames), since training time does not
depend on the values. Grid: linear and transformer mimic layers, N = 1 and 2, z = 32 and 256, mimickers and
non-mimickers (the demo's 16 networks without head only), with a short schedule (`--mimic-epochs`, `--adapt-epochs`).

Baseline: `distill_grid(..., workers=1)`, the networks one after the other with all of torch's CPU threads. Then
`workers=W`: W processes, each with threads / W threads. The small matrices of these networks do not split well over
threads, so W processes use the cores better. Both runs train the same networks from the same seeds.

    python benchmarks/bench_distill.py                 # 2 workers
    python benchmarks/bench_distill.py --workers 4 --threads 4
"""
import argparse, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's package, installed or not


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("--workers", type=int, default=2, help="processes of the parallel run (default: 2)")
    a.add_argument("--threads", type=int, default=None, help="torch CPU threads of the parent (default: torch's default)")
    a.add_argument("--mimic-epochs", type=int, default=3, help="step 1 epochs per mimicker (default: 3)")
    a.add_argument("--adapt-epochs", type=int, default=2, help="step 2 epochs per network (default: 2)")
    args = a.parse_args()

    import torch
    from transformers import Wav2Vec2ForSequenceClassification
    from redundancy_nb.models import tiny_config
    from redundancy_nb.finetune import DEMO_TEACHER
    from redundancy_nb.distill import DistillFeatures, distill_grid, mimicker_grid

    if args.threads: torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    config = tiny_config("wav2vec2", **DEMO_TEACHER); config.num_labels = 10
    teacher = Wav2Vec2ForSequenceClassification(config).eval()
    def features(n):
        h = torch.randn(n, 49, 64)
        return DistillFeatures(h, {5: torch.randn_like(h), 11: torch.randn_like(h)}, torch.randint(0, 10, (n,)))
    train, valid = features(1600), features(200)
    grid = mimicker_grid(["linear", "transformer"], [1, 2], [32, 256])
    common = dict(grid=grid, networks=["mimicker", "non_mimicker"], preset="demo", targets=(5, 11), progress=False,
                  mimic_epochs=args.mimic_epochs, adapt_epochs=args.adapt_epochs)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; {2 * len(grid)} networks, "
          f"{args.mimic_epochs} + {args.adapt_epochs} epochs on {len(train)} clips")
    seconds = {}
    for workers in (1, args.workers):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            results = distill_grid(teacher, train, valid, valid, tmp, workers=workers, **common)
            seconds[workers] = time.perf_counter() - t0
        threads = max(1, torch.get_num_threads() // workers)
        print(f"workers {workers} ({threads} thread{'s' * (threads > 1)} each): {seconds[workers]:7.1f} s for {len(results)} networks")
    print(f"speed-up of {args.workers} workers: {seconds[1] / seconds[args.workers]:.2f}x")


if __name__ == "__main__": main()
