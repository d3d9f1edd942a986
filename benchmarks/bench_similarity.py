"""Benchmark of `redundancy_nb.similarity` in the paper's protocol (prints ratios; not a test).

Features shaped like wav2vec2-large: L = 24 blocks, n = 128 clips, D = 49 * 1024 flattened values (float32, with a
planted 18 + 6 block structure). For each metric the full L x L matrix is computed by

* `ours`      -- `layer_similarity` (each layer's statistics once, all pairs by one matrix product, float64 sums);
* `per-pair`  -- `pair_similarity` for every pair i < j, each pair from the raw features (numpy float64, as the
                 paper's code loops over pairs);
* `pytorch-cka` -- `cka.cka_from_features` from the PyPI package `pytorch-cka`, if it is installed (it implements
                 the unbiased estimator only and clips to [0, 1]), compared with our `estimator="unbiased"`.

Every method and metric runs in a fresh subprocess that regenerates the same features; its peak resident memory
*above* the features is measured by resetting the kernel's high-water mark (/proc/self/clear_refs) before the method and reading
VmHWM after it. Finally the streaming CKA's throughput on N = 10,000 mean-pooled clips (d = 1024) in batches of 128.

    python benchmarks/bench_similarity.py                  # everything, 1 thread, CPU
    python benchmarks/bench_similarity.py --device cuda --methods ours pytorch-cka stream
"""
import argparse, json, math, os, subprocess, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's package, installed or not

METRICS = {"cosine": dict(metric="cosine"), "cka": dict(metric="cka"),
           "cka-unbiased": dict(metric="cka", estimator="unbiased"), "mutual_knn": dict(metric="mutual_knn", k=8)}


def make_features(L, n, D, seed=0, device="cpu"):
    "float32 [L, n, D] built layer by layer (no float64 copy): a rank-16 state that drifts, jumps at 3/4 depth."
    import torch
    g = torch.Generator().manual_seed(seed)
    rank = 16
    readout = torch.randn(rank, D, generator=g) / math.sqrt(rank)
    feats = torch.empty(L, n, D)
    state = torch.randn(n, rank, generator=g)
    for l in range(L):
        if l == (3 * L) // 4: state = math.sqrt(0.2) * state + math.sqrt(0.8) * torch.randn(n, rank, generator=g)
        state = math.sqrt(0.97) * state + math.sqrt(0.03) * torch.randn(n, rank, generator=g)
        torch.mm(state, readout, out=feats[l])
        feats[l].add_(torch.randn(n, D, generator=g), alpha=0.5)
    return feats.to(device)


def rss_mb(field="VmRSS"):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"): return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak():
    try: Path("/proc/self/clear_refs").write_text("5")
    except OSError: pass


def sync(device):
    import torch
    if device.startswith("cuda"): torch.cuda.synchronize()


def worker(args):
    "Run one method on freshly generated features; write times, memory and matrices to args.out."
    import torch
    torch.set_num_threads(args.threads)
    from redundancy_nb.similarity import layer_similarity, pair_similarity, streaming_cka
    result = {}
    if args.method == "stream":
        feats = make_features(args.L, args.stream_clips, args.d, seed=1, device=args.device)  # mean-pooled: [L, N, d]
        before = rss_mb(); reset_peak()
        if args.device.startswith("cuda"): torch.cuda.reset_peak_memory_stats()
        streaming_cka(feats[:, :4 * args.n], batch_size=args.n, progress=False)  # warm-up
        sync(args.device); t = time.perf_counter()
        m = streaming_cka(feats, batch_size=args.n, progress=False)
        sync(args.device); seconds = time.perf_counter() - t
        result["stream"] = dict(seconds=seconds, clips=m.n_clips, batches=m.n_batches, extra_mb=rss_mb("VmHWM") - before,
                                gpu_mb=torch.cuda.max_memory_allocated() / 2**20 if args.device.startswith("cuda") else None)
        Path(args.out).write_text(json.dumps(result))
        return
    feats = make_features(args.L, args.n, args.T * args.d, seed=0, device=args.device)
    matrices = {}
    if args.method == "pytorch-cka":
        from cka import cka_from_features
    for name in args.metrics:
        opts = dict(METRICS[name]); metric = opts.pop("metric")
        if args.method == "pytorch-cka":
            if name != "cka-unbiased": continue
            x = feats.double() if args.pcka_float64 else feats
            run = lambda: cka_from_features(x, x)
        elif args.method == "ours":
            run = lambda: layer_similarity(feats, metric, **opts).values
        else:
            def run():
                L, pairs = args.L, [(i, j) for i in range(args.L) for j in range(i + 1, args.L)][:args.baseline_pairs]
                out = torch.eye(L, dtype=torch.float64)
                for i, j in pairs: out[i, j] = out[j, i] = pair_similarity(feats[i], feats[j], metric, **opts)
                return out
        repeats = 1 if args.method == "per-pair" else args.repeat
        if args.device.startswith("cuda"): run(); sync(args.device)  # warm-up (kernels, cuBLAS)
        times, extra = [], []
        for _ in range(repeats):
            before = rss_mb(); reset_peak()
            if args.device.startswith("cuda"): torch.cuda.reset_peak_memory_stats()
            sync(args.device); t = time.perf_counter()
            values = run()
            sync(args.device); times.append(time.perf_counter() - t)
            extra.append(rss_mb("VmHWM") - before)
        result[name] = dict(seconds=min(times), extra_mb=max(extra),
                            gpu_mb=torch.cuda.max_memory_allocated() / 2**20 if args.device.startswith("cuda") else None)
        matrices[name] = values.detach().double().cpu()
    torch.save(matrices, args.out + ".pt")
    Path(args.out).write_text(json.dumps(result))


