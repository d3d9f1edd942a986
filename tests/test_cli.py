"""The `redundancy_nb` console script as a user runs it: help, exit codes and one-line errors.

A new process imports torch and transformers (about 9 s on a 2-core machine), so the installed script itself runs
where only a new process can show it (help, a one-line error with nothing else on stderr; and, marked slow, a whole
run from an edited config file with the students in worker processes); the other checks call its entry point,
`pipeline.main`, in this process: the same parser, validation and error handling, without the imports again."""
import json, shutil, subprocess, sys
from pathlib import Path
import pytest

EXE = shutil.which("redundancy_nb", path=str(Path(sys.executable).parent))

def cli(*args, cwd=None):
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)

def main(*args, capsys=None) -> tuple[int, str, str]:
    "`redundancy_nb ARGS` in this process: (exit status, stdout, stderr)."
    from redundancy_nb.pipeline import main as entry   # what the console script calls: sys.exit(main())
    try: rc = entry([str(a) for a in args])
    except SystemExit as e: rc = e.code               # argparse: --help (0), usage errors (2)
    out = capsys.readouterr()
    return rc, out.out, out.err

def test_help_lists_commands():
    r = cli("--help")
    assert r.returncode == 0
    for cmd in ("run", "config", "synth", "finetune", "similarity", "prune", "distill"): assert cmd in r.stdout

@pytest.mark.parametrize("cmd", ["run", "synth", "similarity", "prune", "distill", "finetune", "config"])
def test_subcommand_help(cmd, capsys):
    rc, out, _ = main(cmd, "--help", capsys=capsys)
    assert rc == 0 and "usage: redundancy_nb " + cmd in out

def test_config_round_trips_through_run(tmp_path, capsys):
    "The printed config, edited, is what `run --config` runs (in this process: two stages)."
    rc, out, _ = main("config", "--preset", "smoke", capsys=capsys)
    assert rc == 0 and "name: smoke" in out
    assert out.count("max_steps: 6") == 1
    (tmp_path/"smoke.yaml").write_text(out.replace("max_steps: 6", "max_steps: 2"))
    rc, out, err = main("run", "--config", tmp_path/"smoke.yaml", "--stages", "data,teacher", "--out", tmp_path/"run", "--quiet", capsys=capsys)
    assert rc == 0, err
    assert (tmp_path/"run"/"results.json").is_file() and "smoke:" in out
    trained = json.loads((tmp_path/"run"/"tiny"/"teacher"/"finetune.json").read_text())
    assert trained["settings"]["max_steps"] == 2 and max(e["step"] for e in trained["log"]) == 2

@pytest.mark.slow
def test_config_round_trips_through_the_script(tmp_path):
    "A user's path: the script prints the config, the edited file runs every stage, the students in two processes."
    r = cli("config", "--preset", "smoke")
    assert r.returncode == 0 and "name: smoke" in r.stdout
    assert r.stdout.count("workers: 1") == 1
    (tmp_path/"smoke.yaml").write_text(r.stdout.replace("workers: 1", "workers: 2"))   # the students in two processes
    r = cli("run", "--config", tmp_path/"smoke.yaml", "--out", tmp_path/"run", "--quiet")
    assert r.returncode == 0, r.stderr
    assert (tmp_path/"run"/"results.json").is_file() and "smoke:" in r.stdout
    students = json.loads((tmp_path/"run"/"tiny"/"distill"/"students.json").read_text())
    assert len(students) == 3 and all((tmp_path/"run"/p/"student.json").is_file() for p in students.values())

BAD = [(["run", "--preset", "nope"], "unknown preset 'nope'; valid presets: smoke, demo, paper"),
       (["run", "--config", "missing.yaml"], "config file missing.yaml does not exist"),
       (["similarity", "--model", "m", "--data", "no/such/dir", "--out", "o"], "no/such/dir: no such folder"),
       (["synth", "--out", "s", "--speakers", "0"], "n_speakers")]

def one_line_error(rc, err, message):
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("redundancy_nb: error: ") and message in lines[0], (rc, err)

def test_bad_input_from_the_script(tmp_path):
    "In a new process: exit status 2 and one line on stderr, nothing else (no warnings of the imports)."
    args, message = BAD[0]
    r = cli(*args, cwd=tmp_path)
    one_line_error(r.returncode, r.stderr, message)

@pytest.mark.parametrize("args,message", BAD)
def test_bad_input_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    rc, _, err = main(*args, capsys=capsys)
    one_line_error(rc, err, message)

def test_unwritable_out_dir(tmp_path, capsys):
    (tmp_path/"file").write_text("not a folder")   # works as root too, where chmod does not stop writes
    rc, _, err = main("run", "--preset", "smoke", "--out", tmp_path/"file"/"run", capsys=capsys)
    assert rc == 2 and "is not writable" in err, err

def test_synth_prints_summary(tmp_path, capsys):
    rc, out, err = main("synth", "--out", tmp_path/"sc", "--words", "yes,no", "--speakers", "10", capsys=capsys)
    assert rc == 0, err
    assert "training" in out and "testing" in out and (tmp_path/"sc"/"validation_list.txt").is_file()

def test_set_changes_settings_end_to_end(tmp_path, capsys):
    "`--set` reaches every stage: similarity definitions, CKA-BI estimator, waveform normalisation, the timing protocol."
    rc, _, err = main("run", "--preset", "smoke", "--out", tmp_path/"run", "--stages", "data,teacher,similarity,pruning,efficiency,report", "--quiet",
                      "--set", "similarity.center=false", "--set", "similarity.normalize=false", "--set", "pruning.orders=[forward,cka_bi]",
                      "--set", "pruning.cka_estimator=unbiased", "--set", "models.0.normalize=true", "--set", "efficiency.clips=testing",
                      "--set", "efficiency.n_runs=null", "--set", "efficiency.warmup=2", "--set", "efficiency.threads=1", capsys=capsys)
    assert rc == 0, err
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

def test_bad_set_is_one_line_and_exit_2(tmp_path, capsys):
    rc, _, err = main("run", "--preset", "smoke", "--out", tmp_path/"run", "--set", "pruning.cka=1", capsys=capsys)
    one_line_error(rc, err, "pruning has no key 'cka'")
