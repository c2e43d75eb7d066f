"""A real Arize Phoenix server (started once per test session), collectors that fail, a clean OTel env.

Phoenix lives in its own venv (``make .venv-phoenix/.installed``; ``make test`` creates it), its
working directory in the session's temporary folder, on free loopback ports, with everything
that would reach the internet switched off. ``CHAINTRACER_PHOENIX_URL`` points the tests at a
Phoenix you already run instead (faster reruns while developing).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

REPO = Path(__file__).resolve().parents[2]
PHOENIX = Path(os.environ.get("CHAINTRACER_PHOENIX") or REPO / ".venv-phoenix" / "bin" / "phoenix")
# Phoenix takes ~20 s to start on an idle machine, several times that on a busy one.
START_BUDGET_S = 300
# Phoenix writes what it receives in batches: spans are readable a moment after they are sent.
READ_BUDGET_S = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Phoenix:
    """A running Phoenix: its base URL, and its spans read back through its own client."""

    def __init__(self, url: str) -> None:
        from phoenix.client import Client

        self.url = url
        self.client = Client(base_url=url)

    def spans(self, project: str, expected: int) -> list[dict[str, Any]]:
        """The project's spans once ``expected`` of them have arrived (or all there are after the budget)."""
        deadline = time.monotonic() + READ_BUDGET_S
        while True:
            try:
                spans = self.client.spans.get_spans(project_identifier=project, limit=10_000)
            except Exception:  # the project appears with its first span
                spans = []
            if len(spans) >= expected or time.monotonic() > deadline:
                return spans
            time.sleep(0.5)


@pytest.fixture(scope="session")
def phoenix(tmp_path_factory) -> Iterator[Phoenix]:
    """A Phoenix server on loopback for the whole test session."""
    if os.environ.get("CHAINTRACER_PHOENIX_URL"):
        yield Phoenix(os.environ["CHAINTRACER_PHOENIX_URL"])
        return
    if not PHOENIX.exists():
        message = f"Phoenix is not installed at {PHOENIX}; create it with: make .venv-phoenix/.installed"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    work = tmp_path_factory.mktemp("phoenix")
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
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
    try:
        _wait_healthy(url, process, log_path)
        yield Phoenix(url)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_BUDGET_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Phoenix exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"Phoenix did not answer {url}/healthz within {START_BUDGET_S} s:\n{log_path.read_text()[-3000:]}")


@pytest.fixture(autouse=True)
def otel_env(monkeypatch):
    """No OpenTelemetry variable of the machine leaks into a test."""
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)


@pytest.fixture
def refused_endpoint() -> str:
    """A loopback URL where nothing listens: the collector is down."""
    return f"http://127.0.0.1:{free_port()}"


class SilentCollector:
    """Accepts connections and never answers; counts the connections it got."""

    def __init__(self) -> None:
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            self.connections.append(connection)  # held open, never read, never answered

    def close(self) -> None:
        self._server.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def silent_collector(monkeypatch) -> Iterator[SilentCollector]:
    """A collector that never answers, with the OTLP timeout at 1 s so tests stay short."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    collector = SilentCollector()
    yield collector
    collector.close()
