"""Write README.md from nbs/index.ipynb without quarto (nbdev_readme needs the quarto binary), and the small PNGs of
its figures into gallery/ (README.md links them, so GitHub and PyPI readers see the demo's figures).

Cells flagged `#| hide` or `#| include: false` are dropped, `#| echo: false` keeps only the outputs,
directive lines are stripped, then nbconvert renders Markdown. Every figure among the outputs becomes
gallery/figure-<n>.png, scaled to at most 720 pixels wide with a 128-colour palette (tens of KB), and an image link
to it: an absolute URL on the repository's main branch (from settings.ini), which PyPI renders too. `--check` exits 1
if README.md or a gallery file is stale (images compared by their pixels) or a stale gallery file is left over.
"""
import argparse, base64, configparser, io, sys
from pathlib import Path
import nbformat
import numpy as np
from nbconvert import MarkdownExporter
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT/'gallery'
MAX_WIDTH = 720

def _directives(src):
    "Map of `#| key: value` directives at the top of a cell."
    out = {}
    for line in src.splitlines():
        if not line.startswith('#|'): break
        key, _, val = line[2:].strip().partition(':')
        out[key.strip()] = val.strip()
    return out

def _gallery_url(name:str) -> str:
    "Where README.md points for gallery file `name`: the file on the repository's branch (settings.ini)."
    cfg = configparser.ConfigParser(); cfg.read(ROOT/'settings.ini')
    s = cfg['DEFAULT']
    return f"{s['git_url'].replace('https://github.com/', 'https://raw.githubusercontent.com/')}/{s.get('branch', 'main')}/gallery/{name}"

def small_png(png:bytes) -> bytes:
    "A figure as a small PNG: at most `MAX_WIDTH` pixels wide, 128 colours."
    img = Image.open(io.BytesIO(png)).convert('RGB')
    if img.width > MAX_WIDTH: img = img.resize((MAX_WIDTH, round(img.height * MAX_WIDTH / img.width)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, format='PNG', optimize=True)
    return out.getvalue()

def readme_text(nb_path=ROOT/'nbs'/'index.ipynb') -> tuple[str, dict[str, bytes]]:
    "README Markdown rendered from the index notebook, and its gallery images by file name."
    nb = nbformat.read(nb_path, as_version=4)
    cells, images = [], {}
    for c in nb.cells:
        d = _directives(c.source) if c.cell_type == 'code' else {}
        if 'hide' in d or d.get('include') == 'false' or 'export' in d or 'exporti' in d: continue
        if d: c.source = '\n'.join(l for l in c.source.splitlines() if not l.startswith('#|'))
        if d.get('echo') == 'false': c.source = ''
        if c.cell_type == 'code':   # figures become gallery files and image links
            outputs = []
            for o in c.get('outputs', []):
                png = o.get('data', {}).get('image/png')
                if png is None:
                    if not any(k.startswith('image/') for k in o.get('data', {})): outputs.append(o)
                    continue
                name = f'figure-{len(images) + 1}.png'
                images[name] = small_png(base64.b64decode(png))
                outputs.append(nbformat.v4.new_output('display_data', data={'text/markdown': f'![Gallery figure {len(images)}]({_gallery_url(name)})'}))
            c.outputs = outputs
            if not c.source and not c.outputs: continue
            if not c.source: c.metadata['transient'] = {'remove_source': True}   # no empty code block before the outputs
        cells.append(c)
    nb.cells = cells
    exp = MarkdownExporter(); exp.exclude_input_prompt = exp.exclude_output_prompt = True
    body, _ = exp.from_notebook_node(nb)
    note = '<!-- Generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file. -->\n\n'
    return note + body.strip() + '\n', images

def _pixels(png:bytes) -> np.ndarray: return np.asarray(Image.open(io.BytesIO(png)).convert('RGB'))

def stale(txt:str, images:dict[str, bytes]) -> list[str]:
    "What differs from what `readme_text` gives: README.md, gallery files (by pixels), gallery files left over."
    out = [] if (ROOT/'README.md').exists() and (ROOT/'README.md').read_text() == txt else ['README.md']
    for name, png in images.items():
        p = GALLERY/name
        if not p.is_file() or p.read_bytes() != png and not np.array_equal(_pixels(p.read_bytes()), _pixels(png)): out.append(f'gallery/{name}')
    out += [f'gallery/{p.name} (left over)' for p in sorted(GALLERY.glob('*.png')) if p.name not in images] if GALLERY.is_dir() else []
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--check', action='store_true', help='exit 1 if README.md or its gallery differs from the notebook')
    a = p.parse_args()
    txt, images = readme_text()
    if a.check:
        if bad := stale(txt, images):
            sys.exit(f'README.md or its gallery is stale ({", ".join(bad)}): run `python tools/readme.py` (it is generated from nbs/index.ipynb)')
        print('README.md and its gallery are current')
    else:
        (ROOT/'README.md').write_text(txt)
        GALLERY.mkdir(exist_ok=True)
        for old in GALLERY.glob('*.png'):
            if old.name not in images: old.unlink()
        for name, png in images.items(): (GALLERY/name).write_bytes(png)
        print(f'wrote {ROOT/"README.md"} and {len(images)} gallery images ({sum(map(len, images.values())) // 1024} KB)')

if __name__ == '__main__': main()
