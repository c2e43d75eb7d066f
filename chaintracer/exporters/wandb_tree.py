"""What W&B's Trace panel draws, from exported spans and the session's model. Pure, no wandb import.

``span_fields`` gives the fields of ``wandb.sdk.data_types.trace_tree.Span`` (the exporter turns
them into that class); ``model_dict`` gives the Model Architecture tab's dict. Both are plain
data, so the tests read them without wandb.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from chaintracer.kinds import wandb_kind

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
# Graph endpoints in a LangChain architecture: not components, so no header of their own.
_NOT_COMPONENTS = frozenset({"schema", "marker"})


def epoch_us(iso_time: str | None) -> int | None:
    """Microseconds since the epoch of an ISO-8601 time (exact, no float rounding)."""
    if not iso_time:
        return None
    moment = datetime.fromisoformat(iso_time)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - _EPOCH) // _MICROSECOND


def ms_bounds(start_time: str | None, end_time: str | None) -> tuple[int | None, int | None]:
    """Whole-millisecond start and end that keep every span visible in the panel.

    The start is rounded down and the end up, so a span that ran for any time at all spans at
    least one millisecond, and a child stays inside its parent. A span that took no measurable
    time still gets one millisecond: the panel divides by the root's duration.
    """
    start_us, end_us = epoch_us(start_time), epoch_us(end_time)
    start_ms = None if start_us is None else start_us // 1000
    end_ms = None if end_us is None else -(-end_us // 1000)
    if start_ms is not None and end_ms is not None:
        end_ms = max(end_ms, start_ms + 1)
    return start_ms, end_ms


def span_fields(span: dict[str, Any]) -> dict[str, Any]:
    """The fields of W&B's ``trace_tree.Span`` for an exported span and its children."""
    status = span["status"]
    error = span.get("error") or {}
    message = f"{error.get('type')}: {error.get('message')}" if error else None
    if status == "incomplete":
        message = "incomplete: the span never ended (closed at flush)"
    attributes = {**(span.get("attributes") or {}), "kind": span["kind"], "status": status}
    if span.get("metrics"):
        attributes["metrics"] = span["metrics"]
    start_ms, end_ms = ms_bounds(span.get("start_time"), span.get("end_time"))
    return {
        "span_id": span["span_id"],
        "name": span["name"],
        "start_time_ms": start_ms,
        "end_time_ms": end_ms,
        "status_code": "SUCCESS" if status == "ok" else "ERROR",
        "status_message": message,
        "attributes": attributes,
        "results": [{"inputs": _named(span.get("inputs"), "input"), "outputs": _named(span.get("outputs"), "output")}],
        "child_spans": [span_fields(child) for child in span.get("children") or ()],
        "span_kind": wandb_kind(span["kind"]),
    }


def _named(value: Any, key: str) -> dict[str, Any] | None:
    if value is None:
        return None
    return value if isinstance(value, dict) else {key: value}


def model_dict(model: dict[str, Any] | None) -> dict[str, Any] | None:
    """The Model Architecture tab's dict: the asset's description with ``_kind`` on each component.

    The panel gives a header to every dict carrying ``_kind``, as ``WandbTracer`` wrote them;
    our descriptions carry ``kind`` (the span-kind vocabulary: llm, chat_model, prompt, tool,
    agent, retriever...), so it is renamed. The asset itself and the runnable nodes of its graph
    are components too (``chain`` when they have no kind of their own). No asset, no dict:
    ``None``, so the trace carries no model and no model hash.
    """
    if not model:
        return None
    tree = _with_kind(model)
    tree = {"_kind": tree.pop("_kind", "chain"), **tree}
    nodes = tree.get("nodes")
    if isinstance(nodes, list):
        tree["nodes"] = [
            {"_kind": node.pop("_kind", "chain"), **node}
            if isinstance(node, dict) and node.get("type") not in _NOT_COMPONENTS
            else node
            for node in nodes
        ]
    return tree


def _with_kind(value: Any) -> Any:
    if isinstance(value, list):
        return [_with_kind(item) for item in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("kind")
    if not isinstance(kind, str):
        return {key: _with_kind(item) for key, item in value.items()}
    return {"_kind": kind, **{key: _with_kind(item) for key, item in value.items() if key != "kind"}}
