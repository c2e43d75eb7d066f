"""Session: one scenario's traces, settings and summary, from first trace to flush."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from chaintracer.encoding import EncodedTrace, add_stats, iso, new_stats
from chaintracer.settings import Settings


@dataclass(frozen=True)
class SessionInfo:
    """What ``flush_tracker`` returns: the flushed session's identity and summary."""

    id: str
    name: str
    project: str
    store: str
    summary: dict[str, Any] = field(repr=False)

    def __str__(self) -> str:
        return self.id


class Session:
    """Collects encoded traces until flush. ``add`` may be called from any thread."""

    def __init__(self, settings: Settings) -> None:
        self.id = uuid.uuid4().hex
        self.settings = settings
        self.started_ns = time.time_ns()
        self._lock = threading.Lock()
        self._traces: list[EncodedTrace] = []

    def add(self, trace: EncodedTrace) -> None:
        with self._lock:
            self._traces.append(trace)

    def traces(self) -> list[EncodedTrace]:
        """The traces so far, oldest first (by start time)."""
        with self._lock:
            traces = list(self._traces)
        traces.sort(key=lambda trace: trace.start_ns)
        return traces

    def release(self) -> None:
        """Drops the traces once they are safely stored."""
        with self._lock:
            self._traces = []

    def record(
        self,
        name: str,
        fields: dict[str, Any],
        config: dict[str, Any],
        model: dict[str, Any] | None,
        counters: dict[str, int],
    ) -> dict[str, Any]:
        """The session object of the export contract (without traces)."""
        traces = self.traces()
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
            "config": {**settings.as_config(), **config},
            "summary": summarize(traces, counters),
            "model": model,
        }
        record.update(fields)
        record["name"] = name
        return record


def summarize(traces: list[EncodedTrace], counters: dict[str, int]) -> dict[str, Any]:
    """Session summary: totals of the traces' statistics, latency percentiles, tracer counters."""
    total = new_stats()
    for trace in traces:
        add_stats(total, trace.stats)
    latencies = sorted(trace.latency_ms for trace in traces)
    summary: dict[str, Any] = {"traces": len(traces)}
    summary.update(total)
    summary["trace_errors"] = sum(1 for trace in traces if trace.status == "error")
    summary["latency_ms"] = {
        "p50": _percentile(latencies, 0.50),
        "p95": _percentile(latencies, 0.95),
        "max": round(latencies[-1], 3) if latencies else None,
    }
    summary.update(counters)
    return summary


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    # Nearest-rank percentile: always one of the observed latencies.
    index = max(0, min(len(values) - 1, int(round(q * len(values) + 0.5)) - 1))
    return round(values[index], 3)
