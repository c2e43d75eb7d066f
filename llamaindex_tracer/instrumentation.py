"""LlamaIndex instrumentation (the root dispatcher's span and event handlers) -> recorder calls.

Every ``@dispatcher.span`` method becomes a span keyed by LlamaIndex's span id; its parent is
the ``parent_span_id`` LlamaIndex gives (its own context-variable bookkeeping, per task and
thread). The kind and the fold role come from the instance's class, decided once per class and
method. The fold rules (``folds.dispatcher_fold``: a private method under its public method, a
method under ``__call__``, a model call inside a model call of the same instance) keep one
logical operation one span; folded span ids are aliases of the span that stands for them, and
their children and events land there. With the legacy path on too, dispatcher spans started in
a ``tree``/``templating`` event or a trace window nest there (``folds.FOLDS``).

Typed events add what a span's arguments and result lack: the exact prompt or messages, token
usage from the raw response, streamed chunks, the end of a model stream.
"""

from __future__ import annotations

import inspect
from typing import Any

from llama_index.core.callbacks.base import global_stack_trace
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.chat_engine import StreamChatDeltaReceivedEvent
from llama_index.core.instrumentation.events.exception import ExceptionEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatInProgressEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionInProgressEvent,
    LLMCompletionStartEvent,
)
from llama_index.core.instrumentation.span import active_span_id
from llama_index.core.instrumentation.span_handlers import BaseSpanHandler

from chaintracer.guard import guarded, raise_internal_errors
from chaintracer.kinds import MODEL_KINDS
from llamaindex_tracer.convert import (
    EmbeddingSummary,
    ModelParams,
    infer_kind,
    model_name,
    token_usage,
)
from llamaindex_tracer.folds import dispatcher_fold, method_role
from llamaindex_tracer.legacy import Legacy
from llamaindex_tracer.lifecycle import ABANDONED, STREAMING_RESPONSES, Lifecycle

# LlamaIndex span ids are "<Class>.<method>-<uuid4>": the name is what precedes the uuid.
_UUID_SUFFIX = 37


