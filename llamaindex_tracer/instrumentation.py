"""LlamaIndex instrumentation (the root dispatcher's span and event handlers) -> recorder calls.

Every ``@dispatcher.span`` method becomes a span keyed by LlamaIndex's span id; its parent is
the ``parent_span_id`` LlamaIndex gives (its own context-variable bookkeeping, per task and
thread). The kind comes from the instance (cached per class and method). Two rules keep one
logical operation one span:

* a private method of the same instance directly under its public method (``query`` ->
  ``_query``, ``retrieve`` -> ``_retrieve``) is folded into it;
* a model call directly under a model call of the same instance (``achat`` -> ``chat``,
  ``CustomLLM.chat`` -> ``complete``) is folded too, so one request is counted (and its tokens
  summed) once.

Folded span ids are aliases of the span that stands for them: their children and events land
there. Typed events add what a span's arguments and result lack: the exact prompt or messages,
token usage from the raw response, streamed chunks, the end of a model stream.
"""

from __future__ import annotations

import inspect
from typing import Any

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

from chaintracer.guard import guarded
from chaintracer.kinds import MODEL_KINDS
from llamaindex_tracer.convert import (
    EmbeddingSummary,
    ModelParams,
    infer_kind,
    model_name,
    token_usage,
)
from llamaindex_tracer.lifecycle import ABANDONED, STREAMING_RESPONSES, Lifecycle

# LlamaIndex span ids are "<Class>.<method>-<uuid4>": the name is what precedes the uuid.
_UUID_SUFFIX = 37


class Bridge:
    """One tracer's instrumentation state: folded span aliases, span owners, the kind cache."""

    __slots__ = ("_errors", "_on_event", "_tracer", "aliases", "kinds", "lifecycle", "owners", "wanted")

    def __init__(self, tracer: Any, lifecycle: Lifecycle) -> None:
        self._tracer = tracer
        self._errors = tracer._errors
        self.lifecycle = lifecycle
        self.aliases: dict[str, str] = {}  # folded span id -> id of the span standing for it
        self.owners: dict[str, tuple[Any, str]] = {}  # open span id -> (instance, kind)
        self.kinds: dict[tuple[type, str], str] = {}
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
        """Forgets everything of the session (called at flush)."""
        self.aliases.clear()
        self.owners.clear()
        self.kinds.clear()

    @guarded
    def enter(
        self, id_: str, bound_args: inspect.BoundArguments, instance: Any, parent_id: str | None, tags: Any
    ) -> None:
        if parent_id is not None:
            parent_id = self.aliases.get(parent_id, parent_id)
        name = id_[:-_UUID_SUFFIX]
        attributes: dict[str, Any] | None = None
        if instance is None:
            kind = "chain"  # workflow steps and plain functions
        else:
            method = name[name.rfind(".") + 1 :]
            key = (type(instance), method)
            kind = self.kinds.get(key)  # type: ignore[assignment]
            if kind is None:
                kind = self.kinds[key] = infer_kind(instance, method)
            if parent_id is not None:
                owner = self.owners.get(parent_id)
                if (
                    owner is not None
                    and owner[0] is instance
                    and (
                        (method.startswith("_") and not method.startswith("__"))
                        or (kind in MODEL_KINDS and owner[1] in MODEL_KINDS)
                    )
                ):
                    self.aliases[id_] = parent_id
                    return
            self.owners[id_] = (instance, kind)
            if kind == "tool":
                name = getattr(instance.metadata, "name", None) or name  # the tool's own name, as agents call it
            elif kind in MODEL_KINDS:
                attributes = {"model": model_name(instance), "invocation_params": ModelParams(instance)}
            elif kind == "embedding":
                attributes = {"model": model_name(instance)}
        if tags:  # instrument_tags (workflows set run ids); a fresh dict per context, not copied
            attributes = attributes or {}
            attributes["tags"] = tags
        self._tracer.recorder.start(id_, parent_id, kind, name, bound_args.arguments, attributes)

    @guarded
    def exit(self, id_: str, result: Any) -> None:
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
                result = EmbeddingSummary(result)
        if isinstance(result, STREAMING_RESPONSES) and self._tracer.recorder.get(id_) is not None:
            lifecycle.wrap_response(result, id_, active_span_id, id_)
        lifecycle.close(id_, result)

    @guarded
    def drop(self, id_: str, err: BaseException | None) -> None:
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

    def span_enter(
        self, id_: str, bound_args: Any, instance: Any = None, parent_id: Any = None, tags: Any = None, **kwargs: Any
    ) -> None:
        self.bridge.enter(id_, bound_args, instance, parent_id, tags)

    def span_exit(self, id_: str, bound_args: Any, instance: Any = None, result: Any = None, **kwargs: Any) -> None:
        self.bridge.exit(id_, result)

    def span_drop(self, id_: str, bound_args: Any, instance: Any = None, err: Any = None, **kwargs: Any) -> None:
        self.bridge.drop(id_, err)

    def new_span(
        self,
        id_: str,
        bound_args: Any,
        instance: Any = None,
        parent_span_id: Any = None,
        tags: Any = None,
        **kwargs: Any,
    ) -> None:
        self.bridge.enter(id_, bound_args, instance, parent_span_id, tags)

    def prepare_to_exit_span(
        self, id_: str, bound_args: Any, instance: Any = None, result: Any = None, **kwargs: Any
    ) -> None:
        self.bridge.exit(id_, result)

    def prepare_to_drop_span(
        self, id_: str, bound_args: Any, instance: Any = None, err: Any = None, **kwargs: Any
    ) -> None:
        self.bridge.drop(id_, err)


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
