"""Finding what a person names: a session, a trace or a span by a unique id prefix, a name or a number.

Ids are long (a session's 32 hex characters, LangChain's 36-character run ids) and every view
shortens them (the viewer shows 12 characters, ``push`` 8), so any unique prefix of at least
``MIN_PREFIX`` characters names a thing, as in git; a prefix that names several is refused with
the candidates. Traces are numbered from 1 in the store's order (start time, then write order),
the numbers the CLI and the viewer show. Each function runs inside the caller's read transaction.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from chaintracer.spantree import walk
from chaintracer.store.errors import AmbiguousReference, SessionNotFound

MIN_PREFIX = 4
_SHOWN = 5  # candidates named in an "ambiguous" error
# Traces numbered from 1 in the order the store lists them (as ``read.TRACE_ORDER``).
_NUMBERED = (
    "SELECT row_number() OVER (ORDER BY start_time, seq) AS number, seq, trace_id, errors, tree FROM traces"
    " WHERE session_id = ?"
)


def session_by_prefix(conn: sqlite3.Connection, prefix: str, where: str) -> str | None:
    """The id of the one session whose id starts with ``prefix``; None when none does."""
    if len(prefix) < MIN_PREFIX:
        return None
    rows = conn.execute(
        f"SELECT id, name FROM sessions WHERE id >= ? AND id < ? ORDER BY id LIMIT {_SHOWN + 1}",
        (prefix, _after(prefix)),
    ).fetchall()
    if len(rows) > 1:
        named = ", ".join(f"{sid} ({name})" for sid, name in rows[:_SHOWN])
        more = " ..." if len(rows) > _SHOWN else ""
        raise AmbiguousReference(f"{prefix!r} is the start of several session ids in {where}: {named}{more}")
    return rows[0][0] if rows else None


def numbered_trees(
    conn: sqlite3.Connection, session_id: str, errors_only: bool, limit: int | None
) -> list[tuple[int, dict[str, Any]]]:
    """``(number, root span)`` of a session's traces in order (only those with an error span, if asked)."""
    where = " WHERE errors > 0" if errors_only else ""
    rows = conn.execute(f"SELECT number, tree FROM ({_NUMBERED}){where} LIMIT ?", (session_id, _limit(limit)))
    return [(number, json.loads(tree)) for number, tree in rows]


def trace(conn: sqlite3.Connection, session_id: str, ref: str) -> tuple[int, dict[str, Any]]:
    """``(number, root span)`` of the trace ``ref`` names: its number, or its id or a unique prefix of it.

    Digits are a number when a trace has that number, and an id prefix otherwise: ids are hex,
    so about one in a hundred starts with ten digits, and such a prefix must still find its trace.
    """
    numeric = ref.isdigit() and not ref.startswith("0")
    if numeric:
        row = conn.execute(f"SELECT number, tree FROM ({_NUMBERED}) WHERE number = ?", (session_id, int(ref)))
        found = row.fetchone()
        if found is not None:
            return found[0], json.loads(found[1])
    rows = conn.execute(
        f"SELECT number, trace_id, tree FROM ({_NUMBERED}) WHERE trace_id = ? OR (trace_id >= ? AND trace_id < ?)"
        f" ORDER BY trace_id = ? DESC, number LIMIT {_SHOWN + 1}",
        (session_id, ref, ref, _after(ref), ref),
    ).fetchall()
    if rows and rows[0][1] == ref:
        return rows[0][0], json.loads(rows[0][2])
    if not rows or len(ref) < MIN_PREFIX:
        if numeric:
            total = conn.execute("SELECT COUNT(*) FROM traces WHERE session_id = ?", (session_id,)).fetchone()[0]
            raise SessionNotFound(f"no trace {ref} in this session: its traces are numbered 1 to {total}")
        raise SessionNotFound(f"no trace numbered or with an id starting {ref!r} in this session")
    if len(rows) > 1:
        named = ", ".join(f"#{number} {trace_id}" for number, trace_id, _ in rows[:_SHOWN])
        raise AmbiguousReference(f"{ref!r} is the start of several trace ids: {named}; give more characters")
    return rows[0][0], json.loads(rows[0][2])


def spans(
    conn: sqlite3.Connection, session_id: str, prefix: str, number: int | None
) -> list[tuple[int, dict[str, Any]]]:
    """``(trace number, span)`` of every span whose id is ``prefix`` or starts with it (in trace ``number`` only)."""
    if len(prefix) < MIN_PREFIX:
        raise SessionNotFound(f"a span id prefix needs at least {MIN_PREFIX} characters, not {prefix!r}")
    sql = f"SELECT number, tree FROM ({_NUMBERED}) WHERE instr(tree, ?) > 0"
    params: list[Any] = [session_id, prefix]
    if number is not None:
        sql += " AND number = ?"
        params.append(number)
    found = []
    for trace_number, tree in conn.execute(sql, params):  # instr narrows; the walk decides
        for span in walk(json.loads(tree)):
            span_id = str(span.get("span_id"))
            if span_id == prefix:
                return [(trace_number, span)]
            if span_id.startswith(prefix):
                found.append((trace_number, span))
    return found


def ids(conn: sqlite3.Connection, session_id: str) -> list[str]:
    """Every trace and span id of a session (what a printed id must be told apart from)."""
    rows = conn.execute(
        "SELECT trace_id FROM traces WHERE session_id = ? UNION SELECT json_tree.value FROM traces,"
        " json_tree(traces.tree) WHERE traces.session_id = ? AND json_tree.key = 'span_id'",
        (session_id, session_id),
    )
    return [str(row[0]) for row in rows]


def _after(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (for an index range)."""
    return prefix + "\U0010ffff"


def _limit(limit: int | None) -> int:
    return -1 if limit is None else limit
