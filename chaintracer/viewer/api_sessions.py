"""The sessions list: a filtered page of it with its facets, and the items of chosen sessions."""

from __future__ import annotations

from typing import Any

from chaintracer.store import Store
from chaintracer.viewer.api_common import ApiError, has_column, like, loads

_LIST_COLUMNS = ("id", "project", "name", "tags", "grp", "job_type", "notes", "started_at", "ended_at", "summary")


def sessions_page(
    store: Store,
    project: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> dict[str, Any]:
    """A page of the sessions list, newest first, with the facets the filters offer."""
    where, params = [], []
    if project:
        where.append("project = ?")
        params.append(project)
    if tag:
        where.append("EXISTS (SELECT 1 FROM json_each(sessions.tags) WHERE json_each.value = ?)")
        params.append(tag)
    if q:
        where.append("(name LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\')")
        params += [like(q), like(q)]
    if status == "error":
        where.append("coalesce(json_extract(summary, '$.errors'), 0) > 0")
    elif status == "ok":
        where.append("coalesce(json_extract(summary, '$.errors'), 0) = 0")
    elif status == "incomplete":
        where.append("coalesce(json_extract(summary, '$.incomplete'), 0) > 0")
    elif status:
        raise ApiError(f"status must be one of ok, error, incomplete; not {status!r}")
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    total = store.query(f"SELECT COUNT(*) FROM sessions{clause}", params)[0][0]
    rows = store.query(
        f"SELECT {_list_select(store)} FROM sessions{clause} ORDER BY ended_at DESC, rowid DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return {
        "sessions": [_list_item(_list_row(row)) for row in rows],
        "total": total,
        "offset": offset,
        "limit": limit,
        "projects": [row[0] for row in store.query("SELECT DISTINCT project FROM sessions ORDER BY project")],
        "tags": [
            row[0]
            for row in store.query("SELECT DISTINCT json_each.value FROM sessions, json_each(sessions.tags) ORDER BY 1")
        ],
    }


def session_items(store: Store, session_ids: list[str]) -> list[dict[str, Any]]:
    """Sessions-list items for the given ids, in that order."""
    items = []
    for session_id in session_ids:
        rows = store.query(f"SELECT {_list_select(store)} FROM sessions WHERE id = ?", [session_id])
        if rows:
            items.append(_list_item(_list_row(rows[0])))
    return items


def _list_select(store: Store) -> str:
    # Stores written before sessions had a status ("live" while the program records) lack it.
    status = "status" if has_column(store, "sessions", "status") else "'flushed'"
    return f"{', '.join(_LIST_COLUMNS)}, {status}"


def _list_row(row: tuple[Any, ...]) -> dict[str, Any]:
    return {**dict(zip(_LIST_COLUMNS, row)), "status": row[len(_LIST_COLUMNS)]}


def _list_item(row: dict[str, Any]) -> dict[str, Any]:
    summary = loads(row["summary"], {})
    latency = summary.get("latency_ms") or {}
    tokens = summary.get("tokens") or {}
    return {
        "id": row["id"],
        "name": row["name"],
        "project": row["project"],
        "tags": loads(row["tags"], []),
        "group": row["grp"],
        "job_type": row["job_type"],
        "notes": row["notes"],
        "status": row["status"],
        "started_at": row["started_at"],
        "ended_at": row["ended_at"],
        "traces": summary.get("traces", 0),
        "spans": summary.get("spans", 0),
        "errors": summary.get("errors", 0),
        "trace_errors": summary.get("trace_errors", 0),
        "incomplete": summary.get("incomplete", 0),
        "tokens": tokens.get("total", 0),
        "latency_p50": latency.get("p50"),
        "latency_p95": latency.get("p95"),
    }
