"""A real Arize Phoenix server (started once per test session), collectors that fail, a clean OTel env.

Phoenix (see ``phoenix_server.py``; ``make test`` installs it) runs in the session's temporary
folder. ``CHAINTRACER_PHOENIX_URL`` points the tests at a Phoenix you already run instead
(faster reruns while developing).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from phoenix_server import PHOENIX, Phoenix, PhoenixError, free_port, start_phoenix


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
    try:
        server = start_phoenix(tmp_path_factory.mktemp("phoenix"))
    except PhoenixError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def otel_env(monkeypatch):
    """No OpenTelemetry variable of the machine leaks into a test."""
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)


@pytest.fixture
def refused_endpoint(monkeypatch) -> str:
    """A loopback URL where nothing listens: the collector is down.

    The SDK retries refused connections with backoff until its timeout: 1 s keeps tests short.
    """
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
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
