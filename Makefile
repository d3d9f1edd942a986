# The two set-up commands of the README: `make demo` and `make test`.
# Both create .venv with Python 3.11+, install everything, then run.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# CPU build of torch first: an unpinned torch resolves to a multi-GB CUDA build (see DESIGN.md)
TORCH  ?= torch==2.13.0
OUT    ?= runs/demo
# nbdev_test runs two notebooks at a time; pytest runs its tests on two workers (pytest-xdist)
TEST_WORKERS ?= 2

.PHONY: demo test test-slow install check docs clean-venv

demo: install
	$(BIN)/redundancy_nb run --preset demo --out $(OUT)

test: install
	$(BIN)/python tools/check_repo.py
	$(BIN)/nbdev_test --n_workers $(TEST_WORKERS) --timing
	$(BIN)/pytest tests -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --durations=5

# cells flagged `#| slow` (minutes of CPU) and `#| gpu` (CUDA only)
test-slow: install
	$(BIN)/nbdev_test --flags slow --n_workers 1 --timing

install: $(VENV)/.installed

$(VENV)/.installed: settings.ini setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

# the docs site without quarto (tools/build_docs.py): _site/index.html; `nbdev_docs` builds the quarto version
docs: install
	$(BIN)/python tools/build_docs.py --out _site

check: install
	$(BIN)/python tools/check_repo.py

clean-venv:
	rm -rf $(VENV)
