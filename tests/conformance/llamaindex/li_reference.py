"""LlamaIndex's own record of a run: ``LlamaDebugHandler`` and ``SimpleSpanHandler``, kept whole.

Both handlers are LlamaIndex's; the subclasses only keep what LlamaIndex hands them and they
throw away: the parent id of each legacy event, the trace window (``start_trace``/``end_trace``)
a top-level event or dispatcher span started in, the dispatcher span active when a legacy event
started, the innermost open legacy event when a dispatcher span started, the exception in flight
when LlamaIndex ended an event, and the instance of each dispatcher span (its class gives the
kind). Nothing here decides what chaintracer should record: that is ``compare.py``.
"""

from __future__ import annotations

import sys
import threading
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.callbacks import LlamaDebugHandler
from llama_index.core.callbacks.base import global_stack_trace
from llama_index.core.callbacks.schema import BASE_TRACE_EVENT, CBEventType, EventPayload
from llama_index.core.instrumentation.span import active_span_id
from llama_index.core.instrumentation.span_handlers import SimpleSpanHandler


@dataclass
class Window:
    """One trace window as LlamaIndex opened it for a task or thread."""

    id: str
    name: str
    start: datetime
    end: datetime | None = None
    error: BaseException | None = None  # the exception in flight when the window closed


# The window open in this task or thread (set by the reference handler's start_trace).
WINDOW: ContextVar[Window | None] = ContextVar("reference_window", default=None)
# The streamed response being iterated in this task or thread (see ``LegacyRecord.on_event_end``).
DRAINING: ContextVar[Any] = ContextVar("reference_draining", default=None)


@dataclass
class LegacyFacts:
    """What LlamaIndex passed with a legacy event besides what ``LlamaDebugHandler`` keeps."""

    parent: str | None
    anchor: str | None  # the dispatcher span active when the event started
    window: str | None  # for top-level events: the trace window they started in
    stream_owner: str | None  # for top-level events started while a stream is drained
    marked: BaseException | None = None  # reported by an EXCEPTION event inside it
    in_flight: BaseException | None = None  # the exception propagating when it ended


def now() -> datetime:
    return datetime.now(timezone.utc)


def local_time(text: str) -> datetime:
    """A ``CBEvent.time`` (local time, ``TIMESTAMP_FORMAT``) as an aware UTC datetime."""
    return datetime.strptime(text, "%m/%d/%Y, %H:%M:%S.%f").astimezone(timezone.utc)


class LegacyRecord(LlamaDebugHandler):
    """``LlamaDebugHandler`` that also keeps parents, windows and exceptions in flight."""

    def __init__(self) -> None:
        super().__init__(print_trace_on_end=False)
        self.facts: dict[str, LegacyFacts] = {}
        self.windows: list[Window] = []
        self._stream_owners: dict[int, str] = {}
        self._tokens: dict[str, Any] = {}
        self._lock = threading.Lock()

    def on_event_start(
        self,
        event_type: CBEventType,
        payload: dict[str, Any] | None = None,
        event_id: str = "",
        parent_id: str = "",
        **kwargs: Any,
    ) -> str:
        super().on_event_start(event_type, payload, event_id, parent_id, **kwargs)
        top = parent_id == BASE_TRACE_EVENT or not parent_id
        window = WINDOW.get() if top else None
        draining = DRAINING.get() if top else None
        facts = LegacyFacts(
            parent=None if top else parent_id,
            anchor=active_span_id.get(),
            window=window.id if window is not None and window.end is None else None,
            stream_owner=self._stream_owners.get(id(draining)) if draining is not None else None,
        )
        with self._lock:
            self.facts[event_id] = facts
            if event_type == CBEventType.EXCEPTION and not top and payload:
                parent = self.facts.get(parent_id)
                if parent is not None:
                    parent.marked = payload.get(EventPayload.EXCEPTION)
        return event_id

    def on_event_end(
        self,
        event_type: CBEventType,
        payload: dict[str, Any] | None = None,
        event_id: str = "",
        **kwargs: Any,
    ) -> None:
        super().on_event_end(event_type, payload, event_id, **kwargs)
        facts = self.facts.get(event_id)
        if facts is not None:
            facts.in_flight = sys.exc_info()[1]
        response = (payload or {}).get(EventPayload.RESPONSE)
        streamed = response is not None and getattr(response, "response_gen", None) is not None
        if streamed and id(response) not in self._stream_owners:
            self._stream_owners[id(response)] = event_id
            _observe_iteration(response)

    def start_trace(self, trace_id: str | None = None) -> None:
        super().start_trace(trace_id)
        window = Window(uuid.uuid4().hex, str(trace_id), now())
        with self._lock:
            self.windows.append(window)
        self._tokens[window.id] = WINDOW.set(window)

    def end_trace(self, trace_id: str | None = None, trace_map: dict[str, list[str]] | None = None) -> None:
        super().end_trace(trace_id, trace_map)
        window = WINDOW.get()
        if window is None:
            return
        window.end = now()
        window.error = sys.exc_info()[1]
        token = self._tokens.pop(window.id, None)
        try:
            WINDOW.reset(token) if token is not None else WINDOW.set(None)
        except ValueError:  # ended in another context than it started
            WINDOW.set(None)


