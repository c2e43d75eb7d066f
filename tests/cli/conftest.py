"""Fixtures for the CLI tests: the command run as a user runs it, and stores traced from real frameworks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_scenarios import build_scenarios


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None) -> Any:
    """Runs ``python -m chaintracer.cli ARGS`` in a subprocess (no terminal), with ``env`` added."""
    environment = {key: value for key, value in os.environ.items() if key not in ("CHAINTRACER_STORE", "NO_COLOR")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "chaintracer.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        input=stdin,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    """One store holding a LangChain agent, a LangChain RAG chain and a LlamaIndex query engine session."""
    base = tmp_path_factory.mktemp("scenarios")
    return build_scenarios(base)
