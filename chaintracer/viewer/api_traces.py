"""One session: its detail, a page of its trace table, one trace's tree, and span artifacts."""

from __future__ import annotations

import re
from typing import Any

from chaintracer.export import annotate_tree
from chaintracer.store import SessionNotFound, Store
from chaintracer.store.pages import TRACE_SORTS, TRACE_STATUSES
from chaintracer.viewer.api_common import DEFAULT_LIMIT, ApiError, NotFound, check_search, resolve

STATUSES = TRACE_STATUSES
_ARTIFACT_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def session_detail(store: Store, ref: str) -> dict[str, Any]:
    """The full session object (config, summary, model, exports) and its traces' status counts."""
    try:
        return store.session_detail(ref)
    except SessionNotFound as exc:
        raise NotFound(exc.args[0] if exc.args else str(exc)) from None


def trace_page(
    store: Store,
    ref: str,
    offset: int = 0,
    limit: int = DEFAULT_LIMIT,
    status: str | None = None,
    q: str | None = None,
    sort: str = "seq",
) -> dict[str, Any]:
    """One page of a session's trace table (previews only, no trees); ``q`` searches every span's text."""
    session_id = resolve(store, ref)
    if sort not in TRACE_SORTS:
        raise ApiError(f"sort must be one of {', '.join(TRACE_SORTS)}; not {sort!r}")
    if status and status not in STATUSES:
        raise ApiError(f"status must be one of {', '.join(STATUSES)}; not {status!r}")
    rows, total = store.trace_page(session_id, offset, limit, status or None, check_search(q), sort)
    return {"session_id": session_id, "rows": rows, "total": total, "offset": offset, "limit": limit}


def trace_detail(store: Store, ref: str, number: int) -> dict[str, Any]:
    """Trace ``number`` (1-based, as the CLI counts): its row, span tree with scores and feedback, neighbours."""
    session_id = resolve(store, ref)
    try:
        found = store.trace_detail(session_id, number)
    except SessionNotFound as exc:
        raise NotFound(str(exc)) from None
    annotate_tree(found["tree"], store.annotations(session_id))
    return found


def artifact(store: Store, ref: str, artifact_ref: str) -> tuple[str, str]:
    """``(media_type, content)`` of a visualisation a span references."""
    if not _ARTIFACT_REF.match(artifact_ref):
        raise ApiError(f"not an artifact reference: {artifact_ref[:80]!r}")
    session_id = resolve(store, ref)
    try:
        return store.artifact(session_id, artifact_ref)
    except SessionNotFound as exc:
        raise NotFound(str(exc)) from None
