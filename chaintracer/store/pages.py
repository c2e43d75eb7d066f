"""The store's reads a page at a time, for the viewer, the report and comparisons.

Queries read one page through the store's indexes and never more than one trace tree: a
session of 10,000 traces opens as fast as a small one. Each runs inside the caller's read
transaction, so a count and its page agree even while a program writes.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from chaintracer.store.read import session_status

# The columns of a trace table row (everything but the tree).
TRACE_COLUMNS = (
    "seq",
    "trace_id",
    "name",
    "kind",
    "status",
    "start_time",
    "end_time",
    "latency_ms",
    "spans",
    "errors",
    "tokens",
    "input",
    "output",
    "cost",
)
TRACE_STATUSES = ("ok", "error", "incomplete")
# "In order" is by start time, as the store lists traces (seq is the order they were written).
TRACE_SORTS = {
    "seq": "start_time, seq",
    "latency": "latency_ms DESC, seq",
    "tokens": "tokens DESC, seq",
    "cost": "cost IS NULL, cost DESC, seq",  # unknown costs last
    "errors": "errors DESC, seq",
    "spans": "spans DESC, seq",
}
# Sessions filtered by what happened in them (from their summary).
SESSION_OUTCOMES = {
    "error": "coalesce(json_extract(summary, '$.errors'), 0) > 0",
    "ok": "coalesce(json_extract(summary, '$.errors'), 0) = 0",
    "incomplete": "coalesce(json_extract(summary, '$.incomplete'), 0) > 0",
}
# SQLite refuses LIKE patterns over 50,000 bytes; searches are far shorter.
MAX_SEARCH_CHARS = 1000
_LIST_SELECT = (
    "SELECT id, project, name, tags, grp, job_type, notes, started_at, ended_at, summary, status, pid, host,"
    " pid_start FROM sessions"
)
_TAGS = "SELECT DISTINCT json_each.value FROM sessions, json_each(sessions.tags) ORDER BY 1"
_TRACE_SELECT = ", ".join(TRACE_COLUMNS)
_COMPARE_CHUNK = 500  # seqs per IN (...) query, well under SQLite's parameter limit


def session_list(
    conn: sqlite3.Connection,
    project: str | None,
    tag: str | None,
    search: str | None,
    outcome: str | None,
    offset: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """``(rows, total)``: a page of sessions-list rows matching the filters, newest first."""
    where, params = [], []
    if project:
        where.append("project = ?")
        params.append(project)
    if tag:
        where.append("EXISTS (SELECT 1 FROM json_each(sessions.tags) WHERE json_each.value = ?)")
        params.append(tag)
    if search:
        where.append("(name LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\')")
        params += [_like(search)] * 2
    if outcome:
        where.append(SESSION_OUTCOMES[_known(outcome, SESSION_OUTCOMES, "outcome")])
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    total = conn.execute(f"SELECT COUNT(*) FROM sessions{clause}", params).fetchone()[0]
    rows = conn.execute(
        f"{_LIST_SELECT}{clause} ORDER BY ended_at DESC, rowid DESC LIMIT ? OFFSET ?", [*params, limit, offset]
    )
    return [_list_row(row) for row in rows], total


def session_rows(conn: sqlite3.Connection, session_ids: list[str]) -> list[dict[str, Any]]:
    """Sessions-list rows for the given ids, in that order (ids not stored are left out)."""
    rows = []
    for session_id in session_ids:
        row = conn.execute(f"{_LIST_SELECT} WHERE id = ?", (session_id,)).fetchone()
        if row is not None:
            rows.append(_list_row(row))
    return rows


def session_facets(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """The projects and tags the sessions list can be filtered by."""
    return {
        "projects": [row[0] for row in conn.execute("SELECT DISTINCT project FROM sessions ORDER BY project")],
        "tags": [row[0] for row in conn.execute(_TAGS)],
    }


def status_counts(conn: sqlite3.Connection, session_id: str) -> dict[str, int]:
    """How many of a session's stored traces have each status."""
    return dict(conn.execute("SELECT status, COUNT(*) FROM traces WHERE session_id = ? GROUP BY status", (session_id,)))


