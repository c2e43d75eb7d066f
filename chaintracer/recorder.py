"""The hot path: open spans by id, parent linking, the verbs adapters use, trace completion.

Adapters call one verb per framework event: ``start``, ``end``, ``fail``, and on an open span
``annotate``, ``set_inputs``/``set_outputs``, ``set_kind``, ``mark_error``, ``add_chunk``,
``add_event``. They never edit a ``Span`` themselves, so the lifecycle rules live here:

* Children are linked to parents by the ids the framework gives, never by ambient context
  (peers that used context variables misparent spans under async). The one exception is
  explicit: inside ``Tracer.span(...)`` (a ``ROOT_SCOPE``), a span the framework starts
  without a known parent nests under that scope's span.
* A trace is handed to the sink when its root **and** every span in it have ended: a branch
  of a ``RunnableParallel`` that finishes after a sibling's error made the root fail is kept
  with its real end and output. ``close_all`` (at flush) closes what is still open as
  ``incomplete`` and hands on every trace.
* Nothing here encodes or does I/O: raw inputs and outputs stay referenced until the finished
  trace is encoded off the caller's thread. Event payloads are the exception: an event is a
  point in time, so its containers are copied when it happens (``snapshot``).

Thread safety: ``_open`` is a dict and children are lists; single dict/list operations are
atomic in CPython, and one span id is only ever started, then ended, by one framework run.
``_waiting`` (finished roots whose children are still open) is rare and guarded by a lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from chaintracer.spans import Span

TraceSink = Callable[[Span], None]

# The span that framework roots nest under while ``Tracer.span(...)`` is active (its id).
ROOT_SCOPE: ContextVar[Any] = ContextVar("chaintracer_root_scope", default=None)

SNAPSHOT_DEPTH = 8
_NO_STREAM: tuple[Any, Span | None] = (object(), None)


class Recorder:
    """Keeps the open spans of every trace in flight and hands complete traces to a sink."""

    __slots__ = ("_lock", "_open", "_sink", "_streaming", "_waiting")

    def __init__(self, sink: TraceSink) -> None:
        self._open: dict[Any, Span] = {}
        self._sink = sink
        # trace id -> [finished root, number of its spans still open]
        self._waiting: dict[Any, list[Any]] = {}
        self._lock = threading.Lock()
        # (id, span) of the span that last got a chunk. A stream sends the same run id object for
        # every token; an identity check skips hashing it (a UUID's hash is Python code, ~0.4 µs,
        # more than the rest of add_chunk). One tuple, replaced whole: safe across threads.
        self._streaming: tuple[Any, Span | None] = _NO_STREAM

    # -- opening and closing ------------------------------------------------------------

    def start(
        self,
        span_id: Any,
        parent_id: Any,
        kind: str,
        name: str,
        inputs: Any = None,
        attributes: dict[str, Any] | None = None,
    ) -> None:
        """Opens a span; an unknown (or absent) parent makes it the root of a new trace."""
        open_spans = self._open
        parent = open_spans.get(parent_id) if parent_id is not None else None
        if parent is None:
            scope = ROOT_SCOPE.get()
            if scope is not None:
                parent = open_spans.get(scope)
        # Ids stay as the framework gave them (str() of a UUID costs ~2 µs); the encoder
        # turns them into strings off the hot path.
        span = Span._fast(span_id, parent, kind, name, inputs, attributes or {}, time.time_ns())
        if parent is not None:
            parent.children.append(span)
            if self._waiting:
                self._count_late_child(parent.trace_id)
        open_spans[span_id] = span

    def end(self, span_id: Any, outputs: Any = None, inputs: Any = None) -> Span | None:
        """Closes a span as ``ok``; None if it is not open (already closed, or never started).

        ``inputs`` replaces the start's inputs: streaming frameworks learn them only at the end.
        """
        span = self._open.pop(span_id, None)
        if span is None:
            return None
        span.end_ns = time.time_ns()
        if self._streaming[1] is span:  # release the finished span (and its trace) now
            self._streaming = _NO_STREAM
        if outputs is not None:
            span.outputs = outputs
        if inputs is not None:
            span.inputs = inputs
        self._ended(span)
        return span

    def fail(self, span_id: Any, error: BaseException | Any, inputs: Any = None, status: str = "error") -> Span | None:
        """Closes a span as ``error`` (or ``incomplete`` for a cancelled one), keeping the exception."""
        span = self._open.pop(span_id, None)
        if span is None:
            return None
        span.end_ns = time.time_ns()
        if self._streaming[1] is span:
            self._streaming = _NO_STREAM
        if inputs is not None:
            span.inputs = inputs
        span.status = status
        span.error = error
        self._ended(span)
        return span

    def dissolve(self, span_id: Any) -> bool:
        """Removes an open root that only groups spans, if it holds at most one; False otherwise.

        A root with no child disappears; a root with one child hands its place to that child,
        which becomes the root of its trace (and is handed on when it and its spans have ended).
        A root holding several spans is left open: the caller ends it as usual. Adapters use it
        for grouping spans the framework does not have (LlamaIndex's trace windows).
        """
        span = self._open.get(span_id)
        if span is None or span.parent_id is not None or len(span.children) > 1:
            return False
        del self._open[span_id]
        self._streaming = _NO_STREAM
        if not span.children:
            return True
        child = span.children[0]
        child.parent_id = None
        stack = [child]
        while stack:  # the trace is named after its root
            node = stack.pop()
            node.trace_id = child.span_id
            stack.extend(node.children)
        if child.end_ns is not None:
            self._ended(child)
        return True

    def _ended(self, span: Span) -> None:
        if span.parent_id is None:
            if span.children and _has_open_descendant(span):
                with self._lock:
                    self._waiting[span.trace_id] = [span, _open_descendants(span)]
                return
            self._sink(span)
        elif self._waiting:
            self._count_down(span.trace_id)

    def _count_late_child(self, trace_id: Any) -> None:
        with self._lock:
            waiting = self._waiting.get(trace_id)
            if waiting is not None:
                waiting[1] += 1

    def _count_down(self, trace_id: Any) -> None:
        with self._lock:
            waiting = self._waiting.get(trace_id)
            if waiting is None:
                return
            waiting[1] -= 1
            if waiting[1] > 0:
                return
            del self._waiting[trace_id]
        self._sink(waiting[0])

    # -- changing an open span ----------------------------------------------------------

    def get(self, span_id: Any) -> Span | None:
        """The open span with this id, if any (to read; change it through the verbs below)."""
        return self._open.get(span_id)

    def annotate(self, span_id: Any, key: str, value: Any) -> bool:
        """Sets one attribute of an open span (token usage, the model that answered...)."""
        span = self._open.get(span_id)
        if span is None:
            return False
        span.attributes[key] = value
        return True

    def set_inputs(self, span_id: Any, inputs: Any) -> bool:
        """Replaces an open span's inputs (the exact prompt a model received...)."""
        span = self._open.get(span_id)
        if span is None:
            return False
        span.inputs = inputs
        return True

    def set_outputs(self, span_id: Any, outputs: Any) -> bool:
        """Sets an open span's outputs before it ends (a stream's final text...)."""
        span = self._open.get(span_id)
        if span is None:
            return False
        span.outputs = outputs
        return True

    def set_kind(self, span_id: Any, kind: str) -> bool:
        """Changes an open span's kind (a chain that turns out to be an agent...)."""
        span = self._open.get(span_id)
        if span is None:
            return False
        span.kind = kind
        return True

    def mark_error(self, span_id: Any, error: Any, status: str = "error") -> bool:
        """Records an error on an open span; it ends with ``status`` whichever way it ends.

        ``status="incomplete"`` is for a span cancelled rather than failed (the reason is kept).
        """
        span = self._open.get(span_id)
        if span is None:
            return False
        span.error = error
        span.status = status
        return True

    def add_chunk(self, span_id: Any) -> None:
        """Counts one streamed chunk (the first one also stamps the time to first token)."""
        last_id, span = self._streaming
        if span_id is not last_id or span is None or span.end_ns is not None:
            span = self._open.get(span_id)
            if span is None:
                return
            self._streaming = (span_id, span)
        if span.chunks == 0:
            span.first_chunk_ns = time.time_ns()
        span.chunks += 1

    def add_event(self, span_id: Any, name: str, payload: Any = None) -> bool:
        """Appends a timestamped event (text, retry, agent action...) to an open span.

        The payload's containers are copied now: an event is a point in time, and the caller
        may update and send the same dict again.
        """
        span = self._open.get(span_id)
        if span is None:
            return False
        events = span.attributes.get("events")
        if events is None:
            events = span.attributes["events"] = []
        events.append({"name": name, "time_ns": time.time_ns(), "payload": snapshot(payload)})
        return True

    # -- the whole recorder ---------------------------------------------------------------

    def open_count(self) -> int:
        """How many spans are open right now."""
        return len(self._open)

    def close_all(self) -> int:
        """Closes every open span as ``incomplete`` and hands on every trace; returns the count.

        Called at flush and at exit: an abandoned stream or a run that never ended must not keep
        its trace (or its memory) forever. Only the spans it closes are removed: a span started
        by another thread meanwhile stays open for the next flush.
        """
        now = time.time_ns()
        closed = 0
        roots = []
        for span_id in list(self._open):
            span = self._open.pop(span_id, None)
            if span is None:
                continue
            closed += 1
            span.status = "incomplete"
            span.end_ns = now
            if span.parent_id is None:
                roots.append(span)
        with self._lock:
            waiting = [entry[0] for entry in self._waiting.values()]
            self._waiting.clear()
        for root in roots + waiting:
            self._sink(root)
        return closed


def _has_open_descendant(root: Span) -> bool:
    stack = list(root.children)
    while stack:
        span = stack.pop()
        if span.end_ns is None:
            return True
        stack.extend(span.children)
    return False


def _open_descendants(root: Span) -> int:
    count = 0
    stack = list(root.children)
    while stack:
        span = stack.pop()
        count += span.end_ns is None
        stack.extend(span.children)
    return count


def snapshot(value: Any, depth: int = 0) -> Any:
    """A copy of ``value``'s dicts, lists, tuples and sets (leaves are shared), a few levels deep."""
    kind = type(value)
    if depth >= SNAPSHOT_DEPTH:
        return value
    if kind is dict:
        return {key: snapshot(item, depth + 1) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [snapshot(item, depth + 1) for item in value]
    if kind is set or kind is frozenset:
        return [snapshot(item, depth + 1) for item in value]
    return value
