"""The explorers of `redundancy_nb.widgets` as a user meets them: JupyterLab on a local port, a notebook that shows
`SimilarityExplorer`, `PruningExplorer` and `DistillationExplorer`, opened in headless Chromium (Selenium + Debian's
chromium-driver). The test runs the notebook, then moves each control through the page as a person would (model,
metric, outline, order, blocks removed, network filters and highlight) and checks that the figure drawn changes
with it, that coming back to a setting draws the same image again, that the texts beside the figures give the run's
numbers, and that the browser logs no errors.

The run folder is the demo run (`$REDUNDANCY_NB_RUN`, else the cached demo run that `make test` builds first),
joined with the smoke preset's run (shared by the test files, see conftest.py) so that the model control has a
second teacher to switch to."""
import json, os, shutil, socket, subprocess, sys, time, uuid
from pathlib import Path
import pandas as pd
import pytest

pytestmark = pytest.mark.slow   # `make test-more` (CI): JupyterLab + Chromium (minutes); 09_widgets tests the explorers' figures in-process

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")
TIMEOUT = 180   # seconds for the kernel to start and run the notebook on a busy 2-core machine

CELLS = ["import os\nfrom redundancy_nb.widgets import RunFolder, SimilarityExplorer, PruningExplorer, DistillationExplorer\n"
         "run = RunFolder(os.environ['EXPLORE_RUN'])\nrun",
         "SimilarityExplorer(run)", "PruningExplorer(run)", "DistillationExplorer(run)"]

@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, smoke_run):
    "The demo run and the smoke run's teacher in one run folder (stage records copied, model folders linked)."
    demo = os.environ.get("REDUNDANCY_NB_RUN")
    if not demo:
        from redundancy_nb.pipeline import demo_run
        demo = demo_run(progress=False)
    tmp = tmp_path_factory.mktemp("explore")
    run = tmp/"run"; (run/"stages").mkdir(parents=True)
    for src in (Path(demo), smoke_run):
        for p in (src/"stages").glob("*.json"): shutil.copy(p, run/"stages"/p.name)
        for m in {json.loads(p.read_text())["stage"].split("/", 1)[1] for p in (src/"stages").glob("*__*.json")}:
            (run/m).symlink_to(src/m, target_is_directory=True)
    return run

def free_port() -> int:
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

