"""The viewer's JSON: sessions list, session page, trace table pages, trace trees, comparisons.

Every function asks the store again (no caching), so a session written while the viewer runs
shows up on the next request. The store reads one page at a time through its indexes and never
loads more than one trace tree per call (``chaintracer.store.pages``): a session of 10,000
traces opens as fast as a small one. ``route`` maps ``/api/...`` paths onto these functions for
the server and checks every parameter (a bad one is a 400, never a 500).

The views live in ``api_sessions`` (the sessions list), ``api_traces`` (one session, its trace
table, trace trees, artifacts), ``api_search`` (full-text search, a session's charts),
``api_compare`` (comparison) and ``api_experiments`` (experiments); ``api_common`` holds what
they share. None of them holds SQL. Their public names are re-exported here, where the server, the
report and the tests use them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from chaintracer.store import Store
from chaintracer.store.pages import TRACE_COLUMNS, TRACE_SORTS
from chaintracer.viewer.api_common import DEFAULT_LIMIT, ApiError, NotFound, dumps
from chaintracer.viewer.api_compare import MAX_COMPARE, METRIC_ROWS, compare, flatten, model_digest
from chaintracer.viewer.api_experiments import experiment_detail, experiments_list
from chaintracer.viewer.api_search import histogram, search, session_charts
from chaintracer.viewer.api_sessions import session_items, sessions_page
from chaintracer.viewer.api_traces import STATUSES, artifact, session_detail, trace_detail, trace_page

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
    "experiment_detail",
    "experiments_list",
    "flatten",
    "histogram",
    "model_digest",
    "route",
    "search",
    "session_charts",
    "session_detail",
    "session_items",
    "sessions_page",
    "trace_detail",
    "trace_page",
]

MAX_LIMIT = 500
MAX_INTEGER = 2**63 - 1  # SQLite's largest integer: a larger offset or trace number is a 400, not an OverflowError
MAX_PARAMETER_CHARS = 1000  # searches included (SQLite refuses LIKE patterns over 50,000 bytes)


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
            sort=arg.text("sort") or "ended",
            order=arg.text("order") or "desc",
        )
    if len(parts) >= 2 and parts[0] == "sessions":
        ref = parts[1]
        if len(parts) == 2:
            return session_detail(store, ref)
        if parts[2] == "charts" and len(parts) == 3:
            return session_charts(store, ref)
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
        refs = [ref for value in arg.texts("ids") for ref in value.split(",") if ref]
        return compare(store, refs, offset=arg.int("offset", 0), limit=arg.limit(DEFAULT_LIMIT))
    if parts == ["search"]:
        return search(
            store, arg.text("q"), arg.text("session"), offset=arg.int("offset", 0), limit=arg.limit(DEFAULT_LIMIT)
        )
    if parts == ["experiments"]:
        return experiments_list(store)
    if len(parts) == 2 and parts[0] == "experiments":
        return experiment_detail(
            store, parts[1], arg.text("baseline"), offset=arg.int("offset", 0), limit=arg.limit(100)
        )
    raise NotFound(f"no API route /api/{path.strip('/')}")


class _Args:
    def __init__(self, query: dict[str, list[str]]) -> None:
        self.query = query

    def texts(self, name: str) -> list[str]:
        values = self.query.get(name, [])
        for value in values:
            if len(value) > MAX_PARAMETER_CHARS:
                raise ApiError(f"{name} is at most {MAX_PARAMETER_CHARS} characters, not {len(value)}")
        return values

    def text(self, name: str) -> str | None:
        values = self.texts(name)
        return values[-1].strip() or None if values else None

    def int(self, name: str, default: int) -> int:
        text = self.text(name)
        return default if text is None else _int(text, name)

    def limit(self, default: int) -> int:
        return max(1, min(MAX_LIMIT, self.int("limit", default)))


def _int(text: str, what: str) -> int:
    """A number SQLite can take (0 to 2^63 - 1), or ``ApiError`` (400) naming the parameter."""
    try:
        value = int(text)
    except ValueError:
        raise ApiError(f"{what} must be an integer, not {text[:40]!r}") from None
    if not 0 <= value <= MAX_INTEGER:
        raise ApiError(f"{what} must be between 0 and {MAX_INTEGER}, not {text[:40]}")
    return value
