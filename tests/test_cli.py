"The `redundancy_nb` console script as a user runs it: help, exit codes and one-line errors."
import json, shutil, subprocess, sys
from pathlib import Path
import pytest

EXE = shutil.which("redundancy_nb", path=str(Path(sys.executable).parent))

def cli(*args, cwd=None):
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)

def test_help_lists_commands():
    r = cli("--help")
    assert r.returncode == 0
    for cmd in ("run", "config", "synth", "finetune", "similarity", "prune", "distill"): assert cmd in r.stdout

@pytest.mark.parametrize("cmd", ["run", "synth", "similarity", "prune", "distill", "finetune", "config"])
def test_subcommand_help(cmd, capsys):
    from redundancy_nb.pipeline import main     # the console script's own entry point, in this process: a subprocess
    with pytest.raises(SystemExit) as e: main([cmd, "--help"])   # per command would import torch + transformers again
    assert e.value.code == 0 and "usage: redundancy_nb " + cmd in capsys.readouterr().out

def test_config_round_trips_through_run(tmp_path):
    r = cli("config", "--preset", "smoke")
    assert r.returncode == 0 and "name: smoke" in r.stdout
    assert r.stdout.count("workers: 1") == 1
    (tmp_path/"smoke.yaml").write_text(r.stdout.replace("workers: 1", "workers: 2"))   # the students in two processes
    r = cli("run", "--config", tmp_path/"smoke.yaml", "--out", tmp_path/"run", "--quiet")
    assert r.returncode == 0, r.stderr
    assert (tmp_path/"run"/"results.json").is_file() and "smoke:" in r.stdout
    students = json.loads((tmp_path/"run"/"tiny"/"distill"/"students.json").read_text())
    assert len(students) == 3 and all((tmp_path/"run"/p/"student.json").is_file() for p in students.values())

@pytest.mark.parametrize("args,message", [
    (["run", "--preset", "nope"], "unknown preset 'nope'; valid presets: smoke, demo, paper"),
    (["run", "--config", "missing.yaml"], "config file missing.yaml does not exist"),
    (["similarity", "--model", "m", "--data", "no/such/dir", "--out", "o"], "no/such/dir: no such folder"),
    (["synth", "--out", "s", "--speakers", "0"], "n_speakers"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    r = cli(*args, cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("redundancy_nb: error: ") and message in lines[0], r.stderr

def test_unwritable_out_dir(tmp_path):
    (tmp_path/"file").write_text("not a folder")   # works as root too, where chmod does not stop writes
    r = cli("run", "--preset", "smoke", "--out", tmp_path/"file"/"run")
    assert r.returncode == 2 and "is not writable" in r.stderr, r.stderr

def test_synth_prints_summary(tmp_path):
    r = cli("synth", "--out", tmp_path/"sc", "--words", "yes,no", "--speakers", "10")
    assert r.returncode == 0, r.stderr
    assert "training" in r.stdout and "testing" in r.stdout and (tmp_path/"sc"/"validation_list.txt").is_file()

def test_set_changes_settings_end_to_end(tmp_path):
    "`--set` reaches every stage: similarity definitions, CKA-BI estimator, waveform normalisation, the timing protocol."
    r = cli("run", "--preset", "smoke", "--out", tmp_path/"run", "--stages", "data,teacher,similarity,pruning,efficiency,report", "--quiet",
            "--set", "similarity.center=false", "--set", "similarity.normalize=false", "--set", "pruning.orders=[forward,cka_bi]",
            "--set", "pruning.cka_estimator=unbiased", "--set", "models.0.normalize=true", "--set", "efficiency.clips=testing",
            "--set", "efficiency.n_runs=null", "--set", "efficiency.warmup=2", "--set", "efficiency.threads=1")
    assert r.returncode == 0, r.stderr
    run = tmp_path/"run"
    knn = json.loads((run/"tiny"/"similarity"/"mutual_knn.json").read_text())["settings"]
    assert (knn["center"], knn["normalize"]) == (False, False)
    assert json.loads((run/"tiny"/"pruning"/"orders.json").read_text())["cka_bi"]["settings"]["estimator"] == "unbiased"
    assert json.loads((run/"tiny"/"teacher"/"best"/"preprocessor_config.json").read_text())["do_normalize"] is True
    stages = json.loads((run/"results.json").read_text())["stages"]
    assert stages["teacher/tiny"]["do_normalize"] is True
    timing = stages["efficiency/tiny"]["timing"]
    n_test = stages["data"]["summary"]["testing"]["clips"]
    assert (timing["threads"], timing["warmup"], timing["n_runs"]) == (1, 2, n_test), timing
    assert (run/"tables"/"efficiency_tiny.md").read_text().startswith("Timed on cpu with 1 CPU thread:")

def test_bad_set_is_one_line_and_exit_2(tmp_path):
    r = cli("run", "--preset", "smoke", "--out", tmp_path/"run", "--set", "pruning.cka=1")
    assert r.returncode == 2 and "pruning has no key 'cka'" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
