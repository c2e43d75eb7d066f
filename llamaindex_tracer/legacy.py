"""Legacy callback events (``CallbackManager``) -> recorder verbs, grouped by LlamaIndex's trace windows.

LlamaIndex opens a *trace window* around each query, chat turn or index construction
(``callback_manager.as_trace("query")``) and tracks the windows per task and thread; handlers
hear ``start_trace``/``end_trace`` for the outermost one only. A window becomes a root span named
after it, and the events LlamaIndex starts in it without a parent nest under it, so a chat turn
(``retrieve`` then ``synthesize``, both top-level events) is one trace. A window holding a single
span dissolves into that span (``Recorder.dissolve``). Inside ``tracer.span(...)`` the program's
own span groups them instead. See ``folds.FOLDS`` for every such rule.

LLM events are leaves on LlamaIndex's event stack, so a model call made inside another one
(``CustomLLM.chat`` -> ``complete``, ``StructuredLLM`` -> its LLM) looks like a sibling. Each
model call also opens a (nested) trace window; an LLM event that starts deeper in the window
stack than an LLM event still open in the same task or thread is part of that call, and is
folded into it.
"""

from __future__ import annotations

import sys
import uuid
from contextvars import ContextVar, Token
from typing import Any

from llama_index.core.callbacks.base import global_stack_trace_ids
from llama_index.core.callbacks.schema import BASE_TRACE_EVENT, CBEventType, EventPayload
from llama_index.core.instrumentation.span import active_span_id

from chaintracer.recorder import ROOT_SCOPE
from llamaindex_tracer import callbacks
from llamaindex_tracer.convert import token_usage
from llamaindex_tracer.lifecycle import ABANDONED, STREAMING_RESPONSES, Lifecycle


class Legacy:
    """One tracer's legacy-path state: its open trace windows, folded model events, anchors."""

    __slots__ = ("_core", "_lifecycle", "_model_call", "_tokens", "_window", "aliases", "anchors")

    def __init__(self, core: Any, lifecycle: Lifecycle) -> None:
        self._core = core  # its recorder is read on each call: finish() replaces it
        self._lifecycle = lifecycle
        # The window span open in this task or thread, and the LLM event started last in it
        # with the depth of LlamaIndex's window stack at its start. One pair per tracer.
        self._window: ContextVar[str | None] = ContextVar("chaintracer_llamaindex_window", default=None)
        self._model_call: ContextVar[tuple[str, int] | None] = ContextVar("chaintracer_llamaindex_model", default=None)
        self._tokens: dict[str, Token[str | None]] = {}
        self.aliases: dict[str, str] = {}  # folded LLM event id -> the LLM event standing for it
        # With both paths on: open legacy-only event -> the dispatcher span it started in
        # (instrumentation.Bridge nests dispatcher spans started inside such an event under it).
        self.anchors: dict[str, str | None] = {}

    def clear(self) -> None:
        """Forgets the session's state (called at flush, after open spans were closed)."""
        self.aliases.clear()
        self.anchors.clear()
        self._tokens.clear()

    def window(self) -> str | None:
        """The id of this tracer's window span open in the calling task or thread, if any."""
        return self._window.get()

    # -- events ---------------------------------------------------------------------------

    def start(self, event_type: CBEventType, payload: Any, event_id: str, parent_id: str, bridge: Any) -> None:
        """An event starts; ``bridge`` is the instrumentation bridge when both paths are on."""
        recorder = self._core.recorder
        if event_type == CBEventType.EXCEPTION:
            # Marks the enclosing span; it fails when it ends. With no enclosing span the
            # event that raised has already reported the error.
            if parent_id and payload:
                recorder.mark_error(self.aliases.get(parent_id, parent_id), payload.get(EventPayload.EXCEPTION))
            return
        if event_type == CBEventType.LLM and bridge is None and self._inside_model_call(event_id):
            return
        parent: str | None = parent_id if parent_id and parent_id != BASE_TRACE_EVENT else None
        active = None
        if bridge is not None:
            active = active_span_id.get()
            if active is not None:  # the dispatcher span this event fires in (or the one it folds into)
                active = bridge.aliases.get(active, active)
            self.anchors[event_id] = active
        if parent is None or recorder.get(parent) is None:
            parent = callbacks.STREAM_PARENT.get() or active or self._window.get() or parent
        kind, name, inputs, attributes = callbacks.start_fields(event_type, payload)
        recorder.start(event_id, parent, kind, name, inputs, attributes)

    def end(self, event_type: CBEventType, payload: Any, event_id: str) -> None:
        recorder = self._core.recorder
        self.anchors.pop(event_id, None)
        outer = self.aliases.pop(event_id, None)
        if outer is not None:  # a folded model call: its usage is the outer call's
            response = (payload or {}).get(EventPayload.RESPONSE) or (payload or {}).get(EventPayload.COMPLETION)
            usage = token_usage(response) if response is not None else None
            if usage:
                recorder.annotate(outer, "tokens", usage)
            return
        span = recorder.get(event_id)
        if span is None:
            return
        error = callbacks.error_of(span, payload)
        if error is not None:
            if not isinstance(error, ABANDONED):  # an abandoned stream is closed at flush
                self._lifecycle.fail(event_id, error)
            return
        outputs = callbacks.end_outputs(event_type, payload, recorder, event_id)
        response = payload.get(EventPayload.RESPONSE) if payload else None
        if isinstance(response, STREAMING_RESPONSES):
            self._lifecycle.wrap_response(response, event_id, callbacks.STREAM_PARENT, event_id)
        self._lifecycle.close(event_id, outputs)

    def _inside_model_call(self, event_id: str) -> bool:
        """True (and the event folded) if an LLM event of this task or thread is still running."""
        depth = len(global_stack_trace_ids.get())
        outer = self._model_call.get()
        if outer is not None and depth > outer[1] and self._core.recorder.get(outer[0]) is not None:
            self.aliases[event_id] = self.aliases.get(outer[0], outer[0])
            return True
        self._model_call.set((event_id, depth))
        return False

    # -- trace windows --------------------------------------------------------------------

    def start_window(self, name: str | None) -> None:
        """LlamaIndex opened the outermost trace window of this task or thread.

        Inside ``tracer.span(...)`` the program groups its runs itself: no window of ours then.
        """
        if ROOT_SCOPE.get() is not None:
            return
        window_id = uuid.uuid4().hex
        self._core.recorder.start(window_id, None, "chain", str(name or "trace"))
        self._tokens[window_id] = self._window.set(window_id)

    def end_window(self) -> None:
        """The window closed: dissolve it into its only span, or end it over its spans."""
        window_id = self._window.get()
        if window_id is None:
            return
        token = self._tokens.pop(window_id, None)
        try:
            self._window.reset(token) if token is not None else self._window.set(None)
        except ValueError:  # closed in another context than it opened in
            self._window.set(None)
        recorder = self._core.recorder
        if recorder.dissolve(window_id):
            return
        span = recorder.get(window_id)
        if span is None:
            return
        # An exception leaving the window fails it if it went through one of its spans.
        error = sys.exc_info()[1]
        if error is not None and any(child.error is error for child in span.children):
            self._lifecycle.fail(window_id, error)
        else:
            self._lifecycle.close(window_id)
