"""The manual span API beside the frameworks: the span of a ``Tracer.span`` block, and the
closing of a span tree built by hand for ``Tracer.log_trace``."""

from __future__ import annotations

from typing import Any

from chaintracer.recorder import Recorder
from chaintracer.spans import Span
from chaintracer.truncate import SPAN_BYTES, clip


class SpanScope:
    """The span of a ``Tracer.span`` block: its ids, and verbs to record what it produced."""

    __slots__ = ("_recorder", "span_id")

    def __init__(self, recorder: Recorder, span_id: str) -> None:
        self._recorder = recorder
        self.span_id = span_id

    @property
    def trace_id(self) -> str:
        """The id of the trace this span belongs to."""
        span = self._recorder.get(self.span_id)
        return str(span.trace_id) if span is not None else self.span_id

    def set_outputs(self, outputs: Any) -> None:
        """Records the block's result as the span's outputs."""
        self._recorder.set_outputs(self.span_id, outputs)

    def annotate(self, key: str, value: Any) -> None:
        """Sets an attribute of the span."""
        if not isinstance(key, str):
            raise TypeError(f"attribute key must be a str, not {type(key).__name__}: {key!r}")
        self._recorder.annotate(self.span_id, key, value)


def end_manual_tree(root: Span, max_payload_bytes: int) -> int:
    """Gives manual spans without an end time the latest end among their children; returns the rough size.

    Their payloads are not cut (as ``clip_tree`` does): the spans are the user's objects.
    """
    size = 0
    stack = [(root, False)]
    seen = {id(root)}  # a children list edited by hand may hold a cycle
    while stack:
        span, visited = stack.pop()
        if not visited:
            size += SPAN_BYTES + clip(span.inputs, max_payload_bytes)[1] + clip(span.outputs, max_payload_bytes)[1]
            stack.append((span, True))
            children = [child for child in span.children if id(child) not in seen]
            seen.update(id(child) for child in children)
            stack.extend((child, False) for child in children)
        elif span.end_ns is None:
            ends = [child.end_ns for child in span.children if child.end_ns is not None]
            span.end_ns = max(ends, default=span.start_ns)
    return size
