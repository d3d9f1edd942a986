"The test command's own tools: the notebook order of tools/nbtest.py and the nested steps of tools/timing.py."
import json, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/"tools"))
import nbtest, timing

def notebook(path:Path, *cells:str) -> Path:
    "A notebook of code cells with these sources."
    path.write_text(json.dumps(dict(cells=[dict(cell_type="code", source=s, metadata={}, outputs=[]) for s in cells],
                                    metadata={}, nbformat=4, nbformat_minor=5)))
    return path

def test_demo_wait(tmp_path):
    "Calls in examples count; the package's definitions (export cells) and prose do not."
    plain = notebook(tmp_path/"a.ipynb", "x = 1")
    defines = notebook(tmp_path/"b.ipynb", "#| export\ndef demo_run(progress=True):\n    demo_teacher(progress=progress)")
    teacher = notebook(tmp_path/"c.ipynb", "t = demo_teacher(progress=False)", "s = demo_students()")
    run = notebook(tmp_path/"d.ipynb", "d = demo_data()", "out = demo_run(progress=False)")
    assert [nbtest.demo_wait(f) for f in (plain, defines, teacher, run)] == [0, 0, 1, 2]

def test_order(tmp_path, monkeypatch):
    "Grouped by what the notebook waits for, longest first (unknown first) inside a group."
    monkeypatch.setenv("REDUNDANCY_NB_TIMINGS", str(tmp_path/"timings"))
    for name, wall in (("a.ipynb", 5.0), ("b.ipynb", 50.0), ("c.ipynb", 1.0), ("d.ipynb", 500.0)):
        timing.record("notebooks", name=name, wall=wall, cpu=wall, rc=0, load=0.0)
    files = [notebook(tmp_path/"d.ipynb", "demo_run()"), notebook(tmp_path/"c.ipynb", "demo_teacher()"),
             notebook(tmp_path/"a.ipynb", "1"), notebook(tmp_path/"b.ipynb", "2"), notebook(tmp_path/"e.ipynb", "demo_teacher()")]
    ordered = nbtest.order(files, {f: f.name for f in files})
    assert [f.name for f in ordered] == ["b.ipynb", "a.ipynb", "e.ipynb", "c.ipynb", "d.ipynb"]

def test_nested_steps(tmp_path):
    "A step run inside another step's command is listed under it and counted once in the totals."
    env = {**os.environ, "REDUNDANCY_NB_TIMINGS": str(tmp_path)}
    env.pop("TIMING_STEP", None)
    tool = [sys.executable, str(ROOT/"tools"/"timing.py")]
    inner = " ".join([*tool, "step", "inner", "--", "true"])
    subprocess.run([*tool, "step", "outer", "--", "sh", "-c", f"{inner} && {inner.replace('inner', 'second')}"], env=env, check=True)
    subprocess.run([*tool, "step", "after", "--", "true"], env=env, check=True)
    rows = {r["name"]: r for r in (json.loads(l) for l in (tmp_path/"steps.jsonl").read_text().splitlines())}
    assert {n: r.get("part_of") for n, r in rows.items()} == {"inner": "outer", "second": "outer", "outer": None, "after": None}
    report = subprocess.run([*tool, "report"], env=env, check=True, capture_output=True, text=True).stdout.splitlines()
    names = [l.split("  ")[0] if not l.startswith("  ") else "  " + l.strip().split()[0] for l in report[2:6]]
    assert names == ["outer", "  inner", "  second", "after"], report
    total = next(l for l in report if l.startswith("total of the steps"))
    assert float(total.split()[-2]) == round(rows["outer"]["wall"] + rows["after"]["wall"], 1), report
