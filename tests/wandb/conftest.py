"""W&B tests run real wandb, offline, with every file under the test's temporary directory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def wandb_env(tmp_path, monkeypatch):
    """Hermetic offline W&B: WANDB_DIR, data, cache, config and HOME inside ``tmp_path``."""
    root = tmp_path / "wb"
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(root))
    monkeypatch.setenv("WANDB_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("WANDB_CACHE_DIR", str(root / "cache"))
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(root / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(root / "xdg"))
    monkeypatch.setenv("WANDB_X_DISABLE_STATS", "true")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    # Anything that still writes under ~ lands here, where a test can see it.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    root.mkdir()
    yield root
    # wandb caches its settings (and so these folders) per process: start afresh next test.
    import wandb

    wandb.teardown()


@pytest.fixture
def run_dirs(wandb_env):
    """The offline run folders written so far, oldest first."""
    return lambda: sorted((wandb_env / "wandb").glob("offline-run-*"))
