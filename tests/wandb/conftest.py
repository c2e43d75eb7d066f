"""W&B tests run real wandb, offline, with every file under the test's temporary directory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from wbenv import hermetic_wandb, offline_runs


@pytest.fixture
def wandb_env(tmp_path, monkeypatch):
    """Hermetic offline W&B for one test."""
    yield hermetic_wandb(monkeypatch, tmp_path)
    # wandb caches its settings (and so these folders) per process: start afresh next test.
    import wandb

    wandb.teardown()


@pytest.fixture
def run_dirs(wandb_env):
    """The offline run folders written so far."""
    return lambda: offline_runs(wandb_env)
