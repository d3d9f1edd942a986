"""Resuming a run: the `smoke` preset is killed (SIGKILL) in the middle of successive stages, then run to the end.
Stages completed before a kill are not recomputed, and the results equal those of an uninterrupted run."""
import json, os, shutil, signal, subprocess, sys, time
from pathlib import Path
import pytest

pytestmark = pytest.mark.slow   # `make test-more` (CI): kills and resumes smoke runs in new processes (minutes); 08_pipeline tests resuming in-process

EXE = shutil.which("redundancy_nb", path=str(Path(sys.executable).parent))
TIMING = ("seconds", "time", "latency", "rtf")   # wall-clock numbers (rtf: real-time factor) differ between any two runs

def start(out):
    return subprocess.Popen([EXE, "run", "--preset", "smoke", "--out", str(out), "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

def records(out):
    return {p.stem: p.read_text() for p in (out/"stages").glob("*.json")} if (out/"stages").is_dir() else {}

def without_timings(obj):
    if isinstance(obj, dict): return {k: without_timings(v) for k, v in obj.items() if not any(t in k for t in TIMING)}
    if isinstance(obj, list): return [without_timings(v) for v in obj]
    return obj

def test_kill_and_resume(tmp_path, smoke_run):
    expected = json.loads((smoke_run/"results.json").read_text())   # an uninterrupted run of this code (conftest.py)
    n_stages = len(expected["stages"])

    out, kills = tmp_path/"run", 0
    while len(records(out)) < n_stages - 1:      # kill once more stage has finished, i.e. inside the next one
        done = len(records(out))
        p = start(out)
        while p.poll() is None and len(records(out)) <= done: time.sleep(0.02)
        if p.poll() is None:
            time.sleep(0.05)
            p.send_signal(signal.SIGKILL); p.wait(); kills += 1
        else: assert p.returncode == 0, p.stderr.read()
        assert not (out/"results.json").exists() or p.returncode == 0
    assert kills >= 2, f"only {kills} interruptions happened"

    finished = records(out)
    r = subprocess.run([EXE, "run", "--preset", "smoke", "--out", str(out), "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    results = json.loads((out/"results.json").read_text())
    recomputed = {s.replace("/", "__") for s in results["ran"]}
    assert not recomputed & set(finished), f"completed stages were recomputed: {recomputed & set(finished)}"
    assert {k: records(out)[k] for k in finished} == finished          # their records are untouched
    assert without_timings(results["stages"]) == without_timings(expected["stages"])
    for stage, s in results["stages"].items():
        for f in s["outputs"]: assert (out/f).is_file(), f"{stage}: {f} missing after resume"
