"""Issue 13's "results equal today's": similarity matrices and prune orders on the demo teacher, computed by the code
before issue 13 (commit 51f2597, the base of the first issue-13 commit) and by this checkout, compared.

    mkdir -p /tmp/pre13 && git archive 51f2597 redundancy_nb | tar -x -C /tmp/pre13
    python benchmarks/compare_pre13.py --old /tmp/pre13

Each side runs in its own process (`PYTHONPATH` puts the old package first): the demo teacher's validation clips
(flattened), cosine / biased CKA / mutual kNN (k = 8) in batches of 128, the static orders bi, knn_bi (k = 8 and
the paper's six k), cka_bi, and bi_adaptive / knn_bi_adaptive on the first 64 clips (batches of 32).
"""
import argparse, json, os, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = r'''
import json, sys, torch
torch.set_num_threads(1)
import redundancy_nb
from redundancy_nb.models import load_model, extract_features
from redundancy_nb.data import SpeechCommands
from redundancy_nb.finetune import demo_run_dir
from redundancy_nb.similarity import batched_similarity
from redundancy_nb.pruning import prune_order, PAPER_KNN_KS
run = demo_run_dir()
teacher = load_model(run / "demo" / "teacher" / "best").eval()
data = SpeechCommands(run / "data", "validation")
feats = extract_features(teacher, data, pool="flatten", progress=False, device="cpu")
out = dict(package=redundancy_nb.__file__, n=feats.shape[1])
for m, kw in [("cosine", {}), ("cka", {}), ("mutual_knn", dict(k=8))]:
    out[m] = batched_similarity(feats, m, batch_size=128, progress=False, **kw).values.tolist()
for name, meth, kw in [("bi", "bi", {}), ("knn_bi k=8", "knn_bi", dict(k=8)), ("knn_bi k=2..64", "knn_bi", dict(ks=PAPER_KNN_KS)),
                       ("cka_bi", "cka_bi", {})]:
    o = prune_order(meth, feats, batch_size=128, **kw)
    out[name] = dict(order=list(o), steps=[{int(b): float(s) for b, s in o.scores.items()}])
sub = torch.utils.data.Subset(data, range(64))
for meth in ("bi_adaptive", "knn_bi_adaptive"):
    o = prune_order(meth, model=teacher, data=sub, batch_size=32)
    out[meth] = dict(order=list(o), steps=[{int(b): float(s) for b, s in st.items()} for st in o.steps])
json.dump(out, open(sys.argv[1], "w"))
'''


def run(pythonpath, path:Path) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if pythonpath: env["PYTHONPATH"] = str(pythonpath)
    script = path.with_suffix(".py"); script.write_text(WORKER)
    subprocess.run([sys.executable, str(script), str(path)], env=env, check=True, cwd=path.parent)
    return json.loads(path.read_text())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--old", type=Path, required=True, help="folder holding the old redundancy_nb package")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old, new = run(args.old.resolve(), Path(tmp) / "old.json"), run(None, Path(tmp) / "new.json")
    print(f"old: {old['package']}\nnew: {new['package']}\n{new['n']} validation clips of the demo teacher")
    worst = 0.0
    for key, a in old.items():
        if key in ("package", "n"): continue
        b = new[key]
        if isinstance(a, list):
            d = max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb)); same = ""
        else:
            d = max(abs(sa[k] - sb[k]) for sa, sb in zip(a["steps"], b["steps"]) for k in sa)
            same = f", same order: {a['order'] == b['order']}"
            if a["order"] != b["order"]: worst = float("inf")
        worst = max(worst, d)
        print(f"{key:<16} max |difference| {d:.1e}{same}")
    print(f"target: equal to 1e-6 (same orders): {'met' if worst <= 1e-6 else 'NOT met'}")


if __name__ == "__main__":
    main()
