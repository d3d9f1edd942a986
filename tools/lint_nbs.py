"""Two checks of the notebooks. (1) Keep them buildable as docs: nbdev's doc processors execute every cell that contains an import (anywhere
in it), alone and out of order, to render `show_doc`. A cell that mixes imports with code that needs earlier,
non-executed cells breaks the docs build (`nbdev_proc_nbs`, `nbdev_docs`). The rule, from nbdev's FAQ: imports
go in cells of their own. `--fix` moves the top-level imports of a mixed cell into a new cell just before it. (2) Markdown does not state
results by hand: numbers and findings of a run are rendered by code or asserted (see `prose_problems`).

    python tools/lint_nbs.py [--fix] [notebooks...]
"""
import argparse, ast, sys
from pathlib import Path
import nbformat

ROOT = Path(__file__).resolve().parents[1]

def _directives(src):
    return {l[2:].strip().split(":")[0].split()[0] for l in src.splitlines() if l.startswith("#|") and l[2:].strip()}

def _code(src):
    "Cell source without directive lines and IPython magics, for ast."
    return "\n".join("" if l.lstrip().startswith(("#|", "%", "!")) else l for l in src.splitlines())

def problems(nb):
    "Indices of code cells that nbdev would execute for the docs although they hold more than imports."
    out = []
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code" or not c.source.strip(): continue
        d = _directives(c.source)
        if d & {"export", "exports", "exporti", "exec_doc"} or "eval:" in c.source.split("\n")[0]: continue
        try: tree = ast.parse(_code(c.source))
        except SyntaxError: continue
        has_import = any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree))
        if has_import and any(not isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body): out.append(i)
    return out

def fix(nb):
    "Move the top-level imports of each mixed cell into a new cell before it; returns cells left unfixable."
    left = []
    for i in reversed(problems(nb)):
        c = nb.cells[i]
        lines = c.source.splitlines()
        tree = ast.parse(_code(c.source))
        imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        nested = any(isinstance(n, (ast.Import, ast.ImportFrom)) for t in tree.body if not isinstance(t, (ast.Import, ast.ImportFrom)) for n in ast.walk(t))
        if nested or not imports: left.append(i); continue
        code = _code(c.source).splitlines()
        head = [ast.get_source_segment(_code(c.source), n) for n in imports]
        for n in reversed(imports):   # cut each import out of its lines (an import may share a line: `import x; f()`)
            a, b = n.lineno - 1, n.end_lineno - 1
            rest = code[b][n.end_col_offset:].lstrip()
            rest = rest[1:].lstrip() if rest.startswith(";") else rest
            before = code[a][:n.col_offset].rstrip()
            before = before[:-1].rstrip() if before.endswith(";") else before
            joined = "; ".join(x for x in (before, rest) if x)
            lines[a:b + 1] = [joined] if joined else []
            code[a:b + 1] = [joined] if joined else []
        c.source = "\n".join(lines).strip("\n")
        keep = [l for l in lines if l.startswith("#|") and l[2:].strip().split(":")[0].strip() in ("hide", "include", "echo")]
        nb.cells.insert(i, nbformat.v4.new_code_cell("\n".join(keep + head)))
    return left

# ---- Prose that states results ----------------------------------------------------------------------------------
# Markdown is typed by hand, so it must not state what a run measured: such numbers and findings are rendered by
# code (IPython.display.Markdown built from the results) or stand next to an assertion. The check flags, in Markdown
# cells, the shapes that results take: percentages, fractions like 0.42, durations, speed-ups (5.5×), "5 of 12", and
# sentences that say what a run found ("on the demo teacher ... beats ..."). Allowed without a marker: numbers in a
# clause that cites the paper (the paper's own), values of settings (`k = 8`, code spans, maths, link targets) and the
# protocol's fixed shares (95 %, 2.5/97.5 %, 50 %). A cell can vouch for its numbers with an HTML comment (invisible
# on the page): `<!-- benchmark: benchmarks/bench_x.py -->` (printed by that script, which must exist),
# `<!-- asserted -->` (one of the next two code cells asserts them: it must contain `assert` or `test_`), or
# `<!-- allow: 7 s; 0.1–1 s -->` (exactly these tokens).
import re