class Bridge:
    """One tracer's instrumentation state: folded span aliases, span owners, per-class decisions."""

    __slots__ = ("_errors", "_on_event", "_tracer", "aliases", "decisions", "legacy", "lifecycle", "owners", "wanted")

    def __init__(self, tracer: Any, lifecycle: Lifecycle, legacy: Legacy | None = None) -> None:
        self._tracer = tracer
        self._errors = tracer._errors
        self.lifecycle = lifecycle
        self.legacy = legacy  # the legacy path's windows and anchors, when both paths are on
        self.aliases: dict[str, str] = {}  # folded span id -> id of the span standing for it
        self.owners: dict[str, tuple[Any, str, int]] = {}  # open span id -> (instance, kind, method role)
        # (class, "Class.method") -> (kind, method role, reads model fields): decided once per class,
        # so a span costs a dict lookup here, not isinstance checks.
        self.decisions: dict[tuple[type, str], tuple[str, int, bool]] = {}
        self._on_event = {
            LLMChatStartEvent: self._chat_start,
            LLMCompletionStartEvent: self._completion_start,
            LLMChatInProgressEvent: self._chunk,
            LLMCompletionInProgressEvent: self._chunk,
            StreamChatDeltaReceivedEvent: self._chunk,
            LLMChatEndEvent: self._model_end,
            LLMCompletionEndEvent: self._model_end,
            ExceptionEvent: self._exception,
        }
        self.wanted = frozenset(self._on_event)  # most events (query, retrieval...) are not needed

    def clear(self) -> None:
        """Forgets the session's spans (called at flush); per-class decisions stay."""
        self.aliases.clear()
        self.owners.clear()

    def report(self, where: str, exc: Exception) -> None:
        """The guard of the span handler's callbacks: count (and, under the test suite, raise)."""
        self._errors.record(f"llamaindex {where}", exc)
        if raise_internal_errors():
            raise exc

    def enter(
        self, id_: str, bound_args: inspect.BoundArguments, instance: Any, parent_id: str | None, tags: Any
    ) -> None:
        """A dispatcher span starts (called by ``SpanHandler``, which guards it)."""
        raw_parent = parent_id
        if parent_id is not None:
            parent_id = self.aliases.get(parent_id, parent_id)
        name = id_[:-_UUID_SUFFIX]
        attributes: dict[str, Any] | None = None
        if instance is None:
            kind = "chain"  # workflow steps and plain functions
        else:
            key = (type(instance), name)
            decision = self.decisions.get(key)
            if decision is None:
                decision = self.decisions[key] = _decide(instance, name)
            kind, role, reads_model = decision
            if parent_id is not None:
                owner = self.owners.get(parent_id)
                if (
                    owner is not None
                    and owner[0] is instance
                    and dispatcher_fold(role, kind, owner[2], owner[1], parent_id == raw_parent) is not None
                ):
                    self.aliases[id_] = parent_id
                    return
            self.owners[id_] = (instance, kind, role)
            if kind == "tool":
                name = getattr(instance.metadata, "name", None) or name  # the tool's own name, as agents call it
            elif reads_model:
                attributes = {"model": model_name(instance)}
                if kind != "embedding":
                    attributes["invocation_params"] = ModelParams(instance)
        legacy = self.legacy
        if legacy is not None and (legacy.anchors or parent_id is None):
            parent_id = _legacy_parent(legacy, parent_id)
        if tags:  # instrument_tags (workflows set run ids); a fresh dict per context, not copied
            attributes = attributes or {}
            attributes["tags"] = tags
        self._tracer.recorder.start(id_, parent_id, kind, name, bound_args.arguments, attributes)

    def exit(self, id_: str, result: Any) -> None:
        """A dispatcher span returned (called by ``SpanHandler``, which guards it)."""
        if self.aliases.pop(id_, None) is not None:
            return
        owner = self.owners.pop(id_, None)
        lifecycle = self.lifecycle
        if owner is not None:
            kind = owner[1]
            if kind in MODEL_KINDS and (inspect.isgenerator(result) or inspect.isasyncgen(result)):
                # A model stream: the span ends with its LLM*EndEvent, when the stream is exhausted.
                if self._tracer.recorder.get(id_) is not None:
                    lifecycle.streams.add(id_)
                result = None
            elif kind == "embedding" and isinstance(result, list):
                result = EmbeddingSummary(result)  # vectors, or the nodes that now carry them
        if isinstance(result, STREAMING_RESPONSES) and self._tracer.recorder.get(id_) is not None:
            lifecycle.wrap_response(result, id_, active_span_id, id_)
        lifecycle.close(id_, result)

    def drop(self, id_: str, err: BaseException | None) -> None:
        """A dispatcher span raised (called by ``SpanHandler``, which guards it)."""
        if self.aliases.pop(id_, None) is not None:
            return
        self.owners.pop(id_, None)
        if isinstance(err, ABANDONED):
            # Cancelled, not failed: keep the reason, mark it unfinished.
            self._tracer.recorder.mark_error(id_, err, status="incomplete")
            self.lifecycle.close(id_)
            return
        self.lifecycle.fail(id_, err)

    @guarded
    def event(self, event: Any) -> None:
        handler = self._on_event.get(type(event))
        if handler is not None:
            handler(event)

    # -- typed events ---------------------------------------------------------------------

    def _span(self, event: Any) -> tuple[str | None, Any]:
        span_id = event.span_id
        if span_id is None:
            return None, None
        span_id = self.aliases.get(span_id, span_id)
        return span_id, self._tracer.recorder.get(span_id)

    def _chat_start(self, event: LLMChatStartEvent) -> None:
        self._model_start(event, {"messages": event.messages})

    def _completion_start(self, event: LLMCompletionStartEvent) -> None:
        self._model_start(event, {"prompt": event.prompt})

    def _model_start(self, event: Any, inputs: dict[str, Any]) -> None:
        # A folded inner call reports its own (derived) input; the outer call's is the one asked.
        if event.span_id in self.aliases:
            return
        span_id, span = self._span(event)
        if span is not None:
            if event.additional_kwargs:
                inputs["additional_kwargs"] = event.additional_kwargs
            self._tracer.recorder.set_inputs(span_id, inputs)

    def _chunk(self, event: Any) -> None:
        span_id = event.span_id
        if span_id is not None:
            self._tracer.recorder.add_chunk(self.aliases.get(span_id, span_id))

    def _model_end(self, event: Any) -> None:
        span_id, span = self._span(event)
        if span is None:
            return
        response = event.response
        if response is not None:
            # Model calls cost milliseconds; reading the usage here keeps the encoder neutral.
            usage = token_usage(response)
            if usage:
                self._tracer.recorder.annotate(span_id, "tokens", usage)
        if span_id in self.lifecycle.streams:
            self.lifecycle.stream_done(span_id, response)

    def _exception(self, event: ExceptionEvent) -> None:
        span_id, span = self._span(event)
        if span is not None and span_id in self.lifecycle.streams and not isinstance(event.exception, ABANDONED):
            self.lifecycle.fail(span_id, event.exception)