@pytest.fixture(scope="module")
def lab(run_folder, tmp_path_factory):
    "JupyterLab serving a folder with the explorers' notebook; its URL."
    import nbformat
    home = tmp_path_factory.mktemp("lab")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = dict(name="python3", display_name="Python 3", language="python")
    nbformat.write(nb, home/"explorers.ipynb")
    settings = home/".jupyter"/"lab"/"user-settings"/"@jupyterlab"/"notebook-extension"
    settings.mkdir(parents=True)   # draw every cell, not only those in view (JupyterLab 4 windowing), so all explorers render
    (settings/"tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port, token = free_port(), uuid.uuid4().hex
    env = {**os.environ, "EXPLORE_RUN": str(run_folder), "JUPYTER_CONFIG_DIR": str(home/".jupyter"),
           "JUPYTER_DATA_DIR": str(home/".data"), "JUPYTER_RUNTIME_DIR": str(home/".runtime"), "MPLBACKEND": "module://matplotlib_inline.backend_inline",
           "JUPYTERLAB_WORKSPACES_DIR": str(home/".workspaces"), "PATH": f"{BIN}:{os.environ['PATH']}"}
    env.pop("JUPYTER_PLATFORM_DIRS", None)
    log = open(home/"lab.log", "w")
    proc = subprocess.Popen([BIN/"jupyter-lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}", "--allow-root",
                             f"--ServerApp.root_dir={home}", "--ServerApp.open_browser=False", "--LabApp.expose_app_in_browser=True",
                             "--LabApp.news_url=None", "--LabApp.extension_manager=readonly", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                            cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            if proc.poll() is not None: pytest.fail(f"jupyter lab exited: {(home/'lab.log').read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1): break
            except OSError: time.sleep(0.5)
        else: pytest.fail(f"jupyter lab did not listen on port {port} within 120 s: {(home/'lab.log').read_text()[-3000:]}")
        yield f"http://127.0.0.1:{port}/lab/tree/explorers.ipynb?token={token}"
    finally:
        proc.terminate()
        try: proc.wait(timeout=20)
        except subprocess.TimeoutExpired: proc.kill()
        log.close()

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
              "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--window-size=1400,1000"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()

def wait(browser, script, *args, timeout=TIMEOUT, what="the page"):
    "Poll a JavaScript expression until it returns something truthy; return that."
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = browser.execute_script(script, *args)
        if v: return v
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")

# JS helpers: the output area of code cell i (0-based) and what it shows
AREA = "const area = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[arguments[0]].querySelector('.jp-OutputArea');"
IMG = AREA + "const img = area.querySelector('.widget-output img'); return img ? img.getAttribute('src') : null;"

def image(browser, cell): return browser.execute_script(IMG, cell)

def changed(browser, cell, before, what):
    "Wait until the figure of `cell` differs from `before` and is fully drawn; the new image."
    return wait(browser, IMG.replace("return img ?", "return img && img.getAttribute('src') !== arguments[1] && img.complete && img.naturalWidth > 0 ?"),
                cell, before, timeout=60, what=f"the figure to change after {what}")

def element(browser, cell, css, text=None):
    "The element of cell `cell`'s widget matching `css` (whose text or label is `text`)."
    from selenium.webdriver.common.by import By
    area = browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell")[cell]
    els = area.find_elements(By.CSS_SELECTOR, css)
    if text is not None: els = [e for e in els if e.text.strip() == text or (e.get_attribute("title") or "") == text]
    assert els, f"no {css!r} {text or ''} in cell {cell}"
    return els[0]

def labelled(browser, cell, widget_css, label, inner):
    "The control `inner` of the widget `widget_css` whose description is `label`."
    from selenium.webdriver.common.by import By
    area = browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell")[cell]
    for w in area.find_elements(By.CSS_SELECTOR, widget_css):
        if w.find_elements(By.CSS_SELECTOR, "label") and w.find_element(By.CSS_SELECTOR, "label").text.strip() == label:
            return w.find_element(By.CSS_SELECTOR, inner)
    raise AssertionError(f"no {widget_css} labelled {label!r} in cell {cell}")

def html(browser, cell, nth=0):
    return browser.execute_script(AREA + "const h = area.querySelectorAll('.widget-html-content'); return h.length ? h[arguments[1]].innerHTML : ''", cell, nth)

@pytest.fixture(scope="module")
def page(lab, browser):
    "The notebook open in JupyterLab, every cell run, every explorer drawn."
    browser.get(lab)
    wait(browser, "return window.jupyterapp && document.querySelectorAll('.jp-Notebook .jp-CodeCell').length === arguments[0]",
         len(CELLS), what="JupyterLab to open the notebook")
    wait(browser, "const w = window.jupyterapp.shell.currentWidget; return !!(w && w.sessionContext && w.sessionContext.session "
                  "&& w.sessionContext.session.kernel && w.sessionContext.session.kernel.status === 'idle')", what="the kernel")
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    try:
        for cell in (1, 2, 3):
            wait(browser, IMG.replace("return img ?", "return img && img.complete && img.naturalWidth > 0 ?"), cell, what=f"explorer {cell} to draw")
    except AssertionError as e:
        shot = Path(os.environ.get("REDUNDANCY_NB_TIMINGS") or ROOT/".timings")/"explorers-failure.png"
        shot.parent.mkdir(parents=True, exist_ok=True); browser.save_screenshot(str(shot))
        texts = browser.execute_script("return Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-OutputArea'))"
                                       ".map(a => a.innerText.slice(0, 1500))")
        raise AssertionError(f"{e}; screenshot {shot}; cell outputs: {texts}") from None
    return browser

def test_similarity_explorer(page, run_folder):
    b, cell = page, 1
    from selenium.webdriver.support.ui import Select
    first = image(b, cell)
    seen = {("cosine", "demo", True): first}
    assert element(b, cell, ".widget-toggle-button.mod-active").text.strip() == "cosine"
    element(b, cell, ".widget-toggle-button", "CKA").click()
    seen["cka", "demo", True] = changed(b, cell, first, "choosing CKA")
    element(b, cell, ".widget-toggle-button", "mutual kNN").click()
    seen["mutual_knn", "demo", True] = changed(b, cell, seen["cka", "demo", True], "choosing mutual kNN")
    element(b, cell, ".widget-checkbox input").click()
    seen["mutual_knn", "demo", False] = changed(b, cell, seen["mutual_knn", "demo", True], "unticking the outline")
    element(b, cell, ".widget-checkbox input").click()
    again = changed(b, cell, seen["mutual_knn", "demo", False], "ticking the outline")
    assert again == seen["mutual_knn", "demo", True], "the same settings drew another image"
    model = Select(labelled(b, cell, ".widget-dropdown", "model", "select"))
    assert [o.text for o in model.options] == ["demo", "tiny"]
    model.select_by_visible_text("tiny")
    seen["mutual_knn", "tiny", True] = changed(b, cell, again, "choosing the model tiny")
    assert len(set(seen.values())) == len(seen), "two settings drew the same image"

def test_pruning_explorer(page, run_folder):
    b, cell = page, 2
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select
    curves = pd.read_csv(run_folder/"demo"/"pruning"/"curves.csv", keep_default_na=False)
    order = Select(labelled(b, cell, ".widget-dropdown", "order", "select"))
    assert [o.text for o in order.options] == list(dict.fromkeys(curves.method))
    method = order.first_selected_option.text
    start = image(b, cell)
    assert "<b>0</b> of" in html(b, cell)
    handle = element(b, cell, ".widget-slider .noUi-handle")
    shown = {0: start}
    for k in (1, 2, 3):
        handle.send_keys(Keys.ARROW_RIGHT)
        shown[k] = changed(b, cell, shown[k - 1], f"moving the slider to {k} blocks removed")
        row = curves[(curves.method == method) & (curves.n_removed == k)].iloc[0]
        text = wait(b, AREA + "const h = area.querySelector('.widget-html-content'); return h && h.innerHTML.includes(arguments[1]) ? h.innerHTML : ''",
                    cell, f"<b>{k}</b> of", timeout=30, what=f"the text for {k} blocks removed")
        assert f"accuracy <b>{row.accuracy:.3f}</b>" in text and str(row.removed).split()[0] in text, text
    for k in (2, 1, 0): handle.send_keys(Keys.ARROW_LEFT); changed(b, cell, shown[k + 1], f"moving the slider back to {k}")
    assert image(b, cell) == start, "back at 0 blocks removed, the figure differs from the first one"
    other = [o.text for o in order.options if o.text != method][0]
    order.select_by_visible_text(other)
    changed(b, cell, start, f"choosing the order {other}")
    assert len(set(shown.values())) == len(shown)

def test_distillation_explorer(page, run_folder):
    b, cell = page, 3
    from selenium.webdriver.support.ui import Select
    table = pd.read_csv(run_folder/"demo"/"efficiency"/"table.csv").set_index("network")
    pick = Select(labelled(b, cell, ".widget-dropdown", "highlight", "select"))
    names = [o.text for o in pick.options]
    assert names == list(table.index), (names, list(table.index))
    first = image(b, cell)
    pick.select_by_visible_text(names[-1])
    second = changed(b, cell, first, f"highlighting {names[-1]}")
    pick.select_by_visible_text(names[0])
    assert changed(b, cell, second, f"highlighting {names[0]}") == first
    types = Select(labelled(b, cell, ".widget-select-multiple", "type", "select"))
    types.deselect_all(); types.select_by_visible_text("mimicker")
    filtered = changed(b, cell, first, "keeping the mimickers only")
    want = [n for n in table.index if table.loc[n, "type"] == "mimicker"]
    rows = wait(b, AREA + "const t = area.querySelector('.widget-html-content table'); const r = t ? Array.from(t.querySelectorAll('tbody th'))"
                ".map(th => th.textContent.trim()) : []; return JSON.stringify(r) === JSON.stringify(arguments[1]) ? r : null", cell, want,
                timeout=60, what=f"the table to list the mimickers {want}")
    assert [o.text for o in pick.options] == rows
    assert filtered != first

def test_no_console_errors(page):
    errors = [e["message"] for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