_RANGE = r"\d+(?:\.\d+)?(?:\s?[–-]\s?\d+(?:\.\d+)?)?"
NUMBER_PATTERNS = {
    "percentage": re.compile(rf"(?<![\w.]){_RANGE}\s?%"),
    "fraction": re.compile(r"(?<![\w.=/])0\.\d{2,}(?![\w.])"),
    "duration": re.compile(rf"(?<![\w.]){_RANGE}\s?(?:ms|s|min|minutes?|seconds?|hours?)(?![\w])"),
    "ratio": re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?×(?!\s?\d)"),
    "count": re.compile(r"(?<![\w.])\d+ of (?:the |its |all )?\d[\d,]*(?![\w.])"),
    "share in words": re.compile(r"\b(?:about|roughly|nearly|almost|over|under|some) (?:a|one|two) (?:third|quarter|fifth|half)s?\b", re.I),
}
SETTING_TOKENS = {"95%", "≥95%", "2.5%", "97.5%", "2.5/97.5%", "50%", "100%", "1s", "1second"}
CITES_PAPER = re.compile(r"\b(paper|paper's|authors?|arXiv|Dorszewski|appendix|Tables? [1-4]|Fig\. ?[23][abc]?)\b", re.I)
RUN_WORDS = re.compile(r"\b(this run|the run's|the run shown|demo (?:teacher|run|shows)|on the demo|in this run|this (?:tiny )?teacher)\b", re.I)
FINDING_WORDS = re.compile(r"\b(beats?|outperforms?|noticeably|coincide|identical orders?|same order|no separate|as in the paper|"
                           r"much (?:more|less|cheaper|faster|slower)|collapses?|keeps? well under|the paper's picture)\b", re.I)
_MARKER = re.compile(r"<!--\s*(benchmark|asserted|allow)\s*:?\s*(.*?)\s*-->", re.S)

def _strip(text):
    "Markdown without what holds settings or code: code blocks and spans, maths, link targets, HTML comments."
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$", " ", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", " ", text)
    return re.sub(r"\]\([^)]*\)", "]", text)

def _clauses(text):
    "Sentences and clauses (split at . ; : and at list items and table rows)."
    text = re.sub(r"\n\s*(?=[-*|#]|\d+\.\s)", "\n\n", text)
    return [c for c in re.split(r"(?<=[.;:!?])\s+|\n\s*\n", text) if c.strip()]

def _asserted_after(cells, i):
    code = [c for c in cells[i + 1:] if c.cell_type == "code"][:2]
    return any(re.search(r"\bassert\b|\btest_\w+\(", c.source) for c in code)

def prose_problems(nb, root=ROOT):
    "(cell index, what, the clause) for every Markdown statement of a result that no code produced or asserts."
    out = []
    for i, c in enumerate(nb.cells):
        if c.cell_type != "markdown": continue
        markers = {k: v for k, v in _MARKER.findall(c.source)}
        if "benchmark" in markers:
            if not (root/markers["benchmark"].strip()).is_file(): out.append((i, "benchmark marker", f"{markers['benchmark']!r} does not exist"))
            continue
        if "asserted" in markers:
            if not _asserted_after(nb.cells, i): out.append((i, "asserted marker", "none of the next two code cells asserts anything"))
            continue
        allowed = {t.replace(" ", "") for t in re.sub(r"\([^)]*\)", "", markers.get("allow", "")).split(";") if t.strip()}   # "(why)" is a note
        text = _strip(c.source)
        for para in re.split(r"\n\s*\n", text):
            if RUN_WORDS.search(para) and (m := FINDING_WORDS.search(para)):
                out.append((i, "finding", f"{m.group(0)!r} in: {' '.join(para.split())[:160]}"))
        for clause in _clauses(text):
            if CITES_PAPER.search(clause): continue
            for kind, pattern in NUMBER_PATTERNS.items():
                for m in pattern.finditer(clause):
                    token = m.group(0).replace(" ", "").replace("\u202f", "")
                    if token in SETTING_TOKENS or token in allowed: continue
                    if kind == "percentage" and clause[:m.start()].rstrip().endswith(("≥", ">=", "at least")) and token == "95%": continue
                    out.append((i, kind, f"{m.group(0)!r} in: {' '.join(clause.split())[:160]}"))
    return out

def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("--fix", action="store_true")
    a.add_argument("notebooks", nargs="*", type=Path)
    args = a.parse_args()
    paths = args.notebooks or sorted(p for p in (ROOT/"nbs").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and not p.name.startswith("_"))
    bad = {}
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        if args.fix and problems(nb):
            left = fix(nb)
            nbformat.write(nb, p)
            if left: bad[p] = left
        elif problems(nb): bad[p] = problems(nb)
    for p, cells in bad.items():
        print(f"{p}: cells {cells} mix imports with other code (nbdev executes them for the docs); "
              f"put the imports in a cell of their own")
    prose = {p: found for p in paths if (found := prose_problems(nbformat.read(p, as_version=4)))}
    for p, found in prose.items():
        for i, kind, detail in found:
            print(f"{p}: cell {i}: {kind} stated by hand (render it from the results, or mark it; see tools/lint_nbs.py): {detail}")
    sys.exit(1 if bad or prose else 0)

if __name__ == "__main__": main()
