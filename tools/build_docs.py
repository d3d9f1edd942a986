"""Build the docs site offline, without quarto: the same pages `nbdev_docs` renders, as plain HTML.

1. `nbdev_proc_nbs` runs nbdev's own doc processors (show_doc for every exported symbol, directives,
   front matter) into `_proc/`, exactly as the quarto build does;
2. nbconvert turns each processed notebook into an HTML page (figures embedded), honouring the quarto cell
   options nbdev emits (`echo: false`, `include: false`, `output: asis`), and `.ipynb` links become `.html`;
3. every page gets the navigation of `nbs/sidebar.yml`.

    python tools/build_docs.py [--out _site]
"""
import argparse, html, json, re, shutil, subprocess, sys, time
from pathlib import Path

import nbformat, yaml
from nbconvert import HTMLExporter
from readme import _directives as _options   # the same `#| key: value` parsing as the README build

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/"nbs"

def _front_matter(nb):
    "Title and description from the YAML front matter nbdev writes as the first raw cell (removed from the cells)."
    for i, c in enumerate(nb.cells):
        if c.cell_type == "raw" and c.source.startswith("---"):
            meta = yaml.safe_load(c.source.strip().strip("-")) or {}
            del nb.cells[i]
            return meta
    return {}

def _prepare(nb):
    "Apply the cell options nbdev's processors leave for quarto."
    cells = []
    for c in nb.cells:
        if c.cell_type == "code":
            o = _options(c.source)
            if o.get("include") == "false": continue
            c.source = "\n".join(l for l in c.source.splitlines() if not l.startswith("#|")).strip()
            if o.get("echo") == "false" or not c.source: c.source = ""
            for out in c.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stderr": out["text"] = ""
            if o.get("output") == "asis":   # show_doc output: markdown meant to be read as page content
                md = "".join(out.get("data", {}).get("text/markdown", "") for out in c.get("outputs", []))
                md = re.sub(r"\]\(([^)]*)\)\{[^}]*\}", r"](\1)", md)   # pandoc link attributes: quarto-only
                if md: cells.append(nbformat.v4.new_markdown_cell(md)); continue
            c.outputs = [o_ for o_ in c.get("outputs", []) if not (o_.get("output_type") == "stream" and not o_.get("text"))
                         and "application/vnd.jupyter.widget-view+json" not in o_.get("data", {})]   # live widgets: no kernel here
            if not c.source and not c.outputs: continue
        cells.append(c)
    nb.cells = cells
    return nb

def _pages():
    "Notebook paths (relative to nbs/) in sidebar order: index first, then the sidebar's entries and globs."
    side = yaml.safe_load((NBS/"sidebar.yml").read_text())["website"]["sidebar"]["contents"]
    order, sections = [], []
    def add(entry, section):
        for p in sorted(NBS.glob(entry)) if "*" in entry else [NBS/entry]:
            if p.suffix == ".ipynb" and p.exists() and p not in order: order.append(p); sections.append(section)
    for item in side:
        if isinstance(item, str): add(item, "")
        else:
            for e in item["contents"] if isinstance(item["contents"], list) else [item["contents"]]: add(e, item["section"])
    return [(p.relative_to(NBS), s) for p, s in zip(order, sections)]

NAV_CSS = """
body { margin: 0; }
#rnb-nav { position: fixed; top: 0; left: 0; bottom: 0; width: 230px; overflow-y: auto; padding: 1rem; background: #f7f7f9;
           border-right: 1px solid #ddd; font: 14px/1.5 system-ui, sans-serif; }
#rnb-nav a { display: block; color: #234; text-decoration: none; padding: 1px 0; }
#rnb-nav a.current { font-weight: bold; }
#rnb-nav .section { margin-top: .8rem; font-weight: 600; color: #666; text-transform: uppercase; font-size: 11px; }
#rnb-main { margin-left: 262px; padding: 1rem 2rem; max-width: 1100px; }
#rnb-main .description { font-style: italic; opacity: .75; font-size: 1.2em; }
#rnb-main img { max-width: 100%; }
"""

