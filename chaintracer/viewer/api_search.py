"""Full-text search over the spans of one session or of the whole store, and a session's charts."""

from __future__ import annotations

import math
from typing import Any

from chaintracer.store import Store
from chaintracer.viewer.api_common import DEFAULT_LIMIT, check_search, resolve

HISTOGRAM_BINS = 24


def search(store: Store, q: str | None, session: str | None = None, offset: int = 0, limit: int = DEFAULT_LIMIT) -> Any:
    """Spans holding every word of ``q``: ``hits`` (session, trace number, span, field, snippet), ``total``.

    A snippet marks each match between U+0002 and U+0003: the page turns those into ``<mark>``
    elements around text nodes, so a snippet is never parsed as HTML.
    """
    text = check_search(q) or ""
    session_id = resolve(store, session) if session else None
    found = store.search(text, session_id, offset, limit)
    names: dict[str, str] = {}
    if session_id is None and found["hits"]:
        ids = list(dict.fromkeys(hit["session_id"] for hit in found["hits"]))
        names = {row["id"]: row["name"] for row in store.session_rows(ids)}
    for hit in found["hits"]:
        hit["session_name"] = names.get(hit["session_id"]) if session_id is None else None
    return {"q": text, "session_id": session_id, "offset": offset, "limit": limit, **found}


def session_charts(store: Store, ref: str) -> dict[str, Any]:
    """What the session page draws: a histogram of trace latencies, and calls, tokens and cost per model."""
    session_id = resolve(store, ref)
    return {
        "session_id": session_id,
        "latency": histogram(store.latencies(session_id)),
        "models": store.usage_by_model(session_id),
    }


def histogram(values: list[float], bins: int = HISTOGRAM_BINS) -> dict[str, Any]:
    """Sorted latencies binned on a linear scale, or a logarithmic one when they span over two decades."""
    if not values:
        return {"scale": "linear", "edges": [], "counts": [], "n": 0}
    low, high = values[0], values[-1]
    if high <= low:
        return {"scale": "linear", "edges": [low, low + 1.0], "counts": [len(values)], "n": len(values)}
    logarithmic = low > 0 and high / low > 100
    scale = math.log10 if logarithmic else float
    start, stop = scale(low), scale(high)
    edges = [start + (stop - start) * i / bins for i in range(bins + 1)]
    if logarithmic:
        edges = [10**edge for edge in edges]
    counts = [0] * bins
    for value in values:
        position = (scale(value) - start) / (stop - start)
        counts[min(bins - 1, max(0, int(position * bins)))] += 1
    return {"scale": "log" if logarithmic else "linear", "edges": edges, "counts": counts, "n": len(values)}
