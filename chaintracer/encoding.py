"""Turns a finished span tree into the exported JSON shape plus per-trace statistics.

A pure function of the tree: it runs in the encoding worker (or at flush), never inside a
callback. The encoded trace keeps only a compact JSON text of the tree, so the raw framework
objects a span referenced are released as soon as its trace is encoded.
"""

from __future__ import annotations

import json
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from chaintracer.guard import raise_internal_errors
from chaintracer.kinds import FAMILIES, MODEL_KINDS, family
from chaintracer.payloads import Converter, safe_str
from chaintracer.redact import clean
from chaintracer.spans import Span
from chaintracer.spantree import one_line

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

COUNTER_NAMES = (
    "starts",
    "ends",
    "errors",
    "incomplete",
    "text",
    "llm_streams",
    *(f"{name}_{edge}" for name in FAMILIES for edge in ("starts", "ends")),
)
PREVIEW_CHARS = 300
# Spans nested deeper hang under their ancestor at this depth, marked with "depth_capped":
# every JSON reader (Python's json, the viewer) parses the tree without hitting a recursion limit.
MAX_SPAN_DEPTH = 64
STATUSES = ("ok", "error", "incomplete")


_iso_second: tuple[int, str] = (-1, "")


def iso(ns: int | None) -> str | None:
    """ISO-8601 UTC with microseconds for integer nanoseconds since the epoch."""
    global _iso_second
    if ns is None:
        return None
    second, micros = divmod(ns // 1000, 1_000_000)
    cached, prefix = _iso_second  # spans of a trace mostly share their second: format it once
    if second != cached:
        prefix = (_EPOCH + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S")
        _iso_second = (second, prefix)
    return f"{prefix}.{micros:06d}+00:00"


@dataclass(slots=True)
class EncodedTrace:
    """One finished trace: the row columns, its statistics and the tree as JSON text."""

    trace_id: str
    name: str
    kind: str
    status: str
    start_ns: int
    end_ns: int
    input_preview: str
    output_preview: str
    stats: dict[str, Any] = field(default_factory=dict)
    tree_json: str = ""
    # Large derived content (visualisation HTML) by reference: ref -> (media type, text).
    artifacts: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def latency_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6


def new_stats() -> dict[str, Any]:
    """Zeroed statistics for a trace or a session."""
    stats: dict[str, Any] = {"spans": 0, "llm_calls": 0, "tool_calls": 0}
    stats.update(dict.fromkeys(COUNTER_NAMES, 0))
    stats["tokens"] = {"prompt": 0, "completion": 0, "total": 0}
    # Per metric name: [sum, count] over model spans, for the session's means.
    stats["metric_sums"] = {}
    return stats


def add_stats(total: dict[str, Any], part: dict[str, Any]) -> None:
    """Adds one trace's statistics into a running total."""
    for key, value in part.items():
        if key == "tokens":
            for token_key, count in value.items():
                total["tokens"][token_key] = total["tokens"].get(token_key, 0) + count
        elif key == "metric_sums":
            for name, (amount, count) in value.items():
                running = total["metric_sums"].setdefault(name, [0.0, 0])
                running[0] += amount
                running[1] += count
        elif isinstance(value, (int, float)):
            total[key] = total.get(key, 0) + value


# Called for each model span with the raw span, its encoded dict (to add "metrics" and
# attributes) and the trace's artifacts (to add HTML by reference). Runs in the worker.
ModelSpanAnalyzer = Callable[[Span, dict[str, Any], dict[str, tuple[str, str]]], None]


@dataclass(slots=True)
class _TraceContext:
    """What every span of one trace being encoded shares."""

    trace_id: str  # computed once: str() of a UUID is not free
    end_default: int  # end time given to spans that never ended
    stats: dict[str, Any]
    artifacts: dict[str, tuple[str, str]]


class TraceEncoder:
    """Encodes finished traces with one payload converter (size limit, masking, adapter hook)."""

    def __init__(self, converter: Converter, analyze: ModelSpanAnalyzer | None = None) -> None:
        self.converter = converter
        self.analyze = analyze

    def encode(self, root: Span) -> EncodedTrace:
        """The encoded form of the trace rooted at ``root``; a value that cannot be read is marked, never fatal."""
        stats = new_stats()
        artifacts: dict[str, tuple[str, str]] = {}
        end_default = max(root.end_ns if root.end_ns is not None else root.start_ns, root.start_ns)
        trace_id = _id_text(root.trace_id)
        context = _TraceContext(trace_id, end_default, stats, artifacts)
        tree = self._tree(root, context)
        return EncodedTrace(
            trace_id=trace_id,
            name=tree["name"],
            kind=tree["kind"],
            status=tree["status"],
            start_ns=root.start_ns,
            end_ns=end_default,
            input_preview=preview(tree["inputs"]),
            output_preview=preview(tree["outputs"] if tree["error"] is None else tree["error"]["message"]),
            stats=stats,
            tree_json=json.dumps(tree, ensure_ascii=False, separators=(",", ":"), allow_nan=False),
            artifacts=artifacts,
        )

    def _tree(self, root: Span, context: _TraceContext) -> dict[str, Any]:
        """The encoded tree, built without recursion; a span reachable twice is encoded once."""
        tree = self._span(root, None, context)
        seen = {id(root)}
        stack: list[tuple[Span, dict[str, Any], int]] = [(root, tree, 0)]
        while stack:
            span, encoded, depth = stack.pop()
            children = [c for c in span.children if isinstance(c, Span) and id(c) not in seen]
            seen.update(id(child) for child in children)
            if depth + 1 < MAX_SPAN_DEPTH:
                children.sort(key=_start)
                for child in children:
                    child_encoded = self._span(child, encoded["span_id"], context)
                    encoded["children"].append(child_encoded)
                    stack.append((child, child_encoded, depth + 1))
            elif children:
                encoded["children"] = self._flattened(children, encoded["span_id"], depth + 1, seen, context)
        return tree

    def _flattened(
        self, children: list[Span], anchor_id: str, depth: int, seen: set[int], context: _TraceContext
    ) -> list[dict[str, Any]]:
        """Every descendant below the depth cap, as children of one anchor, in start order."""
        flat: list[tuple[int, dict[str, Any]]] = []
        pending = [(child, anchor_id, depth) for child in children]
        while pending:
            span, parent_id, level = pending.pop()
            encoded = self._span(span, anchor_id, context)
            encoded["attributes"]["depth_capped"] = {"parent_id": parent_id, "depth": level}
            flat.append((_start(span), encoded))
            grandchildren = [c for c in span.children if isinstance(c, Span) and id(c) not in seen]
            seen.update(id(child) for child in grandchildren)
            pending.extend((child, encoded["span_id"], level + 1) for child in grandchildren)
        flat.sort(key=lambda item: item[0])
        return [encoded for _, encoded in flat]

    def _span(self, span: Span, parent_id: str | None, context: _TraceContext) -> dict[str, Any]:
        """One span without its children; never raises (a span that cannot be read is marked)."""
        try:
            return self._span_fields(span, parent_id, context)
        except Exception as exc:
            return self._unreadable_span(span, parent_id, context, exc)

    def _span_fields(self, span: Span, parent_id: str | None, context: _TraceContext) -> dict[str, Any]:
        converter = self.converter
        convert = converter.convert
        notes: set[str] = set()
        status = span.status if span.end_ns is not None else "incomplete"
        if status not in STATUSES:
            status = "ok"
        attributes = convert(span.attributes, notes) if span.attributes else {}
        if not isinstance(attributes, dict):  # over max_payload_bytes: keep the marker under a key
            attributes = {"_attributes": attributes}
        _readable_times(attributes, span.start_ns)
        encoded = {
            "span_id": _id_text(span.span_id),
            "trace_id": context.trace_id,
            "parent_id": parent_id,
            "name": converter.label(span.name) if type(span.name) is str else converter.label(safe_str(span.name)),
            "kind": span.kind if type(span.kind) is str else "chain",
            "status": status,
            "error": self._error(span.error) if status == "error" else None,
            "start_time": iso(span.start_ns),
            # A manual span may say it ended before it started: shown as ending when it started.
            "end_time": iso(max(span.end_ns if span.end_ns is not None else context.end_default, span.start_ns)),
            "inputs": convert(span.inputs, notes),
            "outputs": convert(span.outputs, notes),
            "attributes": attributes,
            "metrics": convert(span.metrics, notes) if span.metrics else {},
            "children": [],
        }
        if notes:
            attributes["encoding_notes"] = sorted(notes)
        if self.analyze is not None and encoded["kind"] in MODEL_KINDS and status == "ok":
            try:
                self.analyze(span, encoded, context.artifacts)
            except Exception as exc:  # metrics are extras: the span keeps everything else
                if raise_internal_errors():
                    raise
                encoded["metrics"]["analysis_error"] = type(exc).__name__
        _count(status, encoded, context.stats)
        return encoded

    def _unreadable_span(
        self, span: Span, parent_id: str | None, context: _TraceContext, exc: Exception
    ) -> dict[str, Any]:
        """A placeholder for a span whose fields could not be read (set by hand to garbage)."""
        if raise_internal_errors():
            raise exc
        try:
            span_id = _id_text(span.span_id)
        except Exception:
            span_id = uuid.uuid4().hex
        try:
            when = iso(context.end_default)
        except Exception:
            when = iso(0)
        encoded = {
            "span_id": span_id,
            "trace_id": context.trace_id,
            "parent_id": parent_id,
            "name": "<unreadable span>",
            "kind": "chain",
            "status": "incomplete",
            "error": None,
            "start_time": when,
            "end_time": when,
            "inputs": None,
            "outputs": None,
            "attributes": {"encoding_error": f"this span could not be encoded: {type(exc).__name__}"},
            "metrics": {},
            "children": [],
        }
        context.stats["spans"] += 1
        context.stats["starts"] += 1
        context.stats["incomplete"] += 1
        return encoded

    def _error(self, error: Any) -> dict[str, Any]:
        """The ``{type, message, traceback}`` of a failed span, masked; never raises."""
        string = self.converter.string
        if isinstance(error, BaseException):
            try:
                trace_text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            except Exception:
                trace_text = None
            return {
                "type": clean(type(error).__name__),
                "message": string(safe_str(error)),
                "traceback": None if trace_text is None else string(trace_text),
            }
        if isinstance(error, dict):
            trace_text = error.get("traceback")
            return {
                "type": string(safe_str(error.get("type") or "Error")),
                "message": string(safe_str(error.get("message") or "")),
                "traceback": None if trace_text is None else string(safe_str(trace_text)),
            }
        return {"type": "Error", "message": "" if error is None else string(safe_str(error)), "traceback": None}


def _start(span: Span) -> int:
    return span.start_ns


def _id_text(span_id: Any) -> str:
    """A span or trace id as text (ids are not masked: a mask must not merge two spans)."""
    return clean(span_id if type(span_id) is str else safe_str(span_id))


def _readable_times(attributes: dict[str, Any], start_ns: int) -> None:
    """Nanosecond stamps recorded on the hot path become ISO times (and time to first token)."""
    first_token = attributes.pop("first_token_time_ns", None)
    if isinstance(first_token, int):
        attributes["first_token_time"] = iso(first_token)
        attributes["time_to_first_token_ms"] = round((first_token - start_ns) / 1e6, 3)
    for event in attributes.get("events") or ():
        if isinstance(event, dict) and isinstance(event.get("time_ns"), int):
            event["time"] = iso(event.pop("time_ns"))


def _count(status: str, encoded: dict[str, Any], stats: dict[str, Any]) -> None:
    stats["spans"] += 1
    stats["starts"] += 1
    family_name = family(encoded["kind"])
    stats[f"{family_name}_starts"] += 1
    if status == "ok":
        stats["ends"] += 1
        stats[f"{family_name}_ends"] += 1
    elif status == "error":
        stats["errors"] += 1
    else:
        stats["incomplete"] += 1
    if family_name == "llm":
        stats["llm_calls"] += 1
    elif family_name == "tool":
        stats["tool_calls"] += 1
    attributes = encoded["attributes"]
    stats["llm_streams"] += attributes.get("chunks", 0) if isinstance(attributes.get("chunks"), int) else 0
    for event in attributes.get("events") or ():
        if isinstance(event, dict) and event.get("name") == "text":
            stats["text"] += 1
    tokens = attributes.get("tokens")
    if family_name == "llm" and isinstance(tokens, dict):
        for key in ("prompt", "completion", "total"):
            value = tokens.get(key)
            if isinstance(value, int):
                stats["tokens"][key] += value
    for name, value in encoded["metrics"].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            running = stats["metric_sums"].setdefault(name, [0.0, 0])
            running[0] += value
            running[1] += 1


def preview(value: Any) -> str:
    """A one-line text of a JSON value for tables (the first few hundred characters)."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict) and len(value) == 1:
        (only,) = value.values()
        text = only if isinstance(only, str) else json.dumps(only, ensure_ascii=False)
    else:
        text = json.dumps(value, ensure_ascii=False)
    return one_line(text, PREVIEW_CHARS)
