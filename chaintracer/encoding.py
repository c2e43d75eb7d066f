"""Turns a finished span tree into the exported JSON shape plus per-trace statistics.

A pure function of the tree: it runs in the encoding worker (or at flush), never inside a
callback. The encoded trace keeps only a compact JSON text of the tree, so the raw framework
objects a span referenced are released as soon as its trace is encoded.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from chaintracer.kinds import MODEL_KINDS
from chaintracer.payloads import Converter, mask_string
from chaintracer.previews import answer_preview, question_preview
from chaintracer.prices import PriceTable, price_tree
from chaintracer.spans import Span
from chaintracer.stats import TraceStats

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


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
    stats: TraceStats = field(default_factory=TraceStats)
    tree_json: str = ""
    # Large derived content (visualisation HTML) by reference: ref -> (media type, text).
    artifacts: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def latency_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6


# Called for each model span with the raw span, its encoded dict (to add "metrics" and
# attributes) and the trace's artifacts (to add HTML by reference). Runs in the worker.
ModelSpanAnalyzer = Callable[[Span, dict[str, Any], dict[str, tuple[str, str]]], None]


@dataclass(slots=True)
class _TraceContext:
    """What every span of one trace being encoded shares."""

    trace_id: str  # computed once: str() of a UUID is not free
    end_default: int  # end time given to spans that never ended
    stats: TraceStats
    artifacts: dict[str, tuple[str, str]]


class TraceEncoder:
    """Encodes finished traces with one payload converter (size limit, masking, adapter hook).

    Model spans get ``attributes.cost`` from ``prices`` (default: the shipped table and
    ``$CHAINTRACER_PRICES``), and the trace's stats their costs.
    """

    def __init__(
        self, converter: Converter, analyze: ModelSpanAnalyzer | None = None, prices: PriceTable | None = None
    ) -> None:
        self.converter = converter
        self.analyze = analyze
        self.prices = prices if prices is not None else PriceTable.load()

    def encode(self, root: Span) -> EncodedTrace:
        """The encoded form of the trace rooted at ``root``."""
        stats = TraceStats()
        artifacts: dict[str, tuple[str, str]] = {}
        end_default = root.end_ns if root.end_ns is not None else root.start_ns
        context = _TraceContext(str(root.trace_id), end_default, stats, artifacts)
        tree = self._span(root, None, context)
        price_tree(tree, self.prices, stats)
        return EncodedTrace(
            trace_id=str(root.trace_id),
            name=root.name,
            kind=root.kind,
            status=tree["status"],
            start_ns=root.start_ns,
            end_ns=end_default,
            input_preview=question_preview(tree),
            output_preview=answer_preview(tree),
            stats=stats,
            tree_json=json.dumps(tree, ensure_ascii=False, separators=(",", ":"), allow_nan=False),
            artifacts=artifacts,
        )

    def describe_failure(self, root: Span, error: Exception) -> EncodedTrace:
        """A trace that could not be encoded, kept as its root's name, kind, times and the reason."""
        end_ns = root.end_ns if root.end_ns is not None else root.start_ns
        message = f"chaintracer could not encode this trace: {type(error).__name__}"
        trace_id = str(root.trace_id)
        tree = {
            "span_id": str(root.span_id),
            "trace_id": trace_id,
            "parent_id": None,
            "name": str(root.name),
            "kind": str(root.kind),
            "status": "error",
            "error": {"type": "EncodingError", "message": message, "traceback": None},
            "start_time": iso(root.start_ns),
            "end_time": iso(end_ns),
            "inputs": None,
            "outputs": None,
            "attributes": {},
            "metrics": {},
            "children": [],
        }
        stats = TraceStats()
        stats.count_span(tree["kind"], "error")
        return EncodedTrace(
            trace_id=trace_id,
            name=tree["name"],
            kind=tree["kind"],
            status="error",
            start_ns=root.start_ns,
            end_ns=end_ns,
            input_preview="",
            output_preview=message,
            stats=stats,
            tree_json=json.dumps(tree, ensure_ascii=True),
        )

    def _span(self, span: Span, parent_id: str | None, context: _TraceContext) -> dict[str, Any]:
        convert = self.converter.convert
        span_id = str(span.span_id)
        status = span.status if span.end_ns is not None else "incomplete"
        attributes = convert(span.attributes) if span.attributes else {}
        if not isinstance(attributes, dict):  # over max_payload_bytes: keep the marker under a key
            attributes = {"_attributes": attributes}
        _readable_times(attributes, span)
        encoded = {
            "span_id": span_id,
            "trace_id": context.trace_id,
            "parent_id": parent_id,
            "name": span.name,
            "kind": span.kind,
            "status": status,
            "error": self._error(span.error) if status == "error" else None,
            "start_time": iso(span.start_ns),
            "end_time": iso(span.end_ns if span.end_ns is not None else max(context.end_default, span.start_ns)),
            "inputs": convert(span.inputs),
            "outputs": convert(span.outputs),
            "attributes": attributes,
            "metrics": convert(span.metrics) if span.metrics else {},
            "children": [],
        }
        if self.analyze is not None and span.kind in MODEL_KINDS and status == "ok":
            self.analyze(span, encoded, context.artifacts)
        _count(span, status, encoded, context.stats)
        children = sorted(span.children, key=lambda child: child.start_ns)
        encoded["children"] = [self._span(child, span_id, context) for child in children]
        return encoded

    def _error(self, error: Any) -> dict[str, Any]:
        if isinstance(error, BaseException):
            try:
                trace_text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            except Exception:
                trace_text = None
            return {
                "type": type(error).__name__,
                "message": self.converter._string(str(error)),
                "traceback": None if trace_text is None else mask_string(trace_text),
            }
        if isinstance(error, dict):
            return {
                "type": str(error.get("type") or "Error"),
                "message": self.converter._string(str(error.get("message") or "")),
                "traceback": None if error.get("traceback") is None else mask_string(str(error["traceback"])),
            }
        return {"type": "Error", "message": "" if error is None else str(error), "traceback": None}


def _readable_times(attributes: dict[str, Any], span: Span) -> None:
    """Nanosecond stamps recorded on the hot path become ISO times (and time to first token)."""
    if span.chunks:
        attributes["chunks"] = span.chunks
        if span.first_chunk_ns is not None:
            attributes["first_token_time"] = iso(span.first_chunk_ns)
            attributes["time_to_first_token_ms"] = round((span.first_chunk_ns - span.start_ns) / 1e6, 3)
    for event in attributes.get("events") or ():
        if isinstance(event, dict) and isinstance(event.get("time_ns"), int):
            event["time"] = iso(event.pop("time_ns"))


def _count(span: Span, status: str, encoded: dict[str, Any], stats: TraceStats) -> None:
    family = stats.count_span(span.kind, status)
    attributes = encoded["attributes"]
    if family == "llm":
        stats.llm_streams += span.chunks
        tokens = attributes.get("tokens")
        if isinstance(tokens, dict):
            stats.add_tokens(tokens)
    for event in attributes.get("events") or ():
        if isinstance(event, dict) and event.get("name") == "text":
            stats.text += 1
    for name, value in encoded["metrics"].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            stats.add_metric(name, value)
