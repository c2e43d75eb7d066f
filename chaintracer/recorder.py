"""The hot path: open spans by id, parent linking, trace completion.

Adapters call ``start`` / ``end`` / ``fail`` once per framework event. Children are linked to
parents by the ids the framework gives, never by ambient context (peers that used context
variables misparent spans under async). Nothing here encodes, copies or does I/O: raw inputs
and outputs stay referenced until the finished trace is encoded off the caller's thread.

Thread safety: the only shared state is ``_open`` (a dict) and the parents' ``children`` lists;
single ``dict``/``list`` operations are atomic in CPython, and one span id is only ever
started, then ended, by one framework run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chaintracer.spans import Span

TraceSink = Callable[[Span], None]


class Recorder:
    """Keeps the open spans of every trace in flight and hands complete traces to a sink."""

    __slots__ = ("_open", "_sink")

    def __init__(self, sink: TraceSink) -> None:
        self._open: dict[Any, Span] = {}
        self._sink = sink

    def start(
        self,
        span_id: Any,
        parent_id: Any,
        kind: str,
        name: str,
        inputs: Any = None,
        attributes: dict[str, Any] | None = None,
    ) -> Span:
        """Opens a span; an unknown (or absent) parent makes it the root of a new trace."""
        parent = self._open.get(parent_id) if parent_id is not None else None
        # Ids stay as the framework gave them (str() of a UUID costs ~2 µs); the encoder
        # turns them into strings off the hot path.
        span = Span._fast(span_id, parent, kind, name, inputs, attributes or {}, time.time_ns())
        if parent is not None:
            parent.children.append(span)
        self._open[span_id] = span
        return span

    def get(self, span_id: Any) -> Span | None:
        """The open span with this id, if any."""
        return self._open.get(span_id)

    def end(self, span_id: Any, outputs: Any = None, inputs: Any = None) -> Span | None:
        """Closes a span as ``ok``; closing a root completes its trace.

        ``inputs`` replaces the start's inputs: streaming frameworks learn them only at the end.
        """
        span = self._open.pop(span_id, None)
        if span is None:
            return None
        span.end_ns = time.time_ns()
        if outputs is not None:
            span.outputs = outputs
        if inputs is not None:
            span.inputs = inputs
        if span.parent_id is None:
            self._sink(span)
        return span

    def fail(self, span_id: Any, error: BaseException | Any, inputs: Any = None) -> Span | None:
        """Closes a span as ``error``, keeping the exception for its type, message and traceback."""
        span = self._open.pop(span_id, None)
        if span is None:
            return None
        span.end_ns = time.time_ns()
        if inputs is not None:
            span.inputs = inputs
        span.status = "error"
        span.error = error
        if span.parent_id is None:
            self._sink(span)
        return span

    def add_event(self, span_id: Any, name: str, payload: Any = None) -> bool:
        """Appends a timestamped event (text, retry, agent action...) to an open span."""
        span = self._open.get(span_id)
        if span is None:
            return False
        events = span.attributes.get("events")
        if events is None:
            events = span.attributes["events"] = []
        events.append({"name": name, "time_ns": time.time_ns(), "payload": payload})
        return True

    def open_count(self) -> int:
        """How many spans are open right now."""
        return len(self._open)

    def close_all(self) -> int:
        """Closes every open span as ``incomplete`` and completes their traces; returns the count.

        Called at flush: an abandoned stream or a run that never ended must not keep its trace
        (or its memory) forever.
        """
        now = time.time_ns()
        spans = list(self._open.values())
        self._open.clear()
        roots: dict[str, Span] = {}
        for span in spans:
            span.status = "incomplete"
            span.end_ns = now
            if span.parent_id is None:
                roots[span.span_id] = span
        for root in roots.values():
            self._sink(root)
        return len(spans)
