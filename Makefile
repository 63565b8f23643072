# Every target creates (or reuses) the virtualenv in .venv itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: render test lint bench golden clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

render: $(STAMP)
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

# Render benchmark first, then autogenerate (bench/autogen.py --help lists the options).
bench: $(STAMP)
	$(PY) bench/run.py
	$(PY) bench/autogen.py

clean:
	rm -rf $(VENV) build *.egg-info
