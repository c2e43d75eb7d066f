"""Session: one scenario's traces, settings and summary, from first trace to flush.

A session may be flushed more than once (``flush_tracker(reset=False)`` keeps it open): each
flush writes the traces that arrived since the last one and rewrites the summary, which
therefore accumulates over the session's whole life.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from chaintracer.encoding import EncodedTrace, iso
from chaintracer.environment import environment
from chaintracer.payloads import Converter
from chaintracer.settings import Settings
from chaintracer.stats import TraceStats

# Free-text session fields: masked (and made valid UTF-8) like any payload text.
TEXT_FIELDS = ("project", "entity", "name", "group", "job_type", "notes")


@dataclass(frozen=True)
class SessionInfo:
    """What ``flush_tracker`` returns: the flushed session's identity and summary."""

    id: str
    name: str
    project: str
    store: str
    summary: dict[str, Any] = field(repr=False)
    exports: dict[str, Any] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        return self.id

    def _repr_html_(self) -> str:
        """The session's summary and trace table, inline in Jupyter."""
        from chaintracer.notebook import session_html  # Jupyter only: the store reads load on display
        from chaintracer.store import Store

        store = Store(self.store, create=False)
        try:
            return session_html(store, self.id)
        finally:
            store.close()


class Session:
    """Collects encoded traces until flush. ``add`` may be called from any thread."""

    def __init__(self, settings: Settings) -> None:
        self.id = uuid.uuid4().hex
        self.name: str | None = None  # set by its first flush (a reset=False session keeps it)
        self.settings = settings
        self.started_ns = time.time_ns()
        self.stored_traces = 0  # traces already written by earlier flushes of this session
        self._lock = threading.Lock()
        self._pending: list[EncodedTrace] = []
        self._stats = TraceStats()
        self._latencies: list[float] = []
        self._trace_errors = 0
        self._counters: dict[str, int] = {}
        self._converter = Converter(settings.max_payload_bytes, mask=settings.mask)

    def add(self, trace: EncodedTrace) -> None:
        with self._lock:
            self._pending.append(trace)
            self._stats.merge(trace.stats)
            self._latencies.append(trace.latency_ms)
            self._trace_errors += trace.status == "error"

    def pending_count(self) -> int:
        return len(self._pending)

    def pending(self) -> list[EncodedTrace]:
        """The traces not yet stored, oldest first (by start time)."""
        with self._lock:
            traces = list(self._pending)
        traces.sort(key=lambda trace: trace.start_ns)
        return traces

    def add_counters(self, counters: dict[str, int]) -> None:
        """Accumulates the tracer's own counters (internal errors, queue overflow...)."""
        with self._lock:
            for key, value in counters.items():
                self._counters[key] = self._counters.get(key, 0) + value

    def mark_stored(self, traces: list[EncodedTrace]) -> None:
        """Releases traces once they are safely in the store."""
        stored = {id(trace) for trace in traces}
        with self._lock:
            self._pending = [trace for trace in self._pending if id(trace) not in stored]
            self.stored_traces += len(traces)

    def record(
        self,
        name: str,
        fields: dict[str, Any],
        config: dict[str, Any],
        model: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """The session object of the export contract (without traces)."""
        settings = self.settings
        record = {
            "id": self.id,
            "project": settings.project,
            "name": name,
            "tags": list(settings.tags),
            "group": settings.group,
            "job_type": settings.job_type,
            "notes": settings.notes,
            "entity": settings.entity,
            "started_at": iso(self.started_ns),
            "ended_at": iso(time.time_ns()),
            "config": {**settings.as_config(), "environment": environment(), **config},
            "summary": self.summary(),
            "model": model,
        }
        record.update(fields)
        record["name"] = name
        return self._masked(record)

    def _masked(self, record: dict[str, Any]) -> dict[str, Any]:
        """The session's texts, tags and config with the secret rules applied."""
        converter = self._converter
        for key in TEXT_FIELDS:
            if isinstance(record.get(key), str):
                record[key] = converter.string(record[key])
        record["tags"] = [converter.string(tag) for tag in record.get("tags") or ()]
        record["config"] = converter.convert(record["config"])
        return record

    def summary(self) -> dict[str, Any]:
        """Totals of the traces' statistics, latency percentiles, metric means, tracer counters."""
        with self._lock:
            return session_summary(self._stats, sorted(self._latencies), self._trace_errors, dict(self._counters))


def session_summary(
    stats: TraceStats, latencies: list[float], trace_errors: int, counters: dict[str, int]
) -> dict[str, Any]:
    """A session's summary: ``stats`` totals, trace count and latency percentiles (``latencies``
    sorted, in ms), failed traces, metric means, then the tracer's counters."""
    counts = stats.as_summary()
    metrics = counts.pop("metrics", None)
    summary: dict[str, Any] = {"traces": len(latencies), **counts, "trace_errors": trace_errors}
    summary["latency_ms"] = {
        "p50": _percentile(latencies, 0.50),
        "p95": _percentile(latencies, 0.95),
        "max": round(latencies[-1], 3) if latencies else None,
    }
    if metrics:
        summary["metrics"] = metrics
    summary.update(counters)
    return summary


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    # Nearest-rank percentile: always one of the observed latencies.
    index = max(0, min(len(values) - 1, math.ceil(q * len(values)) - 1))
    return round(values[index], 3)
