"""The store's reads of whole things: sessions, their trace trees, artifacts.

Each function runs inside the caller's read transaction. A session's ``status`` is the stored
one, except that a ``live`` session whose process is gone (on this host) reads ``crashed``.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from chaintracer.store import lookup
from chaintracer.store.errors import SessionNotFound
from chaintracer.store.process import is_gone

# Traces are listed oldest first by start time (spills write them in completion order).
TRACE_ORDER = "ORDER BY start_time, seq"
_STATUS = "status, pid, host, pid_start"
_SESSION_SELECT = (
    "SELECT id, project, name, entity, tags, grp, job_type, notes, started_at, ended_at, config, summary, model,"
    f" exports, {_STATUS} FROM sessions"
)
_NEWEST_FIRST = "ORDER BY ended_at DESC, rowid DESC"


def sessions(conn: sqlite3.Connection, project: str | None, limit: int | None) -> list[dict[str, Any]]:
    """Session objects (without traces), newest first."""
    sql, params = _SESSION_SELECT, []
    if project is not None:
        sql += " WHERE project = ?"
        params.append(project)
    sql += f" {_NEWEST_FIRST} LIMIT ?"
    params.append(-1 if limit is None else limit)
    return [_session(row) for row in conn.execute(sql, params)]


def resolve(conn: sqlite3.Connection, ref: str, where: str) -> str:
    """The id of the session ``ref`` names: an id, a name (the latest with it), or a unique id prefix."""
    row = conn.execute("SELECT id FROM sessions WHERE id = ?", (ref,)).fetchone()
    if row is None:
        row = conn.execute(f"SELECT id FROM sessions WHERE name = ? {_NEWEST_FIRST} LIMIT 1", (ref,)).fetchone()
    if row is None:
        found = lookup.session_by_prefix(conn, ref, where)
        if found is None:
            raise SessionNotFound(f"no session with id or name {ref!r} in {where} (nor one whose id starts so)")
        return found
    return row[0]


def session(conn: sqlite3.Connection, session_id: str) -> dict[str, Any]:
    """One session object (without traces) by id."""
    row = conn.execute(f"{_SESSION_SELECT} WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        raise SessionNotFound(f"no session {session_id!r}")
    return _session(row)


def trees(conn: sqlite3.Connection, session_id: str, limit: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    """``(seq, root span)`` of a session's traces, oldest first (the first ``limit``)."""
    rows = conn.execute(
        f"SELECT seq, tree FROM traces WHERE session_id = ? {TRACE_ORDER} LIMIT ?",
        (session_id, -1 if limit is None else limit),
    )
    return [(seq, json.loads(tree)) for seq, tree in rows]


def tree(conn: sqlite3.Connection, session_id: str, seq: int) -> dict[str, Any]:
    """One trace's root span."""
    row = conn.execute("SELECT tree FROM traces WHERE session_id = ? AND seq = ?", (session_id, seq)).fetchone()
    if row is None:
        raise SessionNotFound(f"no trace {seq} in session {session_id}")
    return json.loads(row[0])


def artifact(conn: sqlite3.Connection, session_id: str, ref: str) -> tuple[str, str]:
    """``(media_type, content)`` of an artifact a span references."""
    row = conn.execute(
        "SELECT media_type, content FROM artifacts WHERE session_id = ? AND ref = ?", (session_id, ref)
    ).fetchone()
    if row is None:
        raise SessionNotFound(f"no artifact {ref!r} in session {session_id}")
    return row[0], row[1]


def artifacts(conn: sqlite3.Connection, session_id: str) -> dict[str, str]:
    """Every artifact of a session: ref -> content."""
    return dict(conn.execute("SELECT ref, content FROM artifacts WHERE session_id = ?", (session_id,)))


def session_status(status: str, pid: int | None, host: str | None, pid_start: str | None) -> str:
    """The status a reader reports: ``crashed`` for a live session whose process has ended."""
    return "crashed" if status == "live" and is_gone(pid, host, pid_start) else status


def _session(row: tuple[Any, ...]) -> dict[str, Any]:
    (sid, project, name, entity, tags, grp, job_type, notes, started, ended, config, summary, model, exports) = row[:14]
    return {
        "id": sid,
        "project": project,
        "name": name,
        "entity": entity,
        "tags": json.loads(tags),
        "group": grp,
        "job_type": job_type,
        "notes": notes,
        "started_at": started,
        "ended_at": ended,
        "config": json.loads(config),
        "summary": json.loads(summary),
        "model": None if model is None else json.loads(model),
        "exports": json.loads(exports),
        "status": session_status(*row[14:18]),
    }
