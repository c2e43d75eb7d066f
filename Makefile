# Two commands on a fresh machine: `make demo` and `make test` (each creates .venv if needed).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The OTLP tests send traces to a real Arize Phoenix server (~850 MB, many dependencies of its
# own): it lives in a venv of its own, created once, so its pins never meet ours.
PHOENIX_VENV := .venv-phoenix
PHOENIX_STAMP := $(PHOENIX_VENV)/.installed

.PHONY: demo test bench lint clean browser

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# constraints.txt pins the versions the suite was last run with, so installs are fast and repeatable.
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

$(PHOENIX_STAMP): tests/otlp/phoenix-constraints.txt
	test -x $(PHOENIX_VENV)/bin/python || $(PYTHON) -m venv $(PHOENIX_VENV)
	$(PHOENIX_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PHOENIX_VENV)/bin/python -m pip install --quiet -c tests/otlp/phoenix-constraints.txt arize-phoenix
	touch $(PHOENIX_STAMP)

demo: $(STAMP)
	$(PY) -m demo

test: $(STAMP) $(PHOENIX_STAMP) browser
	$(PY) -m pytest

# The viewer's browser tests drive Debian's chromium (installed with apt-get when missing).
browser:
	scripts/install-browser.sh

bench: $(STAMP) $(PHOENIX_STAMP)
	$(PY) bench/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/basedpyright

clean:
	rm -rf $(VENV) $(PHOENIX_VENV) chaintracer.db chaintracer.db-* .pytest_cache
