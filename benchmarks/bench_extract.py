"""`extract_features` vs a naive loop on a full-size random wav2vec2-base (12 blocks, d=768).

Both produce the same thing: every block's output for N one-second clips, flattened over time, as a float32
[12, N, 49*768] tensor on the CPU.

- naive: one clip at a time, `model(clip, output_hidden_states=True)` under `torch.no_grad()`, copying every hidden
  state to the CPU, then stacking them (hidden state 0, the encoder input, is dropped from the result).
- extract_features: batches of `--batch-size` clips, forward hooks on the blocks, `torch.inference_mode()`,
  optionally under bf16 autocast.

Each method runs in its own fresh Python process, so its peak memory is its own: peak RSS is `ru_maxrss` of that
process (model weights, libraries and all), "+RSS" is the rise of that peak during the timed extraction, and on a
GPU the peak of `torch.cuda.max_memory_allocated` during it. Warm-up: on a CPU one one-clip forward; on a GPU one
full untimed run of the method itself (cuDNN picks its algorithms per shape on first use, autocast kernels load).
The time is the median of `--repeats` runs (default 3 on a GPU, 1 on a CPU) and includes moving clips to the device
and the result back. The naive result is kept on disk and
the others are compared with it (max |difference| relative to max |naive|).

    python benchmarks/bench_extract.py                 # CUDA if available, else CPU with --threads 1
    python benchmarks/bench_extract.py --device cpu --threads 2 --clips 64 --batch-size 32
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def _maxrss_mb() -> float: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux: KiB

def worker(args):
    "Time one method in this (fresh) process and print its numbers as JSON."
    import torch
    if args.threads: torch.set_num_threads(args.threads)
    from transformers import Wav2Vec2Config, Wav2Vec2Model
    from safetensors.torch import load_file, save_file
    sys.path.insert(0, str(ROOT))
    from redundancy_nb.models import extract_features
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    torch.manual_seed(0)
    model = Wav2Vec2Model(Wav2Vec2Config()).eval().to(device)
    clips = torch.randn(args.clips, 16_000, generator=torch.Generator().manual_seed(1))
    def naive():
        states = []
        with torch.no_grad():
            for clip in clips:
                out = model(clip[None].to(device), output_hidden_states=True)
                states.append([h.cpu().clone() for h in out.hidden_states])
        return torch.stack([torch.cat([s[k] for s in states]).flatten(1) for k in range(1, len(states[0]))])
    def batched():
        return extract_features(model, clips, pool="flatten", batch_size=args.batch_size, device=device,
                                dtype=None if args.method == "extract" else "bf16", progress=False)
    method = naive if args.method == "naive" else batched
    if cuda: method()
    else:
        with torch.no_grad(): model(clips[:1])
    sync()
    rss_before = _maxrss_mb()
    if cuda: torch.cuda.reset_peak_memory_stats(); gpu_before = torch.cuda.memory_allocated()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        features = method()
        sync()
        times.append(time.perf_counter() - start)
    seconds = sorted(times)[len(times) // 2]
    res = dict(method=args.method, seconds=seconds, times=times, shape=list(features.shape), peak_rss_mb=_maxrss_mb(),
               rss_rise_mb=_maxrss_mb() - rss_before, threads=torch.get_num_threads())
    if cuda: res["gpu_peak_mb"] = (torch.cuda.max_memory_allocated() - gpu_before) / 2**20
    ref = Path(args.ref)
    if args.method == "naive": save_file({"f": features.contiguous()}, ref)
    else:
        naive = load_file(ref)["f"]
        res["max_rel_diff"] = ((features - naive).abs().max() / naive.abs().max()).item()
    print("RESULT " + json.dumps(res))

def run(method, args, ref):
    cmd = [sys.executable, __file__, "--worker", method, "--ref", str(ref), "--device", args.device, "--clips", str(args.clips),
           "--batch-size", str(args.batch_size), "--threads", str(args.threads), "--repeats", str(args.repeats)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if args.threads: env |= {"OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode: sys.exit(f"{method} failed:\n{out.stderr[-3000:]}")
    return json.loads(next(l for l in out.stdout.splitlines() if l.startswith("RESULT "))[7:])

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default=None, help="cuda or cpu (default: cuda if available)")
    p.add_argument("--clips", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: 1 on CPU, torch's default on GPU)")
    p.add_argument("--repeats", type=int, default=None, help="timed runs per method, median reported (default: 3 on GPU, 1 on CPU)")
    p.add_argument("--methods", default="naive,extract,extract-bf16")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--ref", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        args.method = args.worker
        return worker(args)
    if args.device is None:
        import torch
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.threads is None: args.threads = 1 if args.device == "cpu" else 0
    if args.repeats is None: args.repeats = 1 if args.device == "cpu" else 3
    methods = args.methods.split(",")
    if methods[0] != "naive": sys.exit("--methods must start with naive (the baseline)")
    with tempfile.TemporaryDirectory() as tmp:
        results = [run(m, args, Path(tmp) / "naive.safetensors") for m in methods]
    base = results[0]["seconds"]
    print(f"wav2vec2-base config (random weights), {args.clips} one-second clips, device={args.device}, "
          f"threads={results[0]['threads']}, batch_size={args.batch_size}, median of {args.repeats} run(s), "
          f"result {results[0]['shape']} float32")
    gpu = "gpu_peak_mb" in results[0]
    print(f"{'method':<14}{'seconds':>9}{'clips/s':>9}{'speed-up':>10}{'peak RSS MB':>13}{'+RSS MB':>9}"
          + (f"{'GPU peak MB':>13}" if gpu else "") + f"{'max rel diff':>14}")
    for r in results:
        print(f"{r['method']:<14}{r['seconds']:>9.2f}{args.clips / r['seconds']:>9.1f}{base / r['seconds']:>9.2f}x"
              f"{r['peak_rss_mb']:>13.0f}{r['rss_rise_mb']:>9.0f}" + (f"{r['gpu_peak_mb']:>13.0f}" if gpu else "")
              + f"{r.get('max_rel_diff', 0.0):>14.1e}")

if __name__ == "__main__": main()
