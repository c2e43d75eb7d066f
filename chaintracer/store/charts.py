"""The store's reads behind the session charts: trace latencies, and calls, tokens and cost per model.

Model usage comes from ``derived.model_usage`` (filled as traces are written); a store from
before ``schema.SEARCH_SCHEMA`` that no writer has opened since does not have it, and is
summed from its trees instead (slower, same answer).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from chaintracer.store import derived
from chaintracer.store.read import TRACE_ORDER

_USAGE_KEYS = ("model", "calls", "prompt", "completion", "total", "cost")


def latencies(conn: sqlite3.Connection, session_id: str) -> list[float]:
    """Every trace's latency in milliseconds, smallest first (read from the latency index)."""
    rows = conn.execute("SELECT latency_ms FROM traces WHERE session_id = ? ORDER BY latency_ms", (session_id,))
    return [row[0] for row in rows]


def usage_by_model(conn: sqlite3.Connection, session_id: str) -> list[dict[str, Any]]:
    """Per model: calls, prompt/completion/total tokens and cost (None when any call's cost is unknown)."""
    if derived.has_index(conn):
        rows = conn.execute(
            "SELECT u.model, sum(u.calls), sum(u.prompt), sum(u.completion), sum(u.total),"
            " CASE WHEN count(u.cost) = count(*) THEN sum(u.cost) END"
            " FROM search_traces t JOIN model_usage u ON u.key = t.key WHERE t.session_id = ?"
            " GROUP BY u.model ORDER BY sum(u.total) DESC, sum(u.calls) DESC, u.model",
            (session_id,),
        ).fetchall()
        return [dict(zip(_USAGE_KEYS, row)) for row in rows]
    merged: dict[str, list[Any]] = {}
    for (tree_json,) in conn.execute(f"SELECT tree FROM traces WHERE session_id = ? {TRACE_ORDER}", (session_id,)):
        try:
            tree = json.loads(tree_json)
        except ValueError:
            continue
        for model, *counts in derived.model_usage(tree):
            entry = merged.setdefault(model, [0, 0, 0, 0, 0.0])
            for slot in range(4):
                entry[slot] += counts[slot]
            entry[4] = None if entry[4] is None or counts[4] is None else entry[4] + counts[4]
    usage: list[dict[str, Any]] = [dict(zip(_USAGE_KEYS, (model, *entry))) for model, entry in merged.items()]
    return sorted(usage, key=lambda item: (-item["total"], -item["calls"], item["model"]))
