"""Shared fixtures. Internal tracer errors raise under the test suite (see chaintracer.guard).

Hermetic runs: before any test module (and so any framework) is imported, ``pytest_configure``
points HOME, the XDG folders, W&B's, Jupyter's, IPython's and matplotlib's folders and TMPDIR into
pytest's base temporary folder, so the tests and every subprocess, kernel and browser they start
write only there. At the end of the session ``_nothing_written_outside`` lists what appeared in the
real home, in /tmp and in the repository; under CI (``CI`` set) or ``CHAINTRACER_HERMETIC_STRICT=1``
that fails the run. Elsewhere it only warns: on a shared machine other programs write to /tmp too.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path

os.environ["CHAINTRACER_RAISE_INTERNAL_ERRORS"] = "1"

import pytest

REPO = Path(__file__).resolve().parents[1]
# Environment variable -> folder under the session's fake home (created before the tests run).
HERMETIC_FOLDERS = {
    "HOME": ".",
    "XDG_CACHE_HOME": ".cache",
    "XDG_CONFIG_HOME": ".config",
    "XDG_DATA_HOME": ".local/share",
    "XDG_STATE_HOME": ".local/state",
    "XDG_RUNTIME_DIR": "run",
    "WANDB_DIR": "wandb",
    "WANDB_CONFIG_DIR": "wandb/config",
    "WANDB_CACHE_DIR": "wandb/cache",
    "WANDB_DATA_DIR": "wandb/data",
    "JUPYTER_CONFIG_DIR": ".jupyter",
    "JUPYTER_DATA_DIR": ".local/share/jupyter",
    "JUPYTER_RUNTIME_DIR": ".local/share/jupyter/runtime",
    "IPYTHONDIR": ".ipython",
    "MPLCONFIGDIR": ".config/matplotlib",
    "TMPDIR": "tmp",
}
# Written by Python, pytest and hypothesis (its example database, which replays a failure on the
# next run) themselves, or by `make` (the dependency runs' venvs, made while the other one's tests
# run under .ci/run): not the tests' doing.
REPO_EXPECTED = {
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".ruff_cache",
    "test-artifacts",
    ".venv-latest",
    ".venv-lowest",
}
_WATCHED = pytest.StashKey[dict[Path, set[str]]]()


def _entries(folder: Path) -> set[str]:
    try:
        return set(os.listdir(folder))
    except OSError:
        return set()


@pytest.hookimpl(trylast=True)  # after pytest's own tmp_path plugin has set up its factory
def pytest_configure(config: pytest.Config) -> None:
    """Points every per-user folder into pytest's base temporary folder and notes what is outside."""
    real_home = Path(os.path.expanduser("~"))
    real_tmp = Path(tempfile.gettempdir())
    base = config._tmp_path_factory.getbasetemp()  # /tmp/pytest-of-<user>/pytest-<n>, pruned by pytest
    config.stash[_WATCHED] = {folder: _entries(folder) for folder in (real_home, real_tmp, REPO)}
    home = base / "home"
    for variable, relative in HERMETIC_FOLDERS.items():
        folder = home / relative
        folder.mkdir(parents=True, exist_ok=True)
        os.environ[variable] = str(folder)
    (home / "run").chmod(0o700)  # the XDG spec's runtime folder is private
    os.environ["WANDB_X_DISABLE_STATS"] = "true"
    tempfile.tempdir = None  # tempfile caches its folder: read TMPDIR again


@pytest.fixture(scope="session", autouse=True)
def _nothing_written_outside(request: pytest.FixtureRequest) -> object:
    """At the end of the session: no new entry in the real home, /tmp, or the repository."""
    yield
    base_root = request.config._tmp_path_factory.getbasetemp().parent.name  # pytest-of-<user>
    leaked = []
    for folder, before in request.config.stash[_WATCHED].items():
        ignored = REPO_EXPECTED if folder == REPO else {base_root}
        leaked += [str(folder / name) for name in sorted(_entries(folder) - before - ignored)]
    if not leaked:
        return
    message = "the tests wrote outside their temporary folders: " + ", ".join(leaked)
    if os.environ.get("CI") or os.environ.get("CHAINTRACER_HERMETIC_STRICT") == "1":
        pytest.fail(message, pytrace=False)
    warnings.warn(message + " (only a warning outside CI: other programs may write there too)", stacklevel=1)


@pytest.fixture
def store_path(tmp_path):
    """A fresh store file path inside the test's temporary directory."""
    return str(tmp_path / "chaintracer.db")


# Shared test helpers (export_contract.py) live in tests/, beside this file.
sys.path.insert(0, str(Path(__file__).parent))
