"""The sessions list: a filtered page of it with its facets, and the items of chosen sessions."""

from __future__ import annotations

from typing import Any

from chaintracer.store import Store
from chaintracer.store.pages import SESSION_OUTCOMES, SESSION_SORTS
from chaintracer.viewer.api_common import ApiError, check_search


def sessions_page(
    store: Store,
    project: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 100,
    sort: str = "ended",
    order: str = "desc",
) -> dict[str, Any]:
    """A page of the sessions list (newest first, or by ``sort`` in ``order``) with the facets the filters offer."""
    if status and status not in SESSION_OUTCOMES:
        raise ApiError(f"status must be one of {', '.join(SESSION_OUTCOMES)}; not {status!r}")
    if sort not in SESSION_SORTS:
        raise ApiError(f"sort must be one of {', '.join(SESSION_SORTS)}; not {sort!r}")
    if order not in ("asc", "desc"):
        raise ApiError(f"order must be asc or desc, not {order!r}")
    page = store.session_list(project, tag, check_search(q), status, offset, limit, sort, order == "desc")
    return {
        "sort": sort,
        "order": order,
        "sessions": [_list_item(row) for row in page["rows"]],
        "total": page["total"],
        "offset": offset,
        "limit": limit,
        "projects": page["projects"],
        "tags": page["tags"],
    }


def session_items(store: Store, session_ids: list[str]) -> list[dict[str, Any]]:
    """Sessions-list items for the given ids, in that order."""
    return [_list_item(row) for row in store.session_rows(session_ids)]


def _list_item(row: dict[str, Any]) -> dict[str, Any]:
    summary = row["summary"]
    latency = summary.get("latency_ms") or {}
    tokens = summary.get("tokens") or {}
    cost = summary.get("cost")
    return {
        "id": row["id"],
        "name": row["name"],
        "project": row["project"],
        "tags": row["tags"],
        "group": row["group"],
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
        # Cost as the tracer summed it (None: no price known for some model, shown as "unknown");
        # sessions recorded before costs were tracked have no cost at all.
        "cost": cost.get("total") if isinstance(cost, dict) else None,
        "cost_tracked": isinstance(cost, dict),
        "metrics": summary.get("metrics") or {},
        "scores": summary.get("scores") or {},
        "latency_p50": latency.get("p50"),
        "latency_p95": latency.get("p95"),
    }
