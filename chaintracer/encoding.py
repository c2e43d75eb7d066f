"""Turns a finished span tree into the exported JSON shape plus per-trace statistics.

A pure function of the tree: it runs in the encoding worker (or at flush), never inside a
callback. The encoded trace keeps only a compact JSON text of the tree, so the raw framework
objects a span referenced are released as soon as its trace is encoded.
"""

from __future__ import annotations

import traceback
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from chaintracer import fastjson
from chaintracer.kinds import MODEL_KINDS
from chaintracer.payloads import Converter, safe_str
from chaintracer.previews import answer_preview, question_preview
from chaintracer.prices import PriceTable, price_tree
from chaintracer.redact import clean
from chaintracer.spans import Span
from chaintracer.stats import TraceStats

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Spans nested deeper hang under their ancestor at this depth, marked with "depth_capped":
# every JSON reader (Python's json, the viewer) parses the tree without hitting a recursion limit.
MAX_SPAN_DEPTH = 64
STATUSES = ("ok", "error", "incomplete")
# Level 1 compresses the LangChain workload's trees to ~21 % at ~3 µs per span (decompressing
# ~1 µs); a tree shorter than this is not worth it.
_PACK_MIN_CHARS = 256

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
    # The tree as JSON text, or (``pack``) as zlib-compressed UTF-8 bytes while it waits for a
    # store that cannot be written. One attribute, so a reader never sees half a swap.
    tree_json: str | bytes = ""
    # Large derived content (visualisation HTML) by reference: ref -> (media type, text).
    artifacts: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def latency_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6

    def tree_text(self) -> str:
        """The tree as JSON text (decompressed if it was packed)."""
        value = self.tree_json
        return value if isinstance(value, str) else zlib.decompress(value).decode("utf-8")

    def pack(self) -> None:
        """Keeps the tree compressed (about a fifth of its text) until it is written."""
        value = self.tree_json
        if type(value) is str and len(value) > _PACK_MIN_CHARS:
            self.tree_json = zlib.compress(value.encode("utf-8"), 1)


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
    notes: set[str] = field(default_factory=set)  # what the converter changed silently in a span


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
        """The encoded form of the trace rooted at ``root``; a value that cannot be read is marked, not fatal."""
        stats = TraceStats()
        artifacts: dict[str, tuple[str, str]] = {}
        end_default = max(root.end_ns if root.end_ns is not None else root.start_ns, root.start_ns)
        trace_id = _id_text(root.trace_id)
        context = _TraceContext(trace_id, end_default, stats, artifacts)
        tree = self._tree(root, context)
        price_tree(tree, self.prices, stats)
        return EncodedTrace(
            trace_id=trace_id,
            name=tree["name"],
            kind=tree["kind"],
            status=tree["status"],
            start_ns=root.start_ns,
            end_ns=end_default,
            input_preview=question_preview(tree),
            output_preview=answer_preview(tree),
            stats=stats,
            tree_json=fastjson.dumps(tree),
            artifacts=artifacts,
        )

    def describe_failure(self, root: Span, error: Exception) -> EncodedTrace:
        """A trace that could not be encoded, kept as its root's name, kind, times and the reason."""
        end_ns = root.end_ns if root.end_ns is not None else root.start_ns
        message = f"chaintracer could not encode this trace: {type(error).__name__}"
        trace_id = _id_text(root.trace_id)
        tree = {
            "span_id": _id_text(root.span_id),
            "trace_id": trace_id,
            "parent_id": None,
            "name": self.converter.string(safe_str(root.name)),  # masked: it is written too
            "kind": root.kind if type(root.kind) is str else "chain",
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
            tree_json=fastjson.dumps(tree),
        )

    def _tree(self, root: Span, context: _TraceContext) -> dict[str, Any]:
        """The encoded tree, built without recursion; a span reachable twice is encoded once."""
        tree = self._span(root, None, context)
        seen = {id(root)}  # a children list edited by hand may hold a cycle
        stack: list[tuple[Span, dict[str, Any], int]] = [(root, tree, 0)]
        while stack:
            span, encoded, depth = stack.pop()
            if not span.children:
                continue
            if depth + 1 >= MAX_SPAN_DEPTH:
                encoded["children"] = self._flattened(span, depth + 1, seen, context)
                continue
            siblings = encoded["children"]
            for child in sorted(span.children, key=_start):
                if id(child) not in seen:
                    seen.add(id(child))
                    child_encoded = self._span(child, encoded["span_id"], context)
                    siblings.append(child_encoded)
                    stack.append((child, child_encoded, depth + 1))
        return tree

    def _flattened(self, anchor: Span, depth: int, seen: set[int], context: _TraceContext) -> list[dict[str, Any]]:
        """Every descendant of ``anchor`` (at the depth cap) as its children, in start order, marked."""
        anchor_id = _id_text(anchor.span_id)
        flat: list[tuple[int, dict[str, Any]]] = []
        pending = [(child, anchor_id, depth) for child in anchor.children]
        while pending:
            span, parent_id, level = pending.pop()
            if id(span) in seen:
                continue
            seen.add(id(span))
            encoded = self._span(span, anchor_id, context)
            encoded["attributes"]["depth_capped"] = {"parent_id": parent_id, "depth": level}
            flat.append((span.start_ns, encoded))
            pending.extend((child, encoded["span_id"], level + 1) for child in span.children)
        flat.sort(key=lambda item: item[0])
        return [encoded for _, encoded in flat]

    def _span(self, span: Span, parent_id: str | None, context: _TraceContext) -> dict[str, Any]:
        """One span without its children (payloads that cannot be read are marked by the converter)."""
        converter = self.converter
        convert = converter.convert
        notes = context.notes  # empty between spans: emptied below when a span needed it
        status = span.status if span.end_ns is not None else "incomplete"
        if status not in STATUSES:
            status = "ok"
        attributes = convert(span.attributes, notes) if span.attributes else {}
        if not isinstance(attributes, dict):  # over max_payload_bytes: keep the marker under a key
            attributes = {"_attributes": attributes}
        _readable_times(attributes, span)
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
            notes.clear()
        if self.analyze is not None and encoded["kind"] in MODEL_KINDS and status == "ok":
            self.analyze(span, encoded, context.artifacts)
        _count(span, status, encoded, context.stats)
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
    family = stats.count_span(encoded["kind"], status)
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
