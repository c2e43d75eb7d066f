"""Shared fixtures. Internal tracer errors raise under the test suite (see chaintracer.guard)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["CHAINTRACER_RAISE_INTERNAL_ERRORS"] = "1"

import pytest


@pytest.fixture
def store_path(tmp_path):
    """A fresh store file path inside the test's temporary directory."""
    return str(tmp_path / "chaintracer.db")


# Shared test helpers (export_contract.py) live in tests/, beside this file.
sys.path.insert(0, str(Path(__file__).parent))
