# Two commands on a fresh machine: `make demo` and `make test` (each creates .venv if needed).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Python 3.10 cannot install every pin of constraints.txt (langchain-core 1.8 and pandas 3 need
# 3.11): it has its own pins, resolved for 3.10 with the same preferences.
CONSTRAINTS ?= $(shell $(PYTHON) -c 'import sys; print("constraints-py310.txt" if sys.version_info < (3, 11) else "constraints.txt")')
# Drift: the suite on the newest releases (no constraints) with the newest Python we support, and
# on the declared minimums (uv's --resolution lowest-direct) with the oldest Python we claim.
# Found on PATH or in pyenv's folder; never downloaded (UV_PYTHON_DOWNLOADS=never).
PYENV_ROOT ?= $(HOME)/.pyenv
LOWEST_PYTHON ?= $(lastword $(wildcard /usr/bin/python3.10 $(PYENV_ROOT)/versions/3.10*/bin/python3.10))
LATEST_PYTHON ?= $(lastword $(wildcard /usr/bin/python3.13 $(PYENV_ROOT)/versions/3.13*/bin/python3.13))
UV := $(VENV)/bin/uv
export UV_PYTHON_DOWNLOADS := never
# The dependency runs leave out the `slow` marker (durability and memory soak tests, which test our
# code, not the dependencies) to stay within CI's time; the Phoenix and browser tests do run.
DRIFT_PYTEST := -m pytest -m 'not slow' -p no:cacheprovider
# The OTLP tests send traces to a real Arize Phoenix server (~850 MB, many dependencies of its
# own): it lives in a venv of its own, created once, so its pins never meet ours.
PHOENIX_VENV := .venv-phoenix
PHOENIX_STAMP := $(PHOENIX_VENV)/.installed

.PHONY: demo test test-latest test-lowest bench lint clean browser

$(STAMP): pyproject.toml constraints.txt constraints-py310.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# constraints.txt pins the versions the suite was last run with, so installs are fast and repeatable.
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

# uv resolves the lowest-direct and the newest installs (pip cannot do the first), pinned like the rest.
$(UV): $(STAMP)
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) uv
	touch $(UV)

$(PHOENIX_STAMP): tests/otlp/phoenix-constraints.txt
	test -x $(PHOENIX_VENV)/bin/python || $(PYTHON) -m venv $(PHOENIX_VENV)
	$(PHOENIX_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PHOENIX_VENV)/bin/python -m pip install --quiet -c tests/otlp/phoenix-constraints.txt arize-phoenix
	touch $(PHOENIX_STAMP)

demo: $(STAMP)
	$(PY) -m demo

test: $(STAMP) $(PHOENIX_STAMP) browser
	$(PY) -m pytest

# A fresh venv each time, so that what is tested is what the registry serves today.
test-latest: $(UV) $(PHOENIX_STAMP) browser
	@test -n "$(LATEST_PYTHON)" || { echo "no Python 3.13 found: make test-latest LATEST_PYTHON=/path/to/python3.13"; exit 1; }
	rm -rf .venv-latest
	$(UV) venv --quiet --python $(LATEST_PYTHON) .venv-latest
	$(UV) pip install --quiet --python .venv-latest/bin/python -e '.[dev]'
	$(UV) pip freeze --python .venv-latest/bin/python
	.venv-latest/bin/python $(DRIFT_PYTEST)

# Exactly the floors pyproject.toml declares (the dependencies of dependencies at their newest).
test-lowest: $(UV) $(PHOENIX_STAMP) browser
	@test -n "$(LOWEST_PYTHON)" || { echo "no Python 3.10 found: make test-lowest LOWEST_PYTHON=/path/to/python3.10"; exit 1; }
	rm -rf .venv-lowest
	$(UV) venv --quiet --python $(LOWEST_PYTHON) .venv-lowest
	$(UV) pip install --quiet --python .venv-lowest/bin/python --resolution lowest-direct -e '.[dev]'
	$(UV) pip freeze --python .venv-lowest/bin/python
	.venv-lowest/bin/python $(DRIFT_PYTEST)

# The viewer's browser tests drive Debian's chromium (installed with apt-get when missing).
browser:
	scripts/install-browser.sh

# The peers the benchmarks compare with (OpenInference); never needed by the tests.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) $(PHOENIX_STAMP)
	$(PY) bench/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/basedpyright

clean:
	rm -rf $(VENV) $(PHOENIX_VENV) .venv-latest .venv-lowest chaintracer.db chaintracer.db-* .pytest_cache
