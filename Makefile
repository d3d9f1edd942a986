# The two set-up commands of the README: `make demo` and `make test`.
# Both create .venv with Python 3.10+, install everything, then run.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# CPU build of torch first: an unpinned torch resolves to a multi-GB CUDA build (see the development notes)
TORCH  ?= torch==2.13.0
OUT    ?= runs/demo
# two notebooks at a time (tools/nbtest.py), pytest on two workers (pytest-xdist): a 2-core machine
TEST_WORKERS ?= 2
# uv installs the venv (seconds with a warm cache, against minutes for pip). It does not read pip's configuration, so
# the local folder of wheels that pip is configured with (where this machine keeps torch's CPU build) is passed on.
FIND_LINKS ?= $(or $(PIP_FIND_LINKS),$(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null))
ifneq ($(strip $(FIND_LINKS)),)
export UV_FIND_LINKS := $(FIND_LINKS)
endif
UV     := $(BIN)/uv pip install -q --python $(BIN)/python
# every step's wall and CPU seconds go to .timings/ (tools/timing.py; standard library only, so it runs before the venv)
TIMED  := $(PYTHON) tools/timing.py step
REPORT ?= 1
export REDUNDANCY_NB_TORCH := $(TORCH)
# OpenMP threads waiting for work sleep instead of spinning. With anything else on the two cores (the second test
# worker, a student's process, another program), spinning threads made the demo teacher's training steps several times slower;
# the work and its split over the threads do not change, so neither do the results (see the development notes).
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: demo demo-cache test test-more test-slow install check docs timing clean-venv

demo: install
	$(TIMED) "demo (pipeline)" -- $(BIN)/redundancy_nb run --preset demo --out $(OUT)

# The demo teacher and the demo run, built once into the cache (~/.cache/redundancy_nb or $REDUNDANCY_NB_CACHE) before
# the tests: notebooks and test files read them (a FileLock guards the cache) instead of each waiting for them.
demo-cache: install
	$(TIMED) "demo build (cache)" -- $(BIN)/python -c "from redundancy_nb.pipeline import demo_run; print(demo_run(progress=False))"

# The demo build runs in the background while pytest's fast tier (which never reads it) and the notebooks run: cold,
# it takes minutes, and its processes leave gaps (spawning, evaluations, the distillation grid's last network). tools/nbtest.py
# queues the notebooks that read the demo cache last; they wait on its file locks until what they read is built.
test: install
	$(TIMED) "repository check" -- $(BIN)/python tools/check_repo.py
	@mkdir -p .timings
	$(TIMED) "demo build, pytest, notebooks (at once)" -- sh -c '\
	  $(MAKE) --no-print-directory demo-cache >.timings/demo-build.log 2>&1 & demo=$$!; \
	  $(TIMED) "pytest" -- $(BIN)/pytest tests -m "not slow" -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --durations=5; p=$$?; \
	  $(TIMED) "notebooks (nbtest)" -- $(BIN)/python tools/nbtest.py --n_workers $(TEST_WORKERS); n=$$?; \
	  wait $$demo; d=$$?; [ $$d -eq 0 ] || { echo "the demo build failed (.timings/demo-build.log):"; tail -n 40 .timings/demo-build.log; }; \
	  [ $$p -eq 0 ] && [ $$n -eq 0 ] && [ $$d -eq 0 ]'
	@[ -z "$(REPORT)" ] || $(PYTHON) tools/timing.py report

# the test files marked slow: a user's paths that take minutes (the wheel in a fresh venv, a run killed and resumed,
# torchrun, the docs site and the explorers in Chromium). CI (.ci/run, GitHub) runs them after `make test`.
test-more: install
	$(TIMED) "pytest [more]" -- $(BIN)/pytest tests -m slow -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --durations=5
	@[ -z "$(REPORT)" ] || $(PYTHON) tools/timing.py report

# all of the above, and the cells flagged `#| slow` (minutes of CPU) and `#| gpu` (CUDA only): weekly CI
test-slow: install
	$(MAKE) --no-print-directory test-more REPORT=
	$(MAKE) --no-print-directory demo-cache
	$(TIMED) "notebooks [slow]" -- $(BIN)/python tools/nbtest.py --flags slow --n_workers 1
	@[ -z "$(REPORT)" ] || $(PYTHON) tools/timing.py report

timing:
	@$(PYTHON) tools/timing.py report

install: $(VENV)/.installed

$(VENV)/.installed: settings.ini setup.py
	$(TIMED) install -- sh -c '$(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install -q uv \
	  && $(UV) $(TORCH) && $(UV) -e ".[dev]"'
	touch $@

# the docs site without quarto (tools/build_docs.py): _site/index.html; `nbdev_docs` builds the quarto version
docs: install
	$(BIN)/python tools/build_docs.py --out _site

check: install
	$(BIN)/python tools/check_repo.py

clean-venv:
	rm -rf $(VENV)
