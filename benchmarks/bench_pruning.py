"""`pruning_curve` with the CNN + projection output computed once per clip vs the whole model re-run per amount.

A pruning curve evaluates the model with 0, 1, ..., L-1 blocks removed. Removing transformer blocks changes
nothing in front of them, so `pruning_curve(..., reuse_projection=True)` (the default) runs the CNN feature encoder
and the feature projection once per clip and only the encoder + head for each amount; `reuse_projection=False`
runs the whole model for every amount (the baseline). Both must give identical predictions; the script checks it.

Two cases, one order (all L amounts), timed in this process:

- demo: the demo teacher of `redundancy_nb.finetune` (12 blocks, width 64; trained once and cached, ~4 min the
  first time) on the synthetic Speech Commands test set (200 one-second clips);
- base: a full-size random wav2vec2-base (`Wav2Vec2Config()` defaults: 12 blocks of width 768, the 7-layer
  512-channel CNN; a 10-class head, layerdrop 0) on `--clips` one-second clips, where the CNN is a large share of
  a forward pass.

Times include loading the clips, the forwards and the bootstrap (`--n-boot`, negligible); each is the minimum of
`--repeats` runs after one untimed warm-up forward.

    python benchmarks/bench_pruning.py                    # CPU, 1 thread, 8 clips for the full-size model
    python benchmarks/bench_pruning.py --device cuda --clips 64 --repeats 3
"""
import argparse, math, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's package, installed or not


def sine_clips(n, seed=0):
    "n one-second clips of three random sines plus noise, labelled 0..9 in turn."
    import torch
    g = torch.Generator().manual_seed(seed)
    freqs = 100 + 900 * torch.rand(n, 3, 1, generator=g)
    t = torch.arange(16_000) / 16_000
    waves = 0.3 * torch.sin(2 * math.pi * freqs * t).sum(1) + 0.05 * torch.randn(n, 16_000, generator=g)
    return [{"input_values": w, "label": i % 10} for i, w in enumerate(waves)]


def time_curve(model, dataset, order, reuse, args):
    "Minimum time of `--repeats` pruning curves, and the last curve."
    from redundancy_nb.pruning import pruning_curve
    times, curve = [], None
    for _ in range(args.repeats):
        if args.device.startswith("cuda"): __import__("torch").cuda.synchronize()
        t0 = time.perf_counter()
        curve = pruning_curve(model, dataset, order, reuse_projection=reuse, n_boot=args.n_boot, batch_size=args.batch_size,
                              progress=False)
        if args.device.startswith("cuda"): __import__("torch").cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return min(times), curve


def run_case(name, model, dataset, args):
    import numpy as np, torch
    from redundancy_nb.models import encoder_layers
    model = model.to(args.device).eval()
    with torch.inference_mode(): model(dataset[0]["input_values"][None].to(args.device))   # warm-up
    L = len(encoder_layers(model))
    reused, curve = time_curve(model, dataset, args.order, True, args)
    full, baseline = time_curve(model, dataset, args.order, False, args)
    if not np.array_equal(curve.predictions, baseline.predictions): raise AssertionError(f"{name}: predictions differ")
    params = sum(p.numel() for p in model.parameters())
    print(f"{name}: {params / 1e6:.2f} M parameters, {L} blocks, {len(dataset)} clips, order {args.order!r} ({L} amounts)")
    print(f"  re-run the whole model per amount: {full:8.2f} s")
    print(f"  CNN + projection once per clip:    {reused:8.2f} s")
    print(f"  ratio: {full / reused:.2f}x   (identical predictions)")
    return full / reused


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: torch's default)")
    p.add_argument("--clips", type=int, default=8, help="clips for the full-size model")
    p.add_argument("--order", default="backward", help="prune order (a method by position: no scores needed)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--n-boot", type=int, default=100)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--cases", nargs="+", default=["demo", "base"], choices=["demo", "base"])
    args = p.parse_args()
    import torch, transformers
    if args.threads: torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    print(f"torch {torch.__version__}, {args.device}" + (f", {torch.get_num_threads()} thread(s)" if args.device == "cpu" else
                                                       f" ({torch.cuda.get_device_name()})"))
    if "demo" in args.cases:
        from redundancy_nb.data import SpeechCommands
        from redundancy_nb.finetune import demo_data, demo_teacher
        from redundancy_nb.models import load_model
        test_set = SpeechCommands(demo_data(progress=False), "testing")
        run_case("demo teacher", load_model(demo_teacher(progress=False)), test_set, args)
    if "base" in args.cases:
        from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification
        torch.manual_seed(0)
        model = Wav2Vec2ForSequenceClassification(Wav2Vec2Config(num_labels=10, layerdrop=0.0))
        run_case("wav2vec2-base config (random)", model, sine_clips(args.clips), args)


if __name__ == "__main__":
    main()
