"""Sessions side by side: their settings and architectures, summary metrics, outputs per input."""

from __future__ import annotations

from typing import Any

from chaintracer.store import Store
from chaintracer.viewer.api_common import DEFAULT_LIMIT, ApiError, dig, resolve

MAX_COMPARE = 32  # the page scrolls the table sideways, never itself: the limit only bounds the work
# The session-level fields compared next to the config.
_COMPARED_FIELDS = ("project", "tags", "group", "job_type", "notes")
METRIC_ROWS = (
    ("traces", ("traces",)),
    ("failed traces", ("trace_errors",)),
    ("spans", ("spans",)),
    ("error spans", ("errors",)),
    ("incomplete spans", ("incomplete",)),
    ("llm calls", ("llm_calls",)),
    ("tool calls", ("tool_calls",)),
    ("tokens total", ("tokens", "total")),
    ("tokens prompt", ("tokens", "prompt")),
    ("tokens completion", ("tokens", "completion")),
    ("cost", ("cost", "total")),
    ("latency p50 ms", ("latency_ms", "p50")),
    ("latency p95 ms", ("latency_ms", "p95")),
    ("latency max ms", ("latency_ms", "max")),
)


def compare(
    store: Store, refs: list[str], offset: int = 0, limit: int = DEFAULT_LIMIT, most: int | None = MAX_COMPARE
) -> dict[str, Any]:
    """Two or more sessions side by side: settings, summary metrics, outputs for the same input.

    Values are keyed by session id so that a viewer can show any subset of the sessions.
    Inputs are matched on the trace's input preview; a page holds ``limit`` inputs.
    """
    ids: list[str] = []
    for ref in refs:
        session_id = resolve(store, ref)
        if session_id not in ids:
            ids.append(session_id)
    if len(ids) < 2:
        raise ApiError("compare needs two or more different sessions")
    if most is not None and len(ids) > most:
        raise ApiError(f"compare shows at most {most} sessions at once")
    sessions = [store.session(session_id) for session_id in ids]
    # One pass over the sessions' (input, seq) columns, grouped here: SQLite would read every
    # trace row once per query (the rows are wide: they hold the trees).
    seqs: dict[str, dict[str, list[int]]] = {}
    for session_id in ids:
        for seq, text in store.trace_inputs(session_id):
            seqs.setdefault(text, {}).setdefault(session_id, []).append(seq)
    shared = [text for text, cells in seqs.items() if len(cells) >= 2]
    shared.sort(key=lambda text: (min(cells[0] for cells in seqs[text].values()), text))
    matched = {sid: sum(len(seqs[text].get(sid, ())) for text in shared) for sid in ids}
    page = shared[offset : offset + limit]
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {text: {} for text in page}
    for session_id in ids:
        wanted = [seq for text in page for seq in seqs[text].get(session_id, ())]
        for cell in store.trace_outcomes(session_id, wanted):
            text = cell.pop("input")
            groups[text].setdefault(session_id, []).append(cell)
    total = len(shared)
    inputs = page
    return {
        "sessions": [
            {
                "id": s["id"],
                "name": s["name"],
                "project": s["project"],
                "started_at": s["started_at"],
                "ended_at": s["ended_at"],
                "traces": (s["summary"] or {}).get("traces", 0),
                "matched": matched.get(s["id"], 0),
            }
            for s in sessions
        ],
        "settings": _settings_rows(sessions),
        "metrics": _metric_rows(sessions),
        "groups": [{"input": text, "cells": groups[text]} for text in inputs],
        "total_groups": total,
        "offset": offset,
        "limit": limit,
    }


def _settings_rows(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    flat = {}
    for s in sessions:
        config = s.get("config") or {}
        # The tracer's settings already hold project, tags, group...; add those it does not.
        values = {f"session.{key}": s.get(key) for key in _COMPARED_FIELDS if key not in config}
        values.update(flatten(config, "config"))
        values.update(model_digest(s.get("model")))
        flat[s["id"]] = values
    keys = sorted({key for values in flat.values() for key in values})
    return [{"key": key, "values": {sid: values.get(key) for sid, values in flat.items()}} for key in keys]


def _metric_rows(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for label, path in METRIC_ROWS:
        rows.append({"key": label, "values": {s["id"]: dig(s.get("summary") or {}, path) for s in sessions}})
    metric_names = sorted({name for s in sessions for name in ((s.get("summary") or {}).get("metrics") or {})})
    for name in metric_names:
        rows.append(
            {
                "key": f"mean {name}",
                "values": {s["id"]: dig(s.get("summary") or {}, ("metrics", name)) for s in sessions},
            }
        )
    return rows


def flatten(value: Any, prefix: str, depth: int = 0) -> dict[str, Any]:
    """Nested dicts as ``prefix.key.sub`` -> scalar (lists of scalars kept whole)."""
    if isinstance(value, dict) and value and depth < 6:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}", depth + 1))
        return out
    return {prefix: value}


def model_digest(model: Any) -> dict[str, Any]:
    """The comparable part of an architecture: types, model parameters, prompts, tool names."""
    if not isinstance(model, dict):
        return {"model": None}
    if "nodes" not in model and "models" not in model:
        return flatten(model, "model")
    digest: dict[str, Any] = {"model.type": model.get("type"), "model.name": model.get("name")}
    for index, item in enumerate(model.get("models") or []):
        if isinstance(item, dict):
            digest[f"model.models[{index}].type"] = item.get("type")
            digest.update(flatten(item.get("params") or {}, f"model.models[{index}].params"))
    prompts = [
        node.get("params", {}).get("template") or node.get("params", {}).get("messages")
        for node in model.get("nodes") or []
        if isinstance(node, dict) and node.get("kind") == "prompt" and isinstance(node.get("params"), dict)
    ]
    for index, prompt in enumerate(prompts):
        digest[f"model.prompts[{index}]"] = prompt
    tools = [t.get("name") for t in model.get("tools") or [] if isinstance(t, dict)]
    if tools:
        digest["model.tools"] = tools
    return digest