def _decide(instance: Any, name: str) -> tuple[str, int, bool]:
    """The kind, fold role and whether model fields are read, for a class's dispatcher method."""
    method = name[name.rfind(".") + 1 :]
    kind = infer_kind(instance, method)
    return kind, method_role(method), kind in MODEL_KINDS or kind == "embedding"


def _legacy_parent(legacy: Legacy, parent_id: str | None) -> str | None:
    """With both paths on: the open legacy-only event or trace window a dispatcher span belongs in.

    A span started inside a ``tree``/``templating`` event that itself started in the span's
    dispatcher parent (or outside any) nests under that event; a root nests under the trace
    window open in its task or thread.
    """
    anchors = legacy.anchors
    if anchors:
        stack = global_stack_trace.get()
        top = stack[-1] if stack else None
        if top in anchors and anchors[top] == parent_id:
            return top
    if parent_id is None:
        return legacy.window()
    return parent_id


class SpanHandler(BaseSpanHandler):
    """Registered on the root dispatcher by ``Tracer.instrument()``.

    ``span_enter``/``span_exit``/``span_drop`` are overridden to skip the base class's lock and
    ``open_spans`` dict: the tracer keeps its own open spans, and a second map per span would
    only cost time and memory.
    """

    bridge: Any = None

    def __init__(self, bridge: Bridge) -> None:
        super().__init__()
        self.bridge = bridge

    @classmethod
    def class_name(cls) -> str:
        return "ChaintracerSpanHandler"

    # Each callback guards itself with a written-out try/except rather than ``@guarded``: they
    # run for every dispatcher span, and a wrapper with *args costs ~0.5 µs a call (measured
    # with bench/bench_llamaindex.py). The dispatcher swallows what a handler raises anyway;
    # the guard counts it (``tracer_errors``) and raises it under the test suite.

    def span_enter(
        self, id_: str, bound_args: Any, instance: Any = None, parent_id: Any = None, tags: Any = None, **kwargs: Any
    ) -> None:
        try:
            self.bridge.enter(id_, bound_args, instance, parent_id, tags)
        except Exception as exc:
            self.bridge.report("span_enter", exc)

    def span_exit(self, id_: str, bound_args: Any, instance: Any = None, result: Any = None, **kwargs: Any) -> None:
        try:
            self.bridge.exit(id_, result)
        except Exception as exc:
            self.bridge.report("span_exit", exc)

    def span_drop(self, id_: str, bound_args: Any, instance: Any = None, err: Any = None, **kwargs: Any) -> None:
        try:
            self.bridge.drop(id_, err)
        except Exception as exc:
            self.bridge.report("span_drop", exc)

    def new_span(
        self,
        id_: str,
        bound_args: Any,
        instance: Any = None,
        parent_span_id: Any = None,
        tags: Any = None,
        **kwargs: Any,
    ) -> None:
        self.span_enter(id_, bound_args, instance, parent_span_id, tags)

    def prepare_to_exit_span(
        self, id_: str, bound_args: Any, instance: Any = None, result: Any = None, **kwargs: Any
    ) -> None:
        self.span_exit(id_, bound_args, instance, result)

    def prepare_to_drop_span(
        self, id_: str, bound_args: Any, instance: Any = None, err: Any = None, **kwargs: Any
    ) -> None:
        self.span_drop(id_, bound_args, instance, err)


class EventHandler(BaseEventHandler):
    """Registered on the root dispatcher by ``Tracer.instrument()``; see ``Bridge.event``."""

    bridge: Any = None

    def __init__(self, bridge: Bridge) -> None:
        super().__init__()
        self.bridge = bridge

    @classmethod
    def class_name(cls) -> str:
        return "ChaintracerEventHandler"

    def handle(self, event: Any, **kwargs: Any) -> None:
        bridge = self.bridge
        if type(event) in bridge.wanted:  # skip the guarded call for the events that carry nothing new
            bridge.event(event)
