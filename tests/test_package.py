"Install smoke tests: the package, its metadata and its console script are what settings.ini declares."
import configparser, importlib, importlib.metadata as md, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CFG = configparser.ConfigParser(delimiters=["="]); CFG.read(ROOT/"settings.ini")
CFG = CFG["DEFAULT"]
MODULES = ["audio", "data", "models", "finetune", "similarity", "pruning", "distill", "efficiency", "pipeline", "widgets", "paper_numbers"]

def test_version_matches_settings():
    import redundancy_nb
    assert redundancy_nb.__version__ == CFG["version"] == md.version("redundancy_nb")

def test_every_module_imports():
    present = [m for m in MODULES if (ROOT/"redundancy_nb"/f"{m}.py").exists()]
    assert {"audio", "data", "models", "finetune", "similarity", "pipeline"} <= set(present)
    for m in present: importlib.import_module(f"redundancy_nb.{m}")

def test_declared_requirements_are_installed():
    for req in CFG["requirements"].split():
        name = req.split(">")[0].split("=")[0].split("<")[0].split("[")[0]
        md.version(name)  # raises PackageNotFoundError if the install step missed it

def test_console_script_is_installed():
    exe = shutil.which("redundancy_nb", path=str(Path(sys.executable).parent))
    assert exe, "the redundancy_nb console script is not installed next to this Python"
    r = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == f"redundancy_nb {CFG['version']}"

def test_no_heavy_files_in_git():
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True).stdout.split("\0")
    big = [f for f in files if f and (ROOT/f).is_file() and (ROOT/f).stat().st_size > 2_000_000]
    assert not big, f"files over 2 MB in git (datasets, checkpoints?): {big}"
