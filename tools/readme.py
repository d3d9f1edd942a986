"""Write README.md from nbs/index.ipynb without quarto (nbdev_readme needs the quarto binary).

Cells flagged `#| hide` or `#| include: false` are dropped, `#| echo: false` keeps only the outputs,
directive lines are stripped, then nbconvert renders Markdown. `--check` exits 1 if README.md is stale.
"""
import argparse, sys
from pathlib import Path
import nbformat
from nbconvert import MarkdownExporter

ROOT = Path(__file__).resolve().parents[1]

def _directives(src):
    "Map of `#| key: value` directives at the top of a cell."
    out = {}
    for line in src.splitlines():
        if not line.startswith('#|'): break
        key, _, val = line[2:].strip().partition(':')
        out[key.strip()] = val.strip()
    return out

def readme_text(nb_path=ROOT/'nbs'/'index.ipynb'):
    "README Markdown rendered from the index notebook."
    nb = nbformat.read(nb_path, as_version=4)
    cells = []
    for c in nb.cells:
        d = _directives(c.source) if c.cell_type == 'code' else {}
        if 'hide' in d or d.get('include') == 'false' or 'export' in d or 'exporti' in d: continue
        if d: c.source = '\n'.join(l for l in c.source.splitlines() if not l.startswith('#|'))
        if d.get('echo') == 'false': c.source = ''
        if c.cell_type == 'code':   # figures live in the docs; README.md stays text (no image files to ship)
            c.outputs = [o for o in c.get('outputs', []) if not any(k.startswith('image/') for k in o.get('data', {}))]
            if not c.source and not c.outputs: continue
        cells.append(c)
    nb.cells = cells
    exp = MarkdownExporter(); exp.exclude_input_prompt = exp.exclude_output_prompt = True
    body, _ = exp.from_notebook_node(nb)
    note = '<!-- Generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file. -->\n\n'
    return note + body.strip() + '\n'

def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--check', action='store_true', help='exit 1 if README.md differs from the notebook')
    a = p.parse_args()
    txt, readme = readme_text(), ROOT/'README.md'
    if a.check:
        if not readme.exists() or readme.read_text() != txt:
            sys.exit('README.md is stale: run `python tools/readme.py` (it is generated from nbs/index.ipynb)')
        print('README.md is current')
    else:
        readme.write_text(txt); print(f'wrote {readme}')

if __name__ == '__main__': main()
