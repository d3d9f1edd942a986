"""Peak memory of the feature path at paper scale (prints the numbers and the targets; not a test).

Two measurements, each command in a fresh process whose peak resident set (``ru_maxrss`` from ``os.wait4``) is its own:

* ``cli``: ``redundancy_nb similarity`` and ``redundancy_nb prune`` on a full-size, randomly initialised wav2vec2-base
  checkpoint (12 blocks, d = 768, 95 M parameters, saved with ``save_pretrained`` to a temporary folder) and a
  synthetic Speech Commands (espeak-ng) with 128 and with 512 clips in each of the test and validation subsets.
  Similarity: batches of 128 clips, all three metrics (so 1 and 4 batches). Prune: the orders given by ``--order``
  (default ``bi,knn_bi``: both scored on the validation clips in the paper's protocol), curves on the test clips.
  Target: the peak grows by at most 150 MB from 128 to 512 clips.
* ``paper``: the similarity matrices and the block-influence scores of the ``paper`` preset's settings (batches of
  128 flattened clips, cosine + biased CKA + mutual kNN k = 8; BI and kNN-BI over k = 2..64, uncentred) on a
  full-size random wav2vec2-large (24 blocks, d = 1024, 316 M parameters), through the pipeline's own stage
  functions, over ``--batches`` batches. Reported: peak RSS minus the RSS with the model loaded (and each batch
  count, to show whether memory grows with the clips). Target: under 4 GB beyond the model.
* ``distill``: the distillation target cache (``teacher_features``) on a synthetic stream of teacher-sized features:
  ``--distill-clips`` random one-second clips through a wav2vec2 of width 768 with two blocks and a narrow CNN (so the
  forward is cheap but the front end's output and the two block outputs kept are the size of wav2vec2-base's: 49
  frames × 768 per clip and tensor). Each in a fresh process: the features in RAM (``teacher_features`` as before),
  written to disk batch by batch in float32 and in float16 (``out_dir=``), and one training epoch of random batches
  of 128 drawn from the disk folder. Reported: peak RSS minus the RSS with the model loaded. Target: the disk paths
  stay near one batch while the in-RAM path grows with the clips.

    python benchmarks/bench_memory.py                      # both parts
    python benchmarks/bench_memory.py --parts cli --clips 128 512 --order bi
    python benchmarks/bench_memory.py --parts paper --batches 1 2
    python benchmarks/bench_memory.py --parts distill --distill-clips 2560
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDS = ["yes", "no", "up", "down", "left", "right", "on", "off"]


def make_data(root:Path, clips:int) -> Path:
    "A synthetic Speech Commands with `clips` clips in each of validation and testing (16 speakers each, 8 words)."
    from redundancy_nb.data import make_synthetic_speech_commands
    per_word = clips // (16 * len(WORDS))
    if per_word * 16 * len(WORDS) != clips: sys.exit(f"--clips must be multiples of {16 * len(WORDS)}, got {clips}")
    return make_synthetic_speech_commands(root, words=WORDS, n_speakers=34, per_word=per_word, valid_fraction=16 / 34,
                                          test_fraction=16 / 34, progress=False)


def make_checkpoint(folder:Path, size:str) -> Path:
    "A randomly initialised full-size wav2vec2 classifier (8 classes) saved to `folder`."
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification
    sizes = {"base": {}, "large": dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096)}
    labels = dict(enumerate(WORDS))
    config = Wav2Vec2Config(**sizes[size], num_labels=len(WORDS), id2label=labels, label2id={w: i for i, w in labels.items()},
                            layerdrop=0.0)
    torch.manual_seed(0)
    Wav2Vec2ForSequenceClassification(config).save_pretrained(folder)
    return folder


def peak_of(cmd:list[str], env=None) -> tuple[float, float, int, str]:
    "Run `cmd`; its peak RSS in MB (its own, via wait4), wall seconds, exit status and the tail of its output."
    t = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        out.seek(0); tail = out.read().decode(errors="replace")[-3000:]
    return usage.ru_maxrss / 1024, time.perf_counter() - t, os.waitstatus_to_exitcode(status), tail


def cli_part(args, tmp:Path):
    ckpt = make_checkpoint(tmp / "w2v2-base", "base")
    exe = str(Path(sys.executable).with_name("redundancy_nb"))
    rows = []
    for clips in args.clips:
        data = make_data(tmp / f"data{clips}", clips)
        for command in args.commands:
            cmd = [exe, command, "--model", str(ckpt), "--data", str(data), "--out", str(tmp / f"run-{command}-{clips}"), "--quiet"]
            if command == "similarity": cmd += ["--batch-size", "128", "--max-batches", str(max(args.clips) // 128)]
            if command == "prune": cmd += ["--order", args.order]
            peak, secs, rc, tail = peak_of(cmd)
            if rc: sys.exit(f"{' '.join(cmd)} failed ({rc}):\n{tail}")
            rows.append(dict(command=command, clips=clips, peak_mb=peak, seconds=secs))
            print(f"  {command:<10} {clips:>5} clips: peak RSS {peak:7.0f} MB, {secs:6.0f} s", flush=True)
    print(f"\nredundancy_nb similarity / prune (--order {args.order}) on a random full-size wav2vec2-base; peak RSS of the process")
    lo, hi = min(args.clips), max(args.clips)
    for command in args.commands:
        peaks = {r["clips"]: r["peak_mb"] for r in rows if r["command"] == command}
        growth = peaks[hi] - peaks[lo]
        print(f"{command:<10} " + "  ".join(f"{c} clips {p:.0f} MB" for c, p in sorted(peaks.items()))
              + f"   growth {lo}->{hi}: {growth:+.0f} MB (target <= 150 MB: {'met' if growth <= 150 else 'NOT met'})")
    return rows


PAPER_WORKER = r'''
import gc, json, os, sys, torch
from pathlib import Path
from redundancy_nb import pipeline as P
def rss(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"): return int(line.split()[1]) / 1024
ckpt, data, out, batches = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
cfg = P.preset_config("paper")
cfg.data = P.DataConfig(kind="folder", root=data)
cfg.models = [P.ModelConfig(name="large", source=ckpt, finetune=False)]
cfg.similarity.max_batches = batches
cfg.similarity.subset = "testing"; cfg.pruning.score_subset = "validation"
cfg.pruning.orders = ["bi", "knn_bi"]
ctx = P.RunContext(cfg, P.prepare_out(out), progress=False)
ctx.summaries["data"] = P.data_stage(ctx)
m = cfg.models[0]
model = P.load_teacher(ctx, m)
with torch.inference_mode(): model(torch.zeros(2, 16000))   # first forward: allocator and kernel set-up
gc.collect()
base = rss("VmRSS")
params = sum(p.numel() * p.element_size() for p in model.parameters()) / 2**20
Path("/proc/self/clear_refs").write_text("5")            # reset the high-water mark
P.similarity_stage(ctx, m)
sim_peak = rss("VmHWM")
orders = P.teacher_orders(ctx, m, model)
peak = rss("VmHWM")
print("RESULT " + json.dumps(dict(base_mb=base, model_mb=params, sim_peak_mb=sim_peak, peak_mb=peak,
                                  orders={k: list(v) for k, v in orders.items()})))
'''


def paper_part(args, tmp:Path):
    ckpt = make_checkpoint(tmp / "w2v2-large", "large")
    data = make_data(tmp / f"data{128 * max(args.batches)}", 128 * max(args.batches))
    rows = []
    for b in args.batches:
        script = tmp / "paper_worker.py"; script.write_text(PAPER_WORKER)
        peak, secs, rc, tail = peak_of([sys.executable, str(script), str(ckpt), str(data), str(tmp / f"paper-{b}"), str(b)])
        if rc: sys.exit(f"paper worker failed ({rc}):\n{tail}")
        res = json.loads(next(l for l in tail.splitlines() if l.startswith("RESULT "))[7:])
        beyond = res["peak_mb"] - res["base_mb"]
        rows.append(dict(batches=b, clips=128 * b, beyond_mb=beyond, sim_beyond_mb=res["sim_peak_mb"] - res["base_mb"],
                         model_mb=res["model_mb"], base_mb=res["base_mb"], seconds=secs))
        print(f"  {b} batch(es) of 128 clips: similarity {res['sim_peak_mb'] - res['base_mb']:.0f} MB, similarity + BI "
              f"{beyond:.0f} MB beyond the loaded model ({res['base_mb']:.0f} MB RSS with the model), {secs:.0f} s", flush=True)
    print("\npaper preset settings (similarity: cosine, biased CKA, kNN k=8; BI + kNN-BI k=2..64) on a random wav2vec2-large")
    for r in rows:
        print(f"{r['clips']:>5} clips per subset: peak {r['beyond_mb']:.0f} MB beyond the model "
              f"(target < 4096 MB: {'met' if r['beyond_mb'] < 4096 else 'NOT met'})")
    return rows


DISTILL_WORKER = r'''
import gc, json, sys, time, torch
from pathlib import Path
from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification
from redundancy_nb.distill import teacher_features, DiskFeatures
def rss(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"): return int(line.split()[1]) / 1024
mode, clips, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
torch.set_num_threads(1)
class Clips(torch.utils.data.Dataset):
    "Random one-second clips, made when asked for (the input is not what is measured)."
    def __len__(self): return clips
    def __getitem__(self, i):
        return {"input_values": torch.randn(16000, generator=torch.Generator().manual_seed(i)), "label": i % 8}
config = Wav2Vec2Config(hidden_size=768, num_hidden_layers=2, num_attention_heads=12, intermediate_size=256, conv_dim=(32,) * 7,
                        num_labels=8, layerdrop=0.0)
torch.manual_seed(0)
model = Wav2Vec2ForSequenceClassification(config).eval()
with torch.inference_mode(): model(torch.zeros(2, 16000))
gc.collect()
base = rss("VmRSS")
Path("/proc/self/clear_refs").write_text("5")            # reset the high-water mark
t = time.perf_counter()
if mode == "epoch":
    f = DiskFeatures(folder)
    for index in torch.randperm(len(f), generator=torch.Generator().manual_seed(0)).split(128): b = f.batch(index)
    n = len(f)
else:
    kw = {} if mode == "ram" else dict(out_dir=folder, dtype=mode.split("-")[1])
    f = teacher_features(model, Clips(), blocks=(0, 1), batch_size=64, device="cpu", progress=False, **kw)
    n = len(f)
seconds = time.perf_counter() - t
print("RESULT " + json.dumps(dict(base_mb=base, peak_mb=rss("VmHWM"), seconds=seconds, clips=n,
                                  frames=f.hidden.shape[1], width=f.hidden.shape[2])))
'''


def distill_part(args, tmp:Path):
    script = tmp / "distill_worker.py"; script.write_text(DISTILL_WORKER)
    rows, clips = [], args.distill_clips
    for mode in ("ram", "disk-float32", "disk-float16", "epoch"):
        folder = tmp / ("features-disk-float32" if mode == "epoch" else f"features-{mode}")
        peak, secs, rc, tail = peak_of([sys.executable, str(script), mode, str(clips), str(folder)])
        if rc: sys.exit(f"distill worker ({mode}) failed ({rc}):\n{tail}")
        res = json.loads(next(l for l in tail.splitlines() if l.startswith("RESULT "))[7:])
        size = sum(p.stat().st_size for p in folder.glob("shard-*")) / 1e6 if folder.is_dir() else 0.0
        rows.append(dict(mode=mode, beyond_mb=res["peak_mb"] - res["base_mb"], base_mb=res["base_mb"], seconds=res["seconds"],
                         folder_mb=size, **{k: res[k] for k in ("clips", "frames", "width")}))
        print(f"  {mode:<13} peak {rows[-1]['beyond_mb']:7.0f} MB beyond the model ({res['base_mb']:.0f} MB RSS with it), "
              f"{res['seconds']:5.0f} s" + (f", folder {size:.0f} MB" if mode.startswith("disk") else ""), flush=True)
    r = rows[0]
    in_ram = r["clips"] * r["frames"] * r["width"] * 4 * 3 / 1e6
    batch = 64 * r["frames"] * r["width"] * 4 * 3 / 1e6
    print(f"\ndistillation target cache: {r['clips']} clips × {r['frames']} frames × {r['width']}, the front end's output and 2 targets "
          f"({in_ram:.0f} MB in float32; one batch of 64: {batch:.0f} MB)")
    ram = rows[0]["beyond_mb"]
    for row in rows[1:]:
        print(f"{row['mode']:<13} peak {row['beyond_mb']:.0f} MB beyond the model vs {ram:.0f} MB in RAM: "
              f"{ram / max(row['beyond_mb'], 1):.0f}x less")
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--parts", nargs="+", default=["cli", "paper"], choices=["cli", "paper", "distill"])
    p.add_argument("--clips", nargs="+", type=int, default=[128, 512], help="clips per subset for the cli part")
    p.add_argument("--commands", nargs="+", default=["similarity", "prune"], choices=["similarity", "prune"])
    p.add_argument("--order", default="bi,knn_bi", help="prune orders of the prune command")
    p.add_argument("--batches", nargs="+", type=int, default=[1, 2], help="batches of 128 clips for the paper part")
    p.add_argument("--distill-clips", type=int, default=2560, help="clips of the distill part (2560: 1.2 GB of features in RAM)")
    p.add_argument("--json", type=Path, help="also write the numbers here")
    args = p.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; {os.cpu_count()} CPUs")
    results = dict(info=dict(command=" ".join(["python", *sys.argv]), cpus=os.cpu_count(), load=os.getloadavg()[0],
                             threads=os.environ.get("OMP_NUM_THREADS", "torch's default"), date=time.strftime("%Y-%m-%d")))
    with tempfile.TemporaryDirectory() as tmp:
        if "cli" in args.parts: results["cli"] = cli_part(args, Path(tmp))
        if "paper" in args.parts: results["paper"] = paper_part(args, Path(tmp))
        if "distill" in args.parts: results["distill"] = distill_part(args, Path(tmp))
    if args.json: args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
