"""The store's writes, each inside the caller's transaction: a session with its new traces, an export outcome."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from chaintracer.encoding import EncodedTrace, iso
from chaintracer.store import derived
from chaintracer.store.errors import SessionNotFound
from chaintracer.store.process import Writer

_SESSION_COLUMNS = (
    "id",
    "project",
    "name",
    "entity",
    "tags",
    "grp",
    "job_type",
    "notes",
    "started_at",
    "ended_at",
    "config",
    "summary",
    "model",
    "exports",
    "status",
    "pid",
    "host",
    "pid_start",
)
# A session written again keeps its start and, when the new row has none, its architecture.
_UPDATED = [column for column in _SESSION_COLUMNS if column not in ("id", "started_at", "model", "exports")]
_UPSERT_SESSION = (
    f"INSERT INTO sessions ({', '.join(_SESSION_COLUMNS)}) VALUES ({', '.join('?' * len(_SESSION_COLUMNS))})"
    " ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in _UPDATED)
    + ", model = coalesce(excluded.model, sessions.model)"
)
_TRACE_COLUMNS = (
    "session_id, seq, trace_id, name, kind, status, start_time, end_time, latency_ms, spans, errors, tokens,"
    " input, output, tree, cost"
)


def write_session(
    conn: sqlite3.Connection,
    session: dict[str, Any],
    traces: list[EncodedTrace],
    first_seq: int,
    status: str,
    writer: Writer,
) -> None:
    """Upserts the session row and appends its new traces (numbered from ``first_seq``) and artifacts."""
    conn.execute(
        _UPSERT_SESSION,
        (
            session["id"],
            session["project"],
            session["name"],
            session.get("entity"),
            dumps(session.get("tags") or []),
            session.get("group"),
            session.get("job_type"),
            session.get("notes"),
            session["started_at"],
            session["ended_at"],
            dumps(session.get("config") or {}),
            dumps(session.get("summary") or {}),
            None if session.get("model") is None else dumps(session["model"]),
            dumps(session.get("exports") or {}),
            status,
            writer.pid,
            writer.host,
            writer.start,
        ),
    )
    texts = [trace.tree_text() for trace in traces]  # decompressed once, if packed
    conn.executemany(
        f"INSERT INTO traces ({_TRACE_COLUMNS}) VALUES ({', '.join('?' * 16)})",
        [
            (
                session["id"],
                first_seq + seq,
                trace.trace_id,
                trace.name,
                trace.kind,
                trace.status,
                iso(trace.start_ns),
                iso(trace.end_ns),
                round(trace.latency_ms, 3),
                trace.stats.spans,
                trace.stats.errors,
                trace.stats.total_tokens,
                trace.input_preview,
                trace.output_preview,
                texts[seq],
                trace.stats.known_cost,
            )
            for seq, trace in enumerate(traces)
        ],
    )
    derived.index_traces(conn, session["id"], ((first_seq + seq, text) for seq, text in enumerate(texts)))
    conn.executemany(
        "INSERT OR IGNORE INTO artifacts (session_id, ref, media_type, content) VALUES (?,?,?,?)",
        [
            (session["id"], ref, media_type, content)
            for trace in traces
            for ref, (media_type, content) in trace.artifacts.items()
        ],
    )


def set_export(conn: sqlite3.Connection, session_id: str, exporter: str, state: dict[str, Any]) -> None:
    """Records one exporter's outcome on a session; ``SessionNotFound`` if it is not stored."""
    row = conn.execute("SELECT exports FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        raise SessionNotFound(session_id)
    exports = json.loads(row[0])
    exports[exporter] = state
    conn.execute("UPDATE sessions SET exports = ? WHERE id = ?", (dumps(exports), session_id))


def dumps(value: Any) -> str:
    """Compact JSON text for a column (UTF-8 kept; anything else by ``str``)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
