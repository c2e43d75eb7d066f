"""The JSON export contract (docs/architecture.md): a pure function of what the store holds.

Scores and human feedback are stored apart from the traces (they arrive after a trace is
written); reading merges them in: an evaluated trace's root span gets ``"scores"``, a span
given feedback gets ``"feedback"``, and the session summary gets the score means
(``summary["scores"]``).
"""

from __future__ import annotations

from typing import Any

from chaintracer.spantree import walk
from chaintracer.store import Store

SESSION_KEYS = (
    "id",
    "project",
    "name",
    "tags",
    "group",
    "job_type",
    "notes",
    "started_at",
    "ended_at",
    "config",
    "summary",
    "model",
)


def session_object(session: dict[str, Any]) -> dict[str, Any]:
    """A stored session reduced to the contract's ``session`` object."""
    return {key: session.get(key) for key in SESSION_KEYS}


def export_session(store: Store, ref: str) -> dict[str, Any]:
    """``{"session": ..., "traces": [...]}`` for a session id or name."""
    session = store.session(ref)
    traces = store.trees(session["id"])
    annotations = store.annotations(session["id"])
    for root in traces:
        annotate_tree(root, annotations)
    document = {"session": session_object(session), "traces": traces}
    if annotations["means"]:
        document["session"]["summary"] = {**document["session"]["summary"], "scores": annotations["means"]}
    return document


def annotate_tree(root: dict[str, Any], annotations: dict[str, Any]) -> dict[str, Any]:
    """Adds a trace's scores and its spans' feedback (from ``Store.annotations``) to an exported root."""
    scores = annotations["scores"].get(root["trace_id"])
    if scores:
        root["scores"] = scores
    feedback = annotations["feedback"]
    if feedback:
        for span in walk(root):
            entries = feedback.get(span["span_id"])
            if entries:
                span["feedback"] = entries
    return root