def spawn(args, method, metrics=None, **extra):
    "Run `method` in a fresh interpreter (one BLAS thread per process unless --threads) and return its report."
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "result.json")
        cmd = [sys.executable, __file__, "--worker", "--method", method, "--out", out, "--device", args.device,
               "--L", str(args.L), "--n", str(args.n), "--T", str(args.T), "--d", str(args.d),
               "--threads", str(args.threads), "--repeat", str(args.repeat), "--stream-clips", str(args.stream_clips),
               "--baseline-pairs", str(args.baseline_pairs), "--metrics", *(metrics or args.metrics)]
        if extra.get("pcka_float64"): cmd.append("--pcka-float64")
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "OPENBLAS_NUM_THREADS": str(args.threads),
               "MKL_NUM_THREADS": str(args.threads)}
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode:
            print(f"[{method}] failed:\n{proc.stderr[-2000:]}")
            return None, None
        import torch
        mats = torch.load(out + ".pt") if Path(out + ".pt").exists() else None
        return json.loads(Path(out).read_text()), mats


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--L", type=int, default=24); p.add_argument("--n", type=int, default=128)
    p.add_argument("--T", type=int, default=49); p.add_argument("--d", type=int, default=1024)
    p.add_argument("--threads", type=int, default=1); p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--device", default="cpu"); p.add_argument("--stream-clips", type=int, default=10_000)
    p.add_argument("--baseline-pairs", type=int, default=10**9, help="pairs the per-pair baseline computes (default all)")
    p.add_argument("--metrics", nargs="+", default=list(METRICS), choices=list(METRICS))
    p.add_argument("--methods", nargs="+", default=["ours", "per-pair", "pytorch-cka", "stream"])
    p.add_argument("--worker", action="store_true"); p.add_argument("--method"); p.add_argument("--out")
    p.add_argument("--pcka-float64", action="store_true")
    args = p.parse_args()
    if args.worker: return worker(args)

    import torch
    n_pairs = min(args.baseline_pairs, args.L * (args.L - 1) // 2)
    print(f"features [L={args.L}, n={args.n}, D={args.T}*{args.d}={args.T * args.d}] float32 = "
          f"{args.L * args.n * args.T * args.d * 4 / 2**20:.0f} MB; device {args.device}; {args.threads} thread(s); "
          f"torch {torch.__version__}")
    reports = {}
    for method in args.methods:
        if method == "stream":
            reports[method] = spawn(args, method); continue
        variants = {method: {}}
        if method == "pytorch-cka":
            try: import cka  # noqa: F401
            except ImportError:
                print("pytorch-cka is not installed (pip install pytorch-cka): skipped"); continue
            variants = {"pytorch-cka": {}, "pytorch-cka (float64 input)": dict(pcka_float64=True)}
        for label, extra in variants.items():  # one fresh process per metric: its memory is its own
            merged = ({}, {})
            for name in args.metrics:
                if method == "pytorch-cka" and name != "cka-unbiased": continue
                rep, mats = spawn(args, method, metrics=[name], **extra)
                if rep is None: continue
                merged[0].update(rep); merged[1].update(mats)
            reports[label] = merged

    ours, ours_m = reports.get("ours", (None, None))
    print(f"\n{'metric':<13}{'method':<28}{'seconds':>10}{'ours faster by':>16}{'extra RSS MB':>14}{'GPU MB':>9}{'max |diff|':>12}")
    for name in args.metrics:
        for method, (rep, mats) in reports.items():
            if method == "stream" or rep is None or name not in rep: continue
            r = rep[name]
            secs = r["seconds"] * ((args.L * (args.L - 1) // 2) / n_pairs if method == "per-pair" else 1)
            ratio = f"{secs / ours[name]['seconds']:.1f}x" if ours and method != "ours" else ""
            diff = ""
            if ours_m is not None and method != "ours":
                d = (mats[name] - ours_m[name])
                if method == "per-pair" and n_pairs < args.L * (args.L - 1) // 2: d = d[mats[name] != 0]
                diff = f"{d.abs().max().item():.1e}"
            gpu = f"{r['gpu_mb']:.0f}" if r.get("gpu_mb") is not None else "-"
            label = method + (f" ({n_pairs} pairs, scaled)" if method == "per-pair" and n_pairs < args.L * (args.L - 1) // 2 else "")
            print(f"{name:<13}{label:<28}{secs:>10.3f}{ratio:>16}{r['extra_mb']:>14.0f}{gpu:>9}{diff:>12}")
    if ours:
        total = sum(ours[m]["seconds"] for m in ("cosine", "cka", "mutual_knn") if m in ours)
        print(f"\nours, cosine + CKA + kNN: {total:.2f} s for the three {args.L}x{args.L} matrices")
    if reports.get("stream", (None,))[0]:
        s = reports["stream"][0]["stream"]
        print(f"streaming CKA: {s['clips']} mean-pooled clips (L={args.L}, d={args.d}) in {s['batches']} batches of "
              f"{args.n}: {s['seconds']:.2f} s = {s['clips'] / s['seconds']:,.0f} clips/s; extra RSS {s['extra_mb']:.0f} MB"
              + (f", GPU {s['gpu_mb']:.0f} MB" if s.get("gpu_mb") is not None else ""))


if __name__ == "__main__":
    main()
