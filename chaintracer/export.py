"""The JSON export contract (see ARCHITECTURE.md): a pure function of what the store holds."""

from __future__ import annotations

from typing import Any

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
    return {"session": session_object(session), "traces": store.trees(session["id"])}
