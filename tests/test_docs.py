"""The offline docs site, opened page by page in headless Chromium (Selenium + Debian's chromium-driver):
every page loads without console errors, shows its title, every figure of its notebook, show_doc entries for
the module's exported functions and classes, and its internal links resolve."""
import importlib, inspect, json, os, shutil, subprocess, sys
from pathlib import Path
from urllib.parse import urlparse, unquote
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/"tools"))
import build_docs

pytestmark = pytest.mark.slow   # `make test-more` (CI): builds the docs site and opens every page in Chromium (minutes)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    r = subprocess.run([sys.executable, ROOT/"tools"/"build_docs.py", "--out", out], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return out

@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        msg = "headless Chromium and chromedriver are needed: apt-get install chromium chromium-driver"
        if os.environ.get("CI"): pytest.fail(msg)
        pytest.skip(msg)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--window-size=1280,900"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()

def _notebook_images(nb_path):
    "Image outputs of a notebook (what its page must show)."
    nb = json.loads(nb_path.read_text())
    return sum(1 for c in nb["cells"] for o in c.get("outputs", []) if any(k.startswith("image/") for k in o.get("data", {})))

def test_every_sidebar_notebook_has_a_page(site):
    pages = {p.relative_to(site).with_suffix(".ipynb") for p in site.rglob("*.html")}
    expected = {p for p, _ in build_docs._pages()}
    assert expected <= pages and Path("index.ipynb") in pages

def mathjax_font_probe(message):
    "MathJax 2 declares a `MathJax_Blank` font at `about:blank` to detect web-font support; on a file:// page Chromium logs its failed load."
    return "font at 'about:blank'" in message or message.startswith("about:blank - Failed to load resource")

def test_pages_in_browser(site, browser):
    failures = []
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site)
        browser.get(page.as_uri())
        browser.get_log("browser")  # fetching clears; reload to capture this page's load only
        browser.refresh()
        errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE" and not mathjax_font_probe(e["message"])]
        if errors: failures.append(f"{rel}: console errors {errors[:3]}")
        if "redundancy_nb" not in browser.title: failures.append(f"{rel}: title {browser.title!r}")
        h1 = browser.execute_script("const h = document.querySelector('h1.title'); return h ? h.textContent.trim() : ''")
        if not h1: failures.append(f"{rel}: no title heading")
        imgs = browser.execute_script("return Array.from(document.querySelectorAll('#rnb-main img')).map("
                                      "i => [i.getAttribute('src') ? i.getAttribute('src').length : 0, i.complete, i.naturalWidth, i.naturalHeight])")
        broken = [i for i in imgs if not (i[0] and i[1] and i[2] > 0 and i[3] > 0)]
        if broken: failures.append(f"{rel}: {len(broken)} images fail to render")
        want = _notebook_images(ROOT/"nbs"/rel.with_suffix(".ipynb"))
        if len(imgs) < want: failures.append(f"{rel}: shows {len(imgs)} images, its notebook has {want} figure outputs")
        links = browser.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
        for href in links:
            u = urlparse(href)
            if u.scheme in ("http", "https", "mailto") or href.startswith("javascript:"): continue
            if not u.path:   # in-page anchor
                if u.fragment and not browser.execute_script("return !!(document.getElementById(arguments[0]) || document.getElementById(arguments[1]))",
                                                             u.fragment, unquote(u.fragment)):
                    failures.append(f"{rel}: anchor #{u.fragment} not on the page")
                continue
            target = (page.parent/unquote(u.path)).resolve()
            if not target.is_file(): failures.append(f"{rel}: link {href} -> missing {target}")
    assert not failures, "\n".join(failures)

def test_module_pages_document_every_exported_callable(site, browser):
    missing = []
    for page in sorted(site.glob("[0-9][0-9]_*.html")):
        nb = json.loads((ROOT/"nbs"/f"{page.stem}.ipynb").read_text())
        first = "".join(nb["cells"][0]["source"])
        if "default_exp" not in first: continue
        mod = importlib.import_module(f"redundancy_nb.{first.split('default_exp')[1].split()[0]}")
        names = [n for n in mod.__all__ if inspect.isfunction(getattr(mod, n)) or (inspect.isclass(getattr(mod, n)) and not hasattr(getattr(mod, n), "_fields"))]  # namedtuples are assignments: nbdev does not document them
        browser.get(page.as_uri())
        headings = set(browser.execute_script("return Array.from(document.querySelectorAll('h2, h3, h4')).map(h => h.textContent.replace('¶', '').trim())"))
        missing += [f"{page.name}: {n}" for n in names if not any(h == n or h.startswith(n + " ") or h.startswith(n + "(") for h in headings)]
    assert not missing, f"exported but not documented with show_doc: {missing}"
