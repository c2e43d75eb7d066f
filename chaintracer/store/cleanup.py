"""Deleting sessions (``chaintracer rm`` and ``prune``): what a prune selects, and the delete itself.

A session goes with everything that hangs off it: its traces, artifacts, example runs, scores
and feedback (rows deleted explicitly, the foreign keys' cascades notwithstanding, so a store
opened without ``PRAGMA foreign_keys`` is cleaned the same), and an experiment none of whose
runs is left. Each function runs inside the caller's transaction: a delete is all or nothing.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from chaintracer.store.read import sessions as read_sessions

# Tables keyed by session, children first (each also cascades from ``sessions``).
SESSION_TABLES = ("feedback", "scores", "example_runs", "artifacts", "traces")
_CHUNK = 500  # ids per statement, well under SQLite's parameter limit


def sessions_ended_before(conn: sqlite3.Connection, ended_before: str, project: str | None) -> list[dict[str, Any]]:
    """Session objects that ended before an ISO-8601 UTC time (of one project, if given), newest first."""
    return [s for s in read_sessions(conn, project, None) if str(s["ended_at"]) < ended_before]


def delete_sessions(conn: sqlite3.Connection, session_ids: list[str]) -> dict[str, int]:
    """Deletes sessions and what hangs off them; returns the rows deleted per table."""
    deleted: dict[str, int] = dict.fromkeys((*SESSION_TABLES, "sessions", "experiments"), 0)
    experiments: set[str] = set()
    for start in range(0, len(session_ids), _CHUNK):
        chunk = session_ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        runs = conn.execute(f"SELECT DISTINCT experiment_id FROM example_runs WHERE session_id IN ({marks})", chunk)
        experiments.update(row[0] for row in runs)
        for table in (*SESSION_TABLES, "sessions"):
            column = "id" if table == "sessions" else "session_id"
            deleted[table] += conn.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk).rowcount
    for experiment_id in sorted(experiments):
        deleted["experiments"] += conn.execute(
            "DELETE FROM experiments WHERE id = ? AND NOT EXISTS (SELECT 1 FROM example_runs WHERE experiment_id = ?)",
            (experiment_id, experiment_id),
        ).rowcount
    return deleted
