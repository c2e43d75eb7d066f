"""One session: its detail, a page of its trace table, one trace's tree, and span artifacts."""

from __future__ import annotations

import json
import re
from typing import Any

from chaintracer.store import SessionNotFound, Store
from chaintracer.store.sqlite import TRACE_COLUMNS
from chaintracer.viewer.api_common import DEFAULT_LIMIT, ApiError, NotFound, like, load_session, resolve

STATUSES = ("ok", "error", "incomplete")
# "In order" is by start time, as the store lists traces (seq is the order they were written).
TRACE_SORTS = {
    "seq": "start_time, seq",
    "latency": "latency_ms DESC, seq",
    "tokens": "tokens DESC, seq",
    "errors": "errors DESC, seq",
    "spans": "spans DESC, seq",
}
_TRACE_SELECT = ", ".join(TRACE_COLUMNS)
_ARTIFACT_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def session_detail(store: Store, ref: str) -> dict[str, Any]:
    """The full session object (config, summary, model, exports) and its traces' status counts."""
    session = load_session(store, ref)
    counts = dict(
        store.query("SELECT status, COUNT(*) FROM traces WHERE session_id = ? GROUP BY status", [session["id"]])
    )
    session["status_counts"] = counts
    session["stored_traces"] = sum(counts.values())
    return session


def trace_page(
    store: Store,
    ref: str,
    offset: int = 0,
    limit: int = DEFAULT_LIMIT,
    status: str | None = None,
    q: str | None = None,
    sort: str = "seq",
) -> dict[str, Any]:
    """One page of a session's trace table (previews only, no trees)."""
    session_id = resolve(store, ref)
    if sort not in TRACE_SORTS:
        raise ApiError(f"sort must be one of {', '.join(TRACE_SORTS)}; not {sort!r}")
    where, params = ["session_id = ?"], [session_id]
    if status:
        if status not in STATUSES:
            raise ApiError(f"status must be one of {', '.join(STATUSES)}; not {status!r}")
        where.append("status = ?")
        params.append(status)
    if q:
        where.append("(input LIKE ? ESCAPE '\\' OR output LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')")
        params += [like(q)] * 3
    clause = " AND ".join(where)
    total = store.query(f"SELECT COUNT(*) FROM traces WHERE {clause}", params)[0][0]
    rows = store.query(
        f"SELECT {_TRACE_SELECT} FROM traces WHERE {clause} ORDER BY {TRACE_SORTS[sort]} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return {
        "session_id": session_id,
        "rows": [dict(zip(TRACE_COLUMNS, row)) for row in rows],
        "total": total,
        "offset": offset,
        "limit": limit,
    }


def trace_detail(store: Store, ref: str, seq: int) -> dict[str, Any]:
    """One trace: its table row, its span tree, and its neighbours' sequence numbers."""
    session_id = resolve(store, ref)
    rows = store.query(f"SELECT {_TRACE_SELECT}, tree FROM traces WHERE session_id = ? AND seq = ?", [session_id, seq])
    if not rows:
        raise NotFound(f"no trace {seq} in session {session_id}")
    *columns, tree = rows[0]
    row = dict(zip(TRACE_COLUMNS, columns))
    # Neighbours and position in the table's order (start time, then seq).
    key = [session_id, row["start_time"], seq]
    before = "session_id = ? AND (start_time, seq) < (?, ?)"  # row values: an index range scan
    after = "session_id = ? AND (start_time, seq) > (?, ?)"
    prev = store.query(f"SELECT seq FROM traces WHERE {before} ORDER BY start_time DESC, seq DESC LIMIT 1", key)
    following = store.query(f"SELECT seq FROM traces WHERE {after} ORDER BY start_time, seq LIMIT 1", key)
    position = store.query(f"SELECT COUNT(*) FROM traces WHERE {before}", key)[0][0]
    total = store.query("SELECT COUNT(*) FROM traces WHERE session_id = ?", [session_id])[0][0]
    names = store.query("SELECT name, project FROM sessions WHERE id = ?", [session_id])[0]
    return {
        "session": {"id": session_id, "name": names[0], "project": names[1]},
        "row": row,
        "tree": json.loads(tree),
        "prev": prev[0][0] if prev else None,
        "next": following[0][0] if following else None,
        "position": position,
        "total": total,
    }


def artifact(store: Store, ref: str, artifact_ref: str) -> tuple[str, str]:
    """``(media_type, content)`` of a visualisation a span references."""
    if not _ARTIFACT_REF.match(artifact_ref):
        raise ApiError(f"not an artifact reference: {artifact_ref[:80]!r}")
    session_id = resolve(store, ref)
    try:
        return store.artifact(session_id, artifact_ref)
    except SessionNotFound as exc:
        raise NotFound(str(exc)) from None
