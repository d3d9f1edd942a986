"""Shared by every test file: offline hub, and the time each test file takes (wall and CPU seconds, fixtures and
subprocesses included) printed at the end and recorded for tools/timing.py's table (`make test` shows it)."""
import os, sys, time
from collections import defaultdict
from pathlib import Path
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/"tools"))
import timing

def pytest_configure(config):
    config.addinivalue_line("markers", "slow: minutes of a user's path (fresh venv, new processes, browsers): "
                                       "`make test` skips them (-m 'not slow'), `make test-more` and CI run them")

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    item._cpu0 = timing.cpu_seconds()   # per phase below; the worker process measures, the controller sums
    yield

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    t = getattr(item, "_cpu0", None)
    if t is not None:
        now = timing.cpu_seconds(); item._cpu0 = now
        outcome.get_result().user_properties.append(("cpu_s", now - t))

_files = defaultdict(lambda: dict(wall=0.0, cpu=0.0, tests=0, failed=0))

def pytest_runtest_logreport(report):
    f = _files[report.nodeid.split("::")[0]]
    f["wall"] += report.duration
    f["cpu"] += dict(report.user_properties).get("cpu_s", 0.0)
    if report.when == "call": f["tests"] += 1
    if report.failed: f["failed"] += 1

def pytest_terminal_summary(terminalreporter):
    if not _files or hasattr(terminalreporter.config, "workerinput"): return
    terminalreporter.section("time per test file (wall: summed over tests run in parallel; CPU: user + system)")
    load = timing.load()
    tier = " [slow]" if terminalreporter.config.option.markexpr == "slow" else ""   # `make test-more`: apart from the fast part
    for name, f in sorted(_files.items(), key=lambda kv: -kv[1]["wall"]):
        terminalreporter.write_line(f"{name:<40} {f['wall']:7.1f} s wall {f['cpu']:7.1f} s CPU  {f['tests']:3d} tests")
        timing.record("pytest", name=name + tier, wall=round(f["wall"], 1), cpu=round(f["cpu"], 1), rc=int(f["failed"] > 0), load=load)

def _shared_run_key() -> str:
    """A digest of the package's code and settings, and of the threads its processes get: a shared run built by other
    code, or with other threads (other float sums: another teacher), is not reused."""
    import hashlib
    root = Path(__file__).resolve().parents[1]
    h = hashlib.blake2b(digest_size=8)
    h.update(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')} cores={os.cpu_count()}".encode())
    for p in sorted((root/"redundancy_nb").glob("*.py")) + [root/"settings.ini"]: h.update(p.name.encode()); h.update(p.read_bytes())
    return h.hexdigest()

def shared_run(preset:str) -> Path:
    """The run folder of `preset`, built once for this code (keyed by `_shared_run_key`) into the demo cache and shared by
    every test file, xdist worker and test session: read it, never write into it (copy it first)."""
    import subprocess
    from filelock import FileLock
    from redundancy_nb.finetune import default_cache_dir
    out = default_cache_dir()/"runs"/f"{preset}-{_shared_run_key()}"
    out.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out.parent/f".{out.name}.lock")):
        if not (out/"results.json").is_file():
            exe = Path(sys.executable).parent/"redundancy_nb"
            r = subprocess.run([str(exe), "run", "--preset", preset, "--out", str(out), "--quiet"], capture_output=True, text=True)
            assert r.returncode == 0, f"the shared {preset} run failed:\n{r.stderr[-3000:]}"
    return out

@pytest.fixture(scope="session")
def smoke_run() -> Path:
    "The smoke preset's run folder, shared (see `shared_run`): a finished run to read or copy, at no cost after the first."
    return shared_run("smoke")