def _nav(pages, current, titles):
    "The navigation column, links relative to the current page."
    depth = len(current.parts) - 1
    up = "../" * depth
    items, last = [f'<a href="{up}index.html"><b>redundancy_nb</b></a>'], None
    for p, section in pages:
        if p.stem == "index": continue
        if section != last and section: items.append(f'<div class="section">{html.escape(section)}</div>')
        last = section
        href = up + p.with_suffix(".html").as_posix()
        cls = ' class="current"' if p == current else ""
        items.append(f'<a{cls} href="{href}">{html.escape(titles[p])}</a>')
    return '<nav id="rnb-nav">' + "\n".join(items) + "</nav>"

def _copy_mathjax(out):
    "A local MathJax (from the jupyter_server_mathjax wheel) so formulas render without a CDN; None if absent."
    try: import jupyter_server_mathjax
    except ImportError: return None
    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent/"static", out/"_static"/"mathjax")
    return "_static/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"

def _offline(body, up, mathjax):
    "Serve MathJax locally and drop the CDN scripts a static page does not need (require.js, the widget manager)."
    body = re.sub(r'<script[^>]*src="https://[^"]*require\.min\.js"[^>]*>\s*</script>', "", body)
    body = re.sub(r"<script>\s*\(function\(\) \{\s*function addWidgetsRenderer.*?</script>", "", body, flags=re.S)
    body = body.replace("messageStyle: 'none',", "messageStyle: 'none', 'HTML-CSS': {availableFonts: ['STIX-Web'], "
                        "preferredFont: 'STIX-Web', webFont: 'STIX-Web', imageFont: null},", 1)
    cdn = re.search(r'src="(https://[^"]*mathjax[^"]*)"', body)
    if cdn: body = body.replace(cdn.group(1), up + mathjax) if mathjax else body.replace(f'src="{cdn.group(1)}"', 'src=""')
    return body

# `nbdev_proc_nbs`, less its quarto check: without quarto on PATH, nbdev 2 tries to install quarto (with sudo) and then
# runs `pip install -e ".[dev]"` with whatever pip is first on PATH (the system Python's, outside a venv): minutes of
# CPU in every docs build, and a changed system Python. Processing the notebooks needs neither.
PROC_NBS = "import nbdev.quarto as q; q._ensure_quarto = lambda: None; q.nbdev_proc_nbs.__wrapped__(n_workers=0)"

def build(out=ROOT/"_site", proc=ROOT/"_proc", run_proc=True):
    "Build the offline site into `out`; returns the list of pages written."
    t0 = time.time()
    if run_proc:
        shutil.rmtree(proc, ignore_errors=True)
        subprocess.run([sys.executable, "-c", PROC_NBS], cwd=ROOT, check=True)
    pages = _pages()
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input_prompt = exporter.exclude_output_prompt = True
    shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
    mathjax = _copy_mathjax(out)
    nbs, titles = {}, {}
    for p, _ in pages:
        nb = nbformat.read(proc/p, as_version=4)
        meta = _front_matter(nb)
        titles[p] = str(meta.get("title") or p.stem)
        nbs[p] = (nb, meta)
    written = []
    for p, _ in pages:
        nb, meta = nbs[p]
        _prepare(nb)
        body, _ = exporter.from_notebook_node(nb)
        body = re.sub(r'href="(?!https?:|#|mailto:)([^"#]+)\.ipynb(#[^"]*)?"', r'href="\1.html\2"', body)
        body = _offline(body, "../" * (len(p.parts) - 1), mathjax)
        head = f'<h1 class="title">{html.escape(titles[p])}</h1>'
        if meta.get("description"): head += f'<p class="description">{html.escape(str(meta["description"]))}</p>'
        body = re.sub(r"<title>.*?</title>", f"<title>{html.escape(titles[p])} – redundancy_nb</title>", body, count=1, flags=re.S)
        body = body.replace("</head>", f"<style>{NAV_CSS}</style></head>", 1)
        body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + _nav(pages, p, titles) + '<main id="rnb-main">' + head, body, count=1)
        body = body.replace("</body>", "</main></body>", 1)
        target = out/p.with_suffix(".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
        written.append(target)
    print(f"built {len(written)} pages into {out} in {time.time() - t0:.0f} s")
    return written

def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("--out", type=Path, default=ROOT/"_site", help="site folder (default: _site)")
    a.add_argument("--no-proc", action="store_true", help="reuse _proc/ from an earlier nbdev_proc_nbs")
    args = a.parse_args()
    build(args.out, run_proc=not args.no_proc)

if __name__ == "__main__": main()
