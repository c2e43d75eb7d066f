"""The store's reads a page at a time, for the viewer, the report and comparisons.

Queries read one page through the store's indexes and never more than one trace tree: a
session of 10,000 traces opens as fast as a small one. Each runs inside the caller's read
transaction, so a count and its page agree even while a program writes.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from chaintracer.store import derived, search
from chaintracer.store.read import TRACE_ORDER, session_status

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
# "In order" is by start time, as the store lists and numbers traces (seq is the order they were written).
TRACE_SORTS = {
    "seq": "start_time, seq",
    "latency": "latency_ms DESC, seq",
    "tokens": "tokens DESC, seq",
    "cost": "cost IS NULL, cost DESC, seq",  # unknown costs last
    "errors": "errors DESC, seq",
    "spans": "spans DESC, seq",
}
# Sessions filtered by what happened in them (from their summary): "error" is a failed trace;
# "handled" is an error span inside traces that all succeeded (an agent that recovered).
_FAILED = "coalesce(json_extract(summary, '$.trace_errors'), 0)"
_ERROR_SPANS = "coalesce(json_extract(summary, '$.errors'), 0)"
SESSION_OUTCOMES = {
    "error": f"{_FAILED} > 0",
    "handled": f"{_FAILED} = 0 AND {_ERROR_SPANS} > 0",
    "ok": f"{_ERROR_SPANS} = 0",
    "incomplete": "coalesce(json_extract(summary, '$.incomplete'), 0) > 0",
}
# The sessions list's sort keys (each then newest first); "ended" is the default.
SESSION_SORTS = {
    "ended": "ended_at",
    "started": "started_at",
    "name": "name COLLATE NOCASE",
    "project": "project COLLATE NOCASE",
    "traces": "coalesce(json_extract(summary, '$.traces'), 0)",
    "failed": _FAILED,
    "errors": _ERROR_SPANS,
    "tokens": "coalesce(json_extract(summary, '$.tokens.total'), 0)",
    "cost": "json_extract(summary, '$.cost.total')",
    "latency": "json_extract(summary, '$.latency_ms.p50')",
    "latency_p95": "json_extract(summary, '$.latency_ms.p95')",
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
    sort: str = "ended",
    descending: bool = True,
) -> tuple[list[dict[str, Any]], int]:
    """``(rows, total)``: a page of sessions-list rows matching the filters, by ``sort`` (newest first by default)."""
    key = SESSION_SORTS[_known(sort, SESSION_SORTS, "sort")]
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
        f"{_LIST_SELECT}{clause} ORDER BY {key} IS NULL, {key} {'DESC' if descending else 'ASC'},"
        " ended_at DESC, rowid DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
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


def handled_errors(conn: sqlite3.Connection, session_id: str) -> int:
    """Error spans inside a session's traces that succeeded (errors the program handled)."""
    row = conn.execute(
        "SELECT coalesce(sum(errors), 0) FROM traces WHERE session_id = ? AND status != 'error'", (session_id,)
    ).fetchone()
    return row[0]


def trace_numbers(conn: sqlite3.Connection, session_id: str) -> dict[int, int]:
    """seq -> the trace's number: its 1-based position in the store's order (as the CLI and the export count)."""
    rows = conn.execute(f"SELECT seq FROM traces WHERE session_id = ? {TRACE_ORDER}", (session_id,))
    return {seq: number for number, (seq,) in enumerate(rows, start=1)}


def trace_page(
    conn: sqlite3.Connection,
    session_id: str,
    offset: int,
    limit: int,
    status: str | None,
    text: str | None,
    sort: str,
) -> tuple[list[dict[str, Any]], int]:
    """``(rows, total)``: one page of a session's trace table (previews, no trees), each with its ``number``.

    ``text`` keeps the traces with a span holding all its words (the full-text index: names,
    inputs, outputs, errors and attributes of every span); each row then carries its first
    matching span under ``match``. Without the index (an older store not upgraded yet) every
    word must be in the trace's tree; ``text`` without a word (``+``, ``%``) matches the
    table's names and previews.
    """
    order = TRACE_SORTS[_known(sort, TRACE_SORTS, "sort")]
    where, params = ["session_id = ?"], [session_id]
    if status:
        where.append("status = ?")
        params.append(_known(status, TRACE_STATUSES, "status"))
    expression = search.match_expression(text) if text else None
    indexed = expression is not None and derived.has_index(conn)
    if indexed:
        where.append(f"seq IN ({search.matching_seqs_sql()})")
        params += [expression, session_id]
    elif text and expression is not None:  # an older store, not indexed yet: every word somewhere in the tree
        for word in search.words(text):
            where.append("tree LIKE ? ESCAPE '\\'")
            params.append(_like(word))
    elif text:
        where.append("(input LIKE ? ESCAPE '\\' OR output LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')")
        params += [_like(text)] * 3
    clause = " AND ".join(where)
    total = conn.execute(f"SELECT COUNT(*) FROM traces WHERE {clause}", params).fetchone()[0]
    found = conn.execute(
        f"SELECT {_TRACE_SELECT} FROM traces WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    rows: list[dict[str, Any]] = [dict(zip(TRACE_COLUMNS, row)) for row in found]
    if sort == "seq" and not status and not text:
        for number, row in enumerate(rows, start=offset + 1):
            row["number"] = number
    else:
        numbers = trace_numbers(conn, session_id)
        for row in rows:
            row["number"] = numbers.get(row["seq"])
    if indexed and expression is not None:
        matches = search.first_hits(conn, expression, session_id, [row["seq"] for row in rows])
        for row in rows:
            row["match"] = matches.get(row["seq"])
    return rows, total


def trace_detail(conn: sqlite3.Connection, session_id: str, number: int) -> dict[str, Any] | None:
    """Trace ``number`` (1-based, the store's order): its session's names, row, tree, neighbours; None if absent."""
    if number < 1:
        return None
    found = conn.execute(
        f"SELECT {_TRACE_SELECT}, tree FROM traces WHERE session_id = ? {TRACE_ORDER} LIMIT 1 OFFSET ?",
        (session_id, number - 1),
    ).fetchone()
    if found is None:
        return None
    *columns, tree = found
    row: dict[str, Any] = dict(zip(TRACE_COLUMNS, columns))
    row["number"] = number
    total = conn.execute("SELECT COUNT(*) FROM traces WHERE session_id = ?", (session_id,)).fetchone()[0]
    name, project = conn.execute("SELECT name, project FROM sessions WHERE id = ?", (session_id,)).fetchone()
    return {
        "session": {"id": session_id, "name": name, "project": project},
        "row": row,
        "tree": json.loads(tree),
        "number": number,
        "prev": number - 1 if number > 1 else None,
        "next": number + 1 if number < total else None,
        "position": number - 1,
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
    numbers = trace_numbers(conn, session_id) if cells else {}
    for cell in cells:
        cell["number"] = numbers.get(cell["seq"])
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
