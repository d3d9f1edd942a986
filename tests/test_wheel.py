"""The package as a user gets it: `python -m build` makes the sdist and the wheel, their contents are the package
(with `_modidx.py`), the licence and the README, and nothing else (no notebooks, tests, runs or caches); `twine
check` accepts their metadata; the wheel, installed into a fresh virtual environment outside the repository, runs
`redundancy_nb --version`, the smoke preset and the README's Python example.

Building and checking the files takes seconds (`make test`); the fresh environment and the runs in it take minutes
(marked slow: `make test-more`, which CI runs after `make test`)."""
import configparser, json, os, re, shutil, subprocess, sys, tarfile, zipfile
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CFG = configparser.ConfigParser(delimiters=["="]); CFG.read(ROOT/"settings.ini")
CFG = CFG["DEFAULT"]
NAME, VERSION = CFG["lib_name"], CFG["version"]
MODULES = sorted(p.name for p in (ROOT/NAME).glob("*.py"))
UV = shutil.which("uv", path=str(BIN)) or shutil.which("uv")

def sh(*args, cwd=None, env=None, timeout=900):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)
    assert r.returncode == 0, f"{' '.join(map(str, args))} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout

def user_env(tmp):
    "The environment of a user outside the repository: no PYTHONPATH, offline hub, caches in `tmp`."
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
            "REDUNDANCY_NB_CACHE": str(tmp/"cache"), "MPLBACKEND": "Agg"}

@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    "sdist and wheel built from a copy of the files git knows (what a release builds from a clean checkout)."
    out, src = tmp_path_factory.mktemp("dist"), tmp_path_factory.mktemp("src")/"repo"
    files = sh("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT).split("\0")
    for f in filter(None, files):
        if (ROOT/f).is_file(): (src/f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(ROOT/f, src/f)
    installer = ["--installer", "uv"] if UV else []   # same isolated build, 6x faster than pip's
    sh(sys.executable, "-m", "build", *installer, "--outdir", out, src, env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"})
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == len(sdists) == 1, list(out.iterdir())
    return wheels[0], sdists[0]

FORBIDDEN = re.compile(r"(\.ipynb$|(^|/)(nbs|tests|runs|benchmarks|tools|_docs|_site|data|\.cache|__pycache__)/|\.pyc$|\.safetensors$|\.wav$)")

def test_wheel_contents(dist):
    names = zipfile.ZipFile(dist[0]).namelist()
    assert dist[0].name == f"{NAME}-{VERSION}-py3-none-any.whl"
    assert sorted(n.split("/", 1)[1] for n in names if n.startswith(f"{NAME}/")) == MODULES   # every module, _modidx.py too
    info = f"{NAME}-{VERSION}.dist-info"
    assert {f"{info}/licenses/LICENSE", f"{info}/METADATA", f"{info}/entry_points.txt"} <= set(names)
    assert not [n for n in names if FORBIDDEN.search(n)]
    meta = zipfile.ZipFile(dist[0]).read(f"{info}/METADATA").decode()
    assert re.search(r"^License(-Expression)?: Apache-2.0$", meta, flags=re.M), meta[:1500]
    assert f"Development Status :: {CFG['status']} - " in meta                 # settings.ini's status, not the next one
    assert "## The two commands" in meta                                      # the README is the long description
    entry = zipfile.ZipFile(dist[0]).read(f"{info}/entry_points.txt").decode()
    assert f"{NAME} = {NAME}.cli:console" in entry and f"{NAME} = {NAME}._modidx:d" in entry

def test_sdist_contents(dist):
    names = [n.split("/", 1)[1] for n in tarfile.open(dist[1]).getnames() if "/" in n]
    assert {"LICENSE", "README.md", "settings.ini", "setup.py", f"{NAME}/_modidx.py"} <= set(names)
    assert {f"{NAME}/{m}" for m in MODULES} <= set(names)
    assert not [n for n in names if FORBIDDEN.search(n)]

def test_twine_accepts_metadata(dist):
    out = sh(BIN/"twine", "check", "--strict", *dist)
    assert out.count("PASSED") == 2, out

def readme_example():
    "The README's Python section: its code blocks and the output it shows after the last one."
    text = (ROOT/"README.md").read_text()
    section = text.split("## In Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```\n(.*?)```\n(?:\s*\n)*((?:    .*\n)*)", section, flags=re.S)
    assert blocks, "README.md has no code blocks under '## In Python'"
    return [code for code, _ in blocks], blocks[-1][1].strip()

@pytest.fixture(scope="module")
def user_venv(dist, tmp_path_factory):
    "A fresh virtual environment outside the repository with torch (as the README says: first) and the wheel."
    tmp = tmp_path_factory.mktemp("user")
    venv = tmp/"venv"
    torch = os.environ.get("REDUNDANCY_NB_TORCH") or f"torch=={__import__('torch').__version__.split('+')[0]}"
    if UV:   # uv links from its cache: seconds instead of minutes
        sh(UV, "venv", "-q", venv, "--python", sys.executable, cwd=tmp)
        install = [UV, "pip", "install", "-q", "--python", venv/"bin"/"python"]
    else:
        sh(sys.executable, "-m", "venv", venv, cwd=tmp)
        install = [venv/"bin"/"python", "-m", "pip", "install", "-q"]
    sh(*install, *torch.split(), cwd=tmp)
    sh(*install, dist[0], cwd=tmp)
    return venv, tmp

@pytest.mark.slow
def test_installed_wheel_is_not_the_repository(user_venv):
    venv, tmp = user_venv
    where = sh(venv/"bin"/"python", "-c", f"import {NAME}; print({NAME}.__file__)", cwd=tmp, env=user_env(tmp)).strip()
    assert Path(where).is_relative_to(venv) and not Path(where).is_relative_to(ROOT), where

@pytest.mark.slow
def test_console_script_version(user_venv):
    venv, tmp = user_venv
    assert sh(venv/"bin"/NAME, "--version", cwd=tmp, env=user_env(tmp)).strip() == f"{NAME} {VERSION}"

def without_timings(obj):
    if isinstance(obj, dict): return {k: without_timings(v) for k, v in obj.items() if not any(t in k for t in ("seconds", "time", "latency", "rtf"))}
    if isinstance(obj, list): return [without_timings(v) for v in obj]
    return obj

@pytest.mark.slow
def test_smoke_preset_from_the_wheel(user_venv, smoke_run):
    venv, tmp = user_venv
    out = sh(venv/"bin"/NAME, "run", "--preset", "smoke", "--out", "runs/smoke", "--quiet", cwd=tmp, env=user_env(tmp))
    run = tmp/"runs"/"smoke"
    assert (run/"results.json").is_file() and "smoke:" in out
    assert {p.name for p in (run/"figures").iterdir()} == {p.name for p in (smoke_run/"figures").iterdir()}
    got, expected = (json.loads((r/"results.json").read_text())["stages"] for r in (run, smoke_run))
    assert without_timings(got) == without_timings(expected)      # the wheel computes what the repository's install does

@pytest.mark.slow
def test_readme_example_from_the_wheel(user_venv):
    venv, tmp = user_venv
    codes, shown = readme_example()
    *body, last = "\n".join(codes).strip().splitlines()
    script = "\n".join(body + [f"print(repr({last}))"])
    out = sh(venv/"bin"/"python", "-c", script, cwd=tmp, env=user_env(tmp))
    assert out.strip().splitlines()[-1] == shown, (out, shown)