def trace_page(
    conn: sqlite3.Connection,
    session_id: str,
    offset: int,
    limit: int,
    status: str | None,
    search: str | None,
    sort: str,
) -> tuple[list[dict[str, Any]], int]:
    """``(rows, total)``: one page of a session's trace table (previews, no trees)."""
    order = TRACE_SORTS[_known(sort, TRACE_SORTS, "sort")]
    where, params = ["session_id = ?"], [session_id]
    if status:
        where.append("status = ?")
        params.append(_known(status, TRACE_STATUSES, "status"))
    if search:
        where.append("(input LIKE ? ESCAPE '\\' OR output LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')")
        params += [_like(search)] * 3
    clause = " AND ".join(where)
    total = conn.execute(f"SELECT COUNT(*) FROM traces WHERE {clause}", params).fetchone()[0]
    rows = conn.execute(
        f"SELECT {_TRACE_SELECT} FROM traces WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [dict(zip(TRACE_COLUMNS, row)) for row in rows], total


def trace_detail(conn: sqlite3.Connection, session_id: str, seq: int) -> dict[str, Any] | None:
    """One trace: its session's names, its table row, its tree, its neighbours and position; None if absent."""
    found = conn.execute(
        f"SELECT {_TRACE_SELECT}, tree FROM traces WHERE session_id = ? AND seq = ?", (session_id, seq)
    ).fetchone()
    if found is None:
        return None
    *columns, tree = found
    row = dict(zip(TRACE_COLUMNS, columns))
    # Neighbours and position in the table's order (start time, then seq).
    key = (session_id, row["start_time"], seq)
    before = "session_id = ? AND (start_time, seq) < (?, ?)"  # row values: an index range scan
    after = "session_id = ? AND (start_time, seq) > (?, ?)"
    prev = conn.execute(f"SELECT seq FROM traces WHERE {before} ORDER BY start_time DESC, seq DESC LIMIT 1", key)
    following = conn.execute(f"SELECT seq FROM traces WHERE {after} ORDER BY start_time, seq LIMIT 1", key)
    previous, next_ = prev.fetchone(), following.fetchone()
    position = conn.execute(f"SELECT COUNT(*) FROM traces WHERE {before}", key).fetchone()[0]
    total = conn.execute("SELECT COUNT(*) FROM traces WHERE session_id = ?", (session_id,)).fetchone()[0]
    name, project = conn.execute("SELECT name, project FROM sessions WHERE id = ?", (session_id,)).fetchone()
    return {
        "session": {"id": session_id, "name": name, "project": project},
        "row": row,
        "tree": json.loads(tree),
        "prev": previous[0] if previous else None,
        "next": next_[0] if next_ else None,
        "position": position,
        "total": total,
    }


def trace_inputs(conn: sqlite3.Connection, session_id: str) -> list[tuple[int, str]]:
    """``(seq, input preview)`` of every trace of a session, by seq: what comparisons match on."""
    return list(conn.execute("SELECT seq, input FROM traces WHERE session_id = ? ORDER BY seq", (session_id,)))


def trace_outcomes(conn: sqlite3.Connection, session_id: str, seqs: list[int]) -> list[dict[str, Any]]:
    """Input, output, status, latency, tokens and cost of the given traces of a session, by seq."""
    cells = []
    for start in range(0, len(seqs), _COMPARE_CHUNK):
        chunk = seqs[start : start + _COMPARE_CHUNK]
        rows = conn.execute(
            "SELECT seq, input, output, status, latency_ms, tokens, cost FROM traces"
            f" WHERE session_id = ? AND seq IN ({','.join('?' * len(chunk))}) ORDER BY seq",
            [session_id, *chunk],
        )
        keys = ("seq", "input", "output", "status", "latency_ms", "tokens", "cost")
        cells += [dict(zip(keys, row)) for row in rows]
    return cells


def _list_row(row: tuple[Any, ...]) -> dict[str, Any]:
    sid, project, name, tags, grp, job_type, notes, started, ended, summary = row[:10]
    return {
        "id": sid,
        "project": project,
        "name": name,
        "tags": _loads(tags, []),
        "group": grp,
        "job_type": job_type,
        "notes": notes,
        "started_at": started,
        "ended_at": ended,
        "summary": _loads(summary, {}),
        "status": session_status(*row[10:14]),
    }


def _like(text: str) -> str:
    """A ``LIKE ... ESCAPE '\\'`` pattern matching ``text`` anywhere, its wildcards taken literally."""
    if len(text) > MAX_SEARCH_CHARS:
        raise ValueError(f"a search is at most {MAX_SEARCH_CHARS} characters, not {len(text)}")
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _known(value: str, known: Any, what: str) -> str:
    if value not in known:
        raise ValueError(f"{what} must be one of {', '.join(known)}; not {value!r}")
    return value


def _loads(text: str | None, default: Any) -> Any:
    try:
        return json.loads(text) if text else default
    except ValueError:
        return default
