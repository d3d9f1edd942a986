"""Benchmark of mimicking networks against their teacher at full size (prints numbers; not a test).

Teacher: a randomly initialised wav2vec2-base (`Wav2Vec2Config()` defaults: 12 blocks, d = 768, feed-forward 3072)
with a 35-class head (projector 256), as the paper's Speech Commands teachers. Students built from it:

* `linear N=1 z=768`      -- one linear mimic layer of hidden width 768;
* `transformer N=1 z=768` -- one `nn.TransformerEncoderLayer` (8 heads, feed-forward 768);
* `head only`             -- no mimic layer: the floor set by the CNN front end every network keeps.

For each: the parameters that run at inference (`count_parameters`) and the per-clip latency at batch size 1 on one
second of random audio, after a warm-up, measured interleaved with the teacher in one process
(`relative_inference_time`: round robin, the start rotating every repetition) and normalised by the teacher's time
repetition by repetition (mean ± SEM of the ratios). Random weights time like trained ones. The paper reports
normalised times of about 0.13-0.15 for these mimickers on a GPU.

    python benchmarks/bench_efficiency.py                      # this machine's CPU, torch's default threads
    python benchmarks/bench_efficiency.py --threads 1 --n-runs 30   # steadier on a shared (oversubscribed) CPU
    python benchmarks/bench_efficiency.py --device cuda --n-runs 100
"""
import argparse, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's package, installed or not


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda if available, else cpu)")
    a.add_argument("--n-runs", type=int, default=20, help="interleaved repetitions (each times every model once)")
    a.add_argument("--warmup", type=int, default=3, help="untimed forwards per model first")
    a.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's default)")
    args = a.parse_args()

    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification
    from redundancy_nb.distill import MimickingNetwork, head_only
    from redundancy_nb.efficiency import count_parameters, relative_inference_time

    if args.threads: torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    teacher = Wav2Vec2ForSequenceClassification(Wav2Vec2Config(num_labels=35, layerdrop=0.0)).eval()
    models = {"teacher (wav2vec2-base)": teacher,
              "linear N=1 z=768": MimickingNetwork(teacher, "linear", n_layers=1, hidden=768),
              "transformer N=1 z=768": MimickingNetwork(teacher, "transformer", n_layers=1, hidden=768),
              "head only": head_only(teacher)}
    t0 = time.perf_counter()
    rel = relative_inference_time(models, n_runs=args.n_runs, warmup=args.warmup, device=args.device)
    seconds = time.perf_counter() - t0
    teacher_params = count_parameters(teacher)
    print(f"device {rel.attrs['device']}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads; batch 1, 1 s of audio "
          f"(16,000 samples); {args.n_runs} interleaved repetitions after {args.warmup} warm-up forwards ({seconds:.0f} s)")
    print(f"{'network':<26}{'parameters':>14}{'share':>9}{'ms per clip':>18}{'time / teacher':>20}")
    for name, m in models.items():
        p, r = count_parameters(m), rel.loc[name]
        print(f"{name:<26}{p:>14,}{100 * p / teacher_params:>8.1f}%{r.time_ms:>11.1f} ± {r.time_sem_ms:<5.1f}"
              f"{r.relative_time:>13.3f} ± {r.relative_time_sem:.3f}")


if __name__ == "__main__": main()
