"""Starting a real Arize Phoenix server on loopback, offline (used by the OTLP tests and the bench).

Phoenix lives in its own venv (``make .venv-phoenix/.installed``); ``CHAINTRACER_PHOENIX`` points
at another ``phoenix`` executable. Its working directory is the caller's (temporary) folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PHOENIX = Path(os.environ.get("CHAINTRACER_PHOENIX") or REPO / ".venv-phoenix" / "bin" / "phoenix")
# Phoenix takes ~20 s to start on an idle machine, several times that on a busy one.
START_BUDGET_S = 300
# Phoenix writes what it receives in batches: spans are readable a moment after they are sent.
READ_BUDGET_S = 60


class PhoenixError(RuntimeError):
    """Phoenix is missing, exited, or did not become healthy."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Phoenix:
    """A running Phoenix: its base URL, and its spans read back through its own client."""

    def __init__(self, url: str, process: subprocess.Popen[bytes] | None = None) -> None:
        from phoenix.client import Client

        self.url = url
        self.process = process
        self.client = Client(base_url=url)

    def spans(
        self, project: str, expected: int, budget_s: float = READ_BUDGET_S, poll_s: float = 0.5
    ) -> list[dict[str, Any]]:
        """The project's spans once ``expected`` of them have arrived (or all there are after the budget)."""
        deadline = time.monotonic() + budget_s
        while True:
            try:
                spans = self.client.spans.get_spans(project_identifier=project, limit=max(expected, 1) + 100)
            except Exception:  # the project appears with its first span
                spans = []
            if len(spans) >= expected or time.monotonic() > deadline:
                return spans
            time.sleep(poll_s)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(30)


def start_phoenix(work: Path) -> Phoenix:
    """Starts ``phoenix serve`` in ``work`` on free loopback ports; returns once ``/healthz`` answers."""
    if not PHOENIX.exists():
        raise PhoenixError(f"Phoenix is not installed at {PHOENIX}; create it with: make .venv-phoenix/.installed")
    port = free_port()
    temporary = work / "tmp"  # Phoenix keeps its pid files in the temporary folder (.arize-phoenix/pids)
    temporary.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "TMPDIR": str(temporary),
        "PHOENIX_WORKING_DIR": str(work),
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(free_port()),
        # Offline and quiet: no telemetry, no downloads, no assistant or MCP server.
        "PHOENIX_TELEMETRY_ENABLED": "false",
        "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
        "PHOENIX_DISABLE_AGENT_ASSISTANT": "true",
        "PHOENIX_ENABLE_MCP_SERVER": "false",
    }
    log_path = work / "phoenix.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(PHOENIX), "serve"], env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_BUDGET_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PhoenixError(f"Phoenix exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return Phoenix(url, process)
        except OSError:
            pass
        time.sleep(0.5)
    Phoenix(url, process).stop()
    raise PhoenixError(
        f"Phoenix did not answer {url}/healthz within {START_BUDGET_S} s:\n{log_path.read_text()[-3000:]}"
    )
