"""OTLP exporter: sessions as OpenTelemetry traces for Phoenix, Langfuse, Jaeger or any collector.

Spans come from ``otlp_mapping`` (OpenInference + GenAI attributes) and leave through the
OpenTelemetry SDK's own OTLP/HTTP exporter (protobuf), configured by the standard variables:
the endpoint is ``Tracer(otlp_endpoint=...)`` / ``push --endpoint``, else
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, else ``OTEL_EXPORTER_OTLP_ENDPOINT`` (a base URL),
else ``http://localhost:4318``; ``OTEL_EXPORTER_OTLP_HEADERS`` (API keys),
``OTEL_EXPORTER_OTLP_TIMEOUT`` (seconds, default 10), ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES`` are read by the SDK as usual.

Threads: ``export`` runs on the thread that flushes or pushes, ``stream`` on the tracer's
streaming worker; a lock keeps them apart. A collector that is down or never answers costs
at most one timeout per attempt: ``export`` raises (the caller warns once and the session stays
marked not pushed), and after one failed ``stream`` the session's later traces wait for the
flush instead of each waiting for the timeout.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chaintracer.settings import Settings, endpoint_url
from chaintracer.spantree import clip

try:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import OTELResourceDetector
    from opentelemetry.sdk.trace import ReadableSpan, SpanLimits
    from opentelemetry.sdk.trace.export import SpanExportResult

    from chaintracer.exporters import otlp_mapping
except ImportError as exc:  # one guard for the feature, naming the extra
    raise ImportError(
        "backends=['otlp'] needs the OpenTelemetry SDK, its OTLP/HTTP exporter and the OpenInference "
        "conventions; install them with: pip install 'chaintracer[otlp]'"
    ) from exc

logger = logging.getLogger("chaintracer")

DEFAULT_ENDPOINT = "http://localhost:4318/v1/traces"
TRACES_PATH = "/v1/traces"
# Spans per request: the SDK's batch size, far below its 64 MiB request limit for our payloads.
BATCH_SPANS = 512


class OtlpExportError(RuntimeError):
    """The collector did not take the spans (down, refused, too slow)."""


def traces_endpoint(base_or_full: str | None = None) -> str:
    """The OTLP/HTTP traces URL: the argument, else the OpenTelemetry variables, else localhost:4318.

    A URL that does not end in ``/v1/traces`` is a base URL (as in ``OTEL_EXPORTER_OTLP_ENDPOINT``)
    and gets that path appended.
    """
    if base_or_full:
        return _with_path(endpoint_url("otlp endpoint", base_or_full))
    if os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return _with_path(os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"])
    return DEFAULT_ENDPOINT


def _with_path(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith(TRACES_PATH) else url + TRACES_PATH


class _SdkLogCapture(logging.Filter):
    """Holds back the SDK exporter's own error lines while we export: the caller warns once, with them."""

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        lines = getattr(self._local, "lines", None)
        if lines is None:
            return True  # someone else's export (the user's own OpenTelemetry setup): leave it alone
        lines.append(record.getMessage())
        return False

    @contextmanager
    def capturing(self) -> Iterator[list[str]]:
        self._local.lines = lines = []
        try:
            yield lines
        finally:
            self._local.lines = None


_SDK_LOGS = _SdkLogCapture()
logging.getLogger(OTLPSpanExporter.__module__).addFilter(_SDK_LOGS)


class OtlpExporter:
    """Sends sessions to an OTLP/HTTP collector (see the module docstring for threads and failures)."""

    name = "otlp"

    def __init__(self, settings: Settings | None = None, endpoint: str | None = None) -> None:
        self.endpoint = traces_endpoint(endpoint or (settings.otlp_endpoint if settings else None))
        self._sdk = OTLPSpanExporter(endpoint=self.endpoint)
        self._limits = SpanLimits()
        self._lock = threading.Lock()
        self._sent: dict[str, set[str]] = {}  # session id -> trace ids the collector took
        self._stream_failed: set[str] = set()  # sessions whose traces now wait for the flush

    def stream(self, session: dict[str, Any], root: dict[str, Any]) -> None:
        """Sends one finished trace as soon as it completes (``stream_logs``); a failure waits for the flush."""
        with self._lock:
            if session["id"] in self._stream_failed:
                return
            try:
                self._send(session, [root])
            except OtlpExportError as exc:
                self._stream_failed.add(session["id"])
                logger.debug("chaintracer: streaming to %s failed (%s); the flush sends it", self.endpoint, exc)

    def export(self, document: dict[str, Any], final: bool = True) -> dict[str, Any]:
        """Sends the session's traces not sent yet; raises ``OtlpExportError`` if the collector refuses."""
        session = document["session"]
        with self._lock:
            sent = self._sent.get(session["id"], set())
            pending = [root for root in document["traces"] if root["trace_id"] not in sent]
            try:
                spans = self._send(session, pending)
            finally:
                if final:  # the session is closed: forget it (a later push starts afresh)
                    self._sent.pop(session["id"], None)
                    self._stream_failed.discard(session["id"])
        return {"endpoint": self.endpoint, "traces": len(document["traces"]), "spans_sent": spans}

    def _send(self, session: dict[str, Any], roots: list[dict[str, Any]]) -> int:
        """Sends whole traces in batches of about ``BATCH_SPANS`` spans; returns the spans sent."""
        resource = otlp_mapping.session_resource(session["project"], OTELResourceDetector().detect().attributes)
        sent = self._sent.setdefault(session["id"], set())
        batch: list[ReadableSpan] = []
        batch_traces: list[str] = []
        total = 0
        for index, root in enumerate(roots):
            batch.extend(otlp_mapping.trace_spans(root, session, resource, self._limits))
            batch_traces.append(root["trace_id"])
            if len(batch) >= BATCH_SPANS or index == len(roots) - 1:
                self._post(batch)
                sent.update(batch_traces)
                total += len(batch)
                batch, batch_traces = [], []
        return total

    def _post(self, spans: list[ReadableSpan]) -> None:
        with _SDK_LOGS.capturing() as lines:
            result = self._sdk.export(spans)
        if result is not SpanExportResult.SUCCESS:
            # The SDK logs each retry: the first line says what went wrong, the last how it ended.
            reason = (
                " ... ".join(clip(line, 300) for line in dict.fromkeys(lines[:1] + lines[-1:])) or "no reason given"
            )
            raise OtlpExportError(f"the collector at {self.endpoint} did not take {len(spans)} spans: {reason}")

    def shutdown(self) -> None:
        try:
            self._sdk.shutdown()
        except Exception:  # shutdown must not raise (exporter contract)
            logger.warning("chaintracer: closing the OTLP exporter failed", exc_info=True)
