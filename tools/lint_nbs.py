"""Keep notebooks buildable as docs: nbdev's doc processors execute every cell that contains an import (anywhere
in it), alone and out of order, to render `show_doc`. A cell that mixes imports with code that needs earlier,
non-executed cells breaks the docs build (`nbdev_proc_nbs`, `nbdev_docs`). The rule, from nbdev's FAQ: imports
go in cells of their own. `--fix` moves the top-level imports of a mixed cell into a new cell just before it.

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
    sys.exit(1 if bad else 0)

if __name__ == "__main__": main()
