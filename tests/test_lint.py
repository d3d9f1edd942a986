"tools/lint_nbs.py's prose check: Markdown that states a run's numbers or findings by hand is flagged; settings, the paper's numbers and vouched-for cells are not."
import sys
from pathlib import Path
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/"tools"))
from lint_nbs import prose_problems

def nb(*cells):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) if k == "code" else nbformat.v4.new_markdown_cell(s) for k, s in cells])

# the contradictions issue 14 lists, as the notebooks stated them
STALE = {
    "05_pruning": "In this run, BI and adaptive BI remove 5 of the 12 blocks (42 %) at ≥ 95 % of the unpruned test accuracy, kNN-BI "
                  "and CKA-BI 4 (33 %), backward pruning 2 (17 %) and forward pruning 1 (8 %): the paper's picture (25–42 % for BI "
                  "and kNN-BI on the real models).",
    "fig2_pruning": "On the demo teacher, the block-influence orders keep ≥ 95 % of the accuracy for noticeably more removed blocks "
                    "than forward or backward removal, as in the paper.",
    "fig2_similarity": "On the demo teacher the first two blocks stand apart and the remaining ten form one large block; there is no "
                       "separate final block.",
    "06_distill": "In the run shown above every mimicker scores above its non-mimicker, by 0.05 to 0.28 in accuracy.",
    "07_efficiency": "On this tiny teacher the CNN front end is a large part of the work: even the head-only network takes about a "
                     "third of the teacher's time.",
    "fig3_efficiency": "The demo teacher is tiny. Mimickers still beat their non-mimicker twins, as in the paper.",
}

@pytest.mark.parametrize("name", sorted(STALE))
def test_the_issues_contradictions_are_flagged(name):
    assert prose_problems(nb(("markdown", STALE[name]))), name

def test_the_stale_pruning_text_is_flagged_number_by_number():
    kinds = [(kind, detail.split("'")[1]) for _, kind, detail in prose_problems(nb(("markdown", STALE["05_pruning"])))]
    assert ("count", "5 of the 12") in kinds and ("percentage", "42 %") in kinds and ("percentage", "8 %") in kinds
    assert not any("25–42" in token for _, token in kinds)            # the paper's range, in the clause that cites it

@pytest.mark.parametrize("text", [
    "Batches of 128 clips, k = 8, lr 2e-5, `initializer_range=0.02`, $z \\in \\{32, 768, 4096\\}$.",
    "The paper removes 25–42 % of the blocks at ≥ 95 % of the accuracy; its Table 1 lists 0.976 for the original.",
    "Bands: the central 95 % (2.5/97.5 %) of the bootstrap accuracies; Fig. 2c shades the blocks at 50 % accuracy.",
    "A [link](https://example.org/0.95%) and code: `0.42`.",
])
def test_settings_and_the_papers_numbers_pass(text):
    assert prose_problems(nb(("markdown", text))) == []

def test_markers_vouch_only_when_true(tmp_path):
    measured = "The benchmark measured 13.3 s against 2.4 s (5.5×)."
    assert prose_problems(nb(("markdown", measured + "\n<!-- benchmark: tools/lint_nbs.py -->")))== []
    assert prose_problems(nb(("markdown", measured + "\n<!-- benchmark: benchmarks/missing.py -->")))[0][1] == "benchmark marker"
    asserted = "Sleeping 20 ms takes 20 ms per clip.\n<!-- asserted -->"
    assert prose_problems(nb(("markdown", asserted), ("code", "t = run()"), ("code", "assert 0.02 <= t < 0.0235"))) == []
    assert prose_problems(nb(("markdown", asserted), ("code", "t = run()"), ("code", "t")))[0][1] == "asserted marker"
    allowed = "A passband up to 91 % of Nyquist and 4 s of speech.\n<!-- allow: 91 % (soxr's); 4 s -->"
    assert prose_problems(nb(("markdown", allowed))) == []
    assert [k for _, k, _ in prose_problems(nb(("markdown", allowed.replace("; 4 s", ""))))] == ["duration"]

def test_rendered_text_in_code_cells_is_not_prose():
    assert prose_problems(nb(("code", 'Markdown(f"In this run, BI removes {share:.0%} and beats forward")'))) == []

def test_the_repositorys_notebooks_pass():
    bad = {p.name: found for p in sorted((ROOT/"nbs").rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts
           and (found := prose_problems(nbformat.read(p, as_version=4)))}
    assert not bad, bad
