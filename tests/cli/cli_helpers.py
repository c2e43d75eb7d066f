"""Running the CLI as a user runs it: ``python -m chaintracer.cli`` in a subprocess, without a terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any


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