def _observe_iteration(response: Any) -> None:
    """Marks the spans of a streamed response's items: whoever pulls them, LlamaIndex or the program."""
    gen = response.response_gen
    if hasattr(gen, "__anext__"):

        async def observed_async() -> Any:
            while True:
                token = DRAINING.set(response)
                try:
                    item = await gen.__anext__()
                except StopAsyncIteration:
                    return
                finally:
                    DRAINING.reset(token)
                yield item

        response.response_gen = observed_async()
    else:

        def observed() -> Any:
            while True:
                token = DRAINING.set(response)
                try:
                    item = next(gen)
                except StopIteration:
                    return
                finally:
                    DRAINING.reset(token)
                yield item

        response.response_gen = observed()


@dataclass
class DispatcherFacts:
    """What the dispatcher passed with a span besides what ``SimpleSpan`` keeps."""

    instance: Any
    method: str
    legacy_top: str | None  # the innermost open (non-leaf) legacy event in this task or thread
    window: str | None  # the trace window open in this task or thread
    error: BaseException | None = None
    returned_stream: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class DispatcherRecord(SimpleSpanHandler):
    """``SimpleSpanHandler`` that also keeps each span's instance, error and surroundings."""

    _facts: dict[str, DispatcherFacts] = PrivateAttr(default_factory=dict)

    def __init__(self) -> None:
        super().__init__(open_spans={}, completed_spans=[], dropped_spans=[], current_span_ids={})

    @property
    def facts(self) -> dict[str, DispatcherFacts]:
        return self._facts

    def new_span(
        self,
        id_: str,
        bound_args: Any,
        instance: Any = None,
        parent_span_id: str | None = None,
        tags: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        span = super().new_span(id_, bound_args, instance, parent_span_id, tags, **kwargs)
        name = id_[:-37]
        stack = global_stack_trace.get()
        window = WINDOW.get()
        self._facts[id_] = DispatcherFacts(
            instance=instance,
            method=name[name.rfind(".") + 1 :],
            legacy_top=stack[-1] if stack and stack[-1] != BASE_TRACE_EVENT else None,
            window=window.id if window is not None and window.end is None else None,
        )
        return span

    def prepare_to_exit_span(self, id_: str, bound_args: Any, instance: Any = None, result: Any = None, **kwargs: Any):
        facts = self._facts.get(id_)
        if facts is not None:
            facts.returned_stream = (
                hasattr(result, "__next__")
                or hasattr(result, "__anext__")
                or (hasattr(result, "response_gen") and getattr(result, "response_txt", "") is None)
            )
        return super().prepare_to_exit_span(id_, bound_args, instance, result, **kwargs)

    def prepare_to_drop_span(self, id_: str, bound_args: Any, instance: Any = None, err: Any = None, **kwargs: Any):
        facts = self._facts.get(id_)
        if facts is not None:
            facts.error = err
        return super().prepare_to_drop_span(id_, bound_args, instance, err, **kwargs)
