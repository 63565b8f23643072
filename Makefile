# Every target creates (or reuses) the virtualenv in .venv itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# `make render` needs only sqlcompile and its run-time dependencies, not the dev extras.
RENDER_STAMP := $(VENV)/.installed-render

.PHONY: render test lint bench golden clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP) $(RENDER_STAMP)

$(RENDER_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $(RENDER_STAMP)

render: $(RENDER_STAMP)
	$(VENV)/bin/sqlcompile render

test: $(STAMP)
	$(VENV)/bin/ruff check sqlcompile tests bench
	$(VENV)/bin/mypy sqlcompile
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q -n auto

lint: $(STAMP)
	$(VENV)/bin/ruff check sqlcompile tests bench
	$(VENV)/bin/mypy sqlcompile
	$(VENV)/bin/lint-imports

# Regenerate the golden SQL files under tests/golden/ (review the diff like code).
golden: $(STAMP)
	SQLCOMPILE_REGEN_GOLDEN=1 $(PY) -m pytest -q tests/test_golden.py tests/test_autogen.py -k "golden"

$(VENV)/.installed-bench: $(STAMP) pyproject.toml
	$(PY) -m pip install -q -e '.[dev,bench]'
	touch $@

# Every target of the benchmark, both tools interleaved; writes bench/results.md and
# bench/scaling.png (bench/run.py --help lists the options, --quick is a smoke run).
bench: $(VENV)/.installed-bench
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info
