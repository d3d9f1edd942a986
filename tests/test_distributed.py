"""A run launched as two processes (torchrun, gloo on the CPU): fine-tuning is data-parallel, the similarity stage
shares its batches between the processes and merges them into the matrices a single process computes."""
import json, math, os, shutil, subprocess, sys
from pathlib import Path
import pytest
import torch
from redundancy_nb.pipeline import preset_config
from redundancy_nb.similarity import SimilarityMatrix

pytestmark = pytest.mark.slow   # `make test-more` (CI): torchrun launches of two processes (minutes)

BIN = Path(sys.executable).parent
EXE, TORCHRUN = shutil.which("redundancy_nb", path=str(BIN)), shutil.which("torchrun", path=str(BIN))
STAGES = "data,teacher,similarity"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}

def config(folder):
    "The smoke preset with three similarity batches of 4 training clips: shared 2 + 1 between two processes."
    cfg = preset_config("smoke")
    cfg.similarity.subset, cfg.similarity.batch_size, cfg.similarity.max_batches = "training", 4, 3
    cfg.similarity.cache = True                   # each process keeps its batches' statistics
    path = Path(folder)/"distributed.yaml"
    path.write_text(cfg.to_yaml())
    return str(path)

def single(out):
    r = subprocess.run([EXE, "run", "--config", config(out.parent), "--stages", STAGES, "--out", str(out), "--quiet"],
                       capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stderr

def two_processes(out):
    r = subprocess.run([TORCHRUN, "--standalone", "--nproc_per_node", "2", "--no-python", EXE, "run", "--config", config(out.parent),
                        "--stages", STAGES, "--out", str(out), "--quiet"], capture_output=True, text=True, env=ENV, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return json.loads((out/"results.json").read_text())

def matrices(out):
    return {p.stem: SimilarityMatrix.from_json(p) for p in (out/"tiny"/"similarity").glob("*.json") if p.stem != "blocks"}

def last_epoch(out):
    log = json.loads((out/"tiny"/"teacher"/"finetune.json").read_text())["log"]
    return max(e["epoch"] for e in log if "epoch" in e)

@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("single")/"run"
    single(out)
    return out

def test_similarity_shared_between_processes(reference, tmp_path):
    out = tmp_path/"run"
    shutil.copytree(reference, out)               # same teacher; similarity recomputed by two processes
    (out/"stages"/"similarity__tiny.json").unlink()
    shutil.rmtree(out/"tiny"/"similarity")
    results = two_processes(out)
    assert results["ran"] == ["similarity/tiny"]
    summary = results["stages"]["similarity/tiny"]
    assert summary["processes"] == 2
    expected, got = matrices(reference), matrices(out)
    assert set(got) == set(expected) == {"cosine", "cka", "mutual_knn"}
    for metric, m in expected.items():
        g = got[metric]
        assert (g.n, g.n_batches, g.n_clips, g.settings) == (m.n, m.n_batches, m.n_clips, m.settings)
        assert m.n_batches == 3                   # two in process 0, one in process 1
        torch.testing.assert_close(g.values, m.values, rtol=0, atol=1e-6)
        torch.testing.assert_close(g.std, m.std, rtol=0, atol=1e-6)
    single_summary = json.loads((reference/"results.json").read_text())["stages"]["similarity/tiny"]
    assert summary["blocks"] == single_summary["blocks"]
    assert len(list((out/"tiny"/"similarity"/"stats").glob("*.safetensors"))) == 3   # each process cached its own batches' statistics

def test_finetuning_is_data_parallel(reference, tmp_path):
    out = tmp_path/"run"
    results = two_processes(out)
    assert {"data", "teacher/tiny", "similarity/tiny"} <= set(results["ran"])
    assert (out/"tiny"/"teacher"/"best"/"config.json").is_file()
    assert 0 <= results["stages"]["teacher/tiny"]["accuracy"] <= 1
    assert json.loads((out/"versions.json").read_text())["processes"] == 2
    assert json.loads((out/"tiny"/"teacher"/"finetune.json").read_text())["settings"]["processes"] == 2   # part of the recipe
    # the same 6 steps, each over 2 x 8 clips: an epoch takes half as many steps as in one process
    n_train = results["stages"]["data"]["summary"]["training"]["clips"]
    steps = preset_config("smoke").finetune.overrides["max_steps"]
    assert last_epoch(reference) == pytest.approx(steps / math.ceil(n_train / 8))
    assert last_epoch(out) == pytest.approx(steps / math.ceil(n_train / 16))
    again = two_processes(out)                    # resume: every stage is up to date
    assert again["ran"] == []
