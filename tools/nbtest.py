"""`nbdev_test` with a timing record: every notebook runs through nbdev's own `test_nb` (same flags, same skipped
cells), `--n_workers` at a time; those that do not read the demo cache first (`make test` builds it meanwhile), then
longest first when an earlier run recorded the times; each notebook's wall and CPU seconds go to tools/timing.py's
records.

    python tools/nbtest.py [--path nbs/04_similarity.ipynb] [--flags slow] [--n_workers 2]"""
import argparse, os, sys, time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import timing

def _run(fn:str, skip_flags:list, force_flags:list, basepath:str) -> tuple[str, bool, float, float, float]:
    "Test one notebook in this worker process: (name, passed, wall s, CPU s, load)."
    from nbdev.test import test_nb
    t0, c0 = time.time(), timing.cpu_seconds()
    ok, _ = test_nb(Path(fn), skip_flags=skip_flags, force_flags=force_flags, basepath=basepath)
    return fn, ok, time.time() - t0, timing.cpu_seconds() - c0, timing.load()

def notebooks(path:str|None) -> list[Path]:
    "The notebooks nbdev_test would test (its glob, `_`-files and `.notest` folders skipped)."
    from nbdev.test import nbglob, _keep_file
    return [f.absolute() for f in sorted(nbglob(path, as_path=True)) if _keep_file(f, ".notest")]

# what a notebook waits for when `make test` builds the demo in the background: nothing, the demo teacher (these calls
# build or wait for it), or the whole demo run
DEMO_WAITS = {"demo_data(": 1, "demo_teacher(": 1, "demo_students(": 1, "demo_run(": 2}

def demo_wait(nb:Path) -> int:
    "0: the notebook never reads the demo cache; 1: it reads the demo teacher (or data, or students); 2: the demo run."
    import json
    cells = ["".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]
    code = "\n".join(c for c in cells if not c.lstrip().startswith("#| export"))   # the package's code defines them, examples call them
    return max((rank for call, rank in DEMO_WAITS.items() if call in code), default=0)

def order(files:list[Path], names:dict[Path, str]) -> list[Path]:
    """Notebooks that do not read the demo cache first, then those that need only its teacher, then those that read the
    whole demo run (they would wait on its file locks while it is being built); within each group, longest first by the
    last recorded wall time (unknown ones first: they may be long), so the workers finish together."""
    last = {r["name"]: r["wall"] for r in timing.read("notebooks")}
    return sorted(files, key=lambda f: (demo_wait(f), -last.get(names[f], float("inf"))))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--path", help="a notebook or a folder (default: every notebook of nbs_path)")
    p.add_argument("--flags", default="", help="space-separated flags of cells to run that are normally skipped (e.g. slow)")
    p.add_argument("--n_workers", type=int, default=2, help="notebooks run at the same time")
    a = p.parse_args(argv)
    from nbdev.config import get_config
    cfg = get_config()
    skip, force = cfg.tst_flags.split(), a.flags.split()
    nbs = Path(cfg.nbs_path).absolute()
    files = notebooks(a.path)
    if not files: sys.exit(f"no notebooks to test under {a.path or nbs}")
    names = {f: str(f.relative_to(nbs)) if f.is_relative_to(nbs) else f.name for f in files}
    failed, t0 = [], time.time()
    os.chdir(nbs)
    # the workers are forked and reused: a notebook's IPython shell replaces sys.modules["__main__"] in its worker, so the
    # task function is sent by its module's name (`nbtest._run`), never as `__main__._run`
    from nbtest import _run as run_one
    with ProcessPoolExecutor(max_workers=max(1, a.n_workers), mp_context=get_context("fork")) as pool:
        futures = [pool.submit(run_one, str(f), skip, force, str(cfg.config_path)) for f in order(files, names)]
        for fut in as_completed(futures):
            fn, ok, wall, cpu, load = fut.result()
            name = names[Path(fn)]
            timing.record("notebooks", name=name + (f" [{a.flags}]" if a.flags else ""), wall=round(wall, 1), cpu=round(cpu, 1),
                          rc=0 if ok else 1, load=load)
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {wall:.0f} s wall, {cpu:.0f} s CPU", flush=True)
            if not ok: failed.append(name)
    print(f"nbtest: {len(files)} notebooks in {time.time() - t0:.0f} s")
    print(f"{len(files) - len(failed)} passed, {len(failed)} failed")
    if failed: sys.exit("notebooks failed: " + ", ".join(failed))

if __name__ == "__main__": main()
