"""The viewer's JSON: sessions list, session page, trace table pages, trace trees, comparisons.

Every function re-queries the store (no caching), so a session written while the viewer runs
shows up on the next request. Queries read one page at a time through the store's indexes and
never load more than one trace tree per call: a session of 10,000 traces opens as fast as a
small one. ``route`` maps ``/api/...`` paths onto these functions for the server.

The queries live in ``api_sessions`` (the sessions list), ``api_traces`` (one session, its
trace table, trace trees, artifacts) and ``api_compare`` (comparison); ``api_common`` holds
what they share. Their public names are re-exported here, where the server, the report and the
tests use them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from chaintracer.store import Store
from chaintracer.viewer.api_common import DEFAULT_LIMIT, ApiError, NotFound, dumps, has_column
from chaintracer.viewer.api_compare import MAX_COMPARE, METRIC_ROWS, compare, flatten, model_digest
from chaintracer.viewer.api_sessions import session_items, sessions_page
from chaintracer.viewer.api_traces import (
    STATUSES,
    TRACE_COLUMNS,
    TRACE_SORTS,
    artifact,
    session_detail,
    trace_detail,
    trace_page,
)

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_COMPARE",
    "MAX_LIMIT",
    "METRIC_ROWS",
    "STATUSES",
    "TRACE_COLUMNS",
    "TRACE_SORTS",
    "ApiError",
    "NotFound",
    "artifact",
    "compare",
    "dumps",
    "flatten",
    "has_column",
    "model_digest",
    "route",
    "session_detail",
    "session_items",
    "sessions_page",
    "trace_detail",
    "trace_page",
]

MAX_LIMIT = 500


def route(store: Store, path: str, query: dict[str, list[str]]) -> Any:
    """The JSON answer to ``GET /api/<path>``; raises ``ApiError`` (404 for unknown paths)."""
    parts = [unquote(part) for part in path.strip("/").split("/")] if path.strip("/") else []
    arg = _Args(query)
    if parts == ["sessions"]:
        return sessions_page(
            store,
            project=arg.text("project"),
            tag=arg.text("tag"),
            q=arg.text("q"),
            status=arg.text("status"),
            offset=arg.int("offset", 0),
            limit=arg.limit(100),
        )
    if len(parts) >= 2 and parts[0] == "sessions":
        ref = parts[1]
        if len(parts) == 2:
            return session_detail(store, ref)
        if parts[2] == "traces" and len(parts) == 3:
            return trace_page(
                store,
                ref,
                offset=arg.int("offset", 0),
                limit=arg.limit(DEFAULT_LIMIT),
                status=arg.text("status"),
                q=arg.text("q"),
                sort=arg.text("sort") or "seq",
            )
        if parts[2] == "traces" and len(parts) == 4:
            return trace_detail(store, ref, _int(parts[3], "trace number"))
    if parts == ["info"]:
        from chaintracer import __version__

        return {"store": str(store.path), "version": __version__, "mode": "live"}
    if parts == ["compare"]:
        refs = [ref for value in query.get("ids", []) for ref in value.split(",") if ref]
        return compare(store, refs, offset=arg.int("offset", 0), limit=arg.limit(DEFAULT_LIMIT))
    raise NotFound(f"no API route /api/{path.strip('/')}")


class _Args:
    def __init__(self, query: dict[str, list[str]]) -> None:
        self.query = query

    def text(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1].strip() or None if values else None

    def int(self, name: str, default: int) -> int:
        text = self.text(name)
        value = default if text is None else _int(text, name)
        if value < 0:
            raise ApiError(f"{name} must be 0 or more")
        return value

    def limit(self, default: int) -> int:
        return max(1, min(MAX_LIMIT, self.int("limit", default)))


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ApiError(f"{what} must be an integer, not {text[:40]!r}") from None
