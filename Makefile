# Two commands on a fresh machine: `make demo` and `make test` (each creates .venv if needed).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint clean browser

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# constraints.txt pins the versions the suite was last run with, so installs are fast and repeatable.
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m demo

test: $(STAMP) browser
	$(PY) -m pytest

# The viewer's browser tests drive Debian's chromium (installed with apt-get when missing).
browser:
	scripts/install-browser.sh

bench: $(STAMP)
	$(PY) bench/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) chaintracer.db chaintracer.db-* .pytest_cache
