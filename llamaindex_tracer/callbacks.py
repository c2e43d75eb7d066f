"""LlamaIndex legacy callback events (``CallbackManager``, ``CBEventType``) -> span fields.

Payload dicts are stored as given (their ``EventPayload`` keys become strings when the trace is
encoded) except where that would be wrong or huge: embedding vectors become a count and a
dimension, and the model's serialized dict moves into attributes. Errors arrive three ways: an
``EXCEPTION`` entry in the end payload (the innermost event), an ``EXCEPTION`` event (marks the
enclosing span), or nothing at all (outer events of ``CallbackManager.event`` end with no
payload while the exception propagates; see ``error_of``).
"""

from __future__ import annotations

import sys
from contextvars import ContextVar
from typing import Any

from llama_index.core.callbacks.schema import CBEventType, EventPayload

from llamaindex_tracer.convert import EmbeddingSummary, model_name_from_dict, token_usage

EVENT_KINDS: dict[CBEventType, str] = {
    CBEventType.LLM: "llm",  # "chat_model" when the payload carries messages (see start_fields)
    CBEventType.EMBEDDING: "embedding",
    CBEventType.RETRIEVE: "retriever",
    CBEventType.RERANKING: "reranker",
    CBEventType.TEMPLATING: "prompt",
    CBEventType.FUNCTION_CALL: "tool",
    CBEventType.AGENT_STEP: "agent",
    CBEventType.QUERY: "chain",
    CBEventType.SYNTHESIZE: "chain",
    CBEventType.SUB_QUESTION: "chain",
    CBEventType.TREE: "chain",
    CBEventType.CHUNKING: "parser",
    CBEventType.NODE_PARSING: "parser",
    CBEventType.EXCEPTION: "chain",  # never a span of its own: it marks the enclosing span
}

EVENT_NAMES = {event_type: event_type.value for event_type in CBEventType}  # Enum.value is a slow property

# Recorded even when instrumentation is on: no dispatcher span stands for these operations.
# Every other legacy event fires inside the dispatcher span of the same call, which already
# carries its arguments, result and error.
LEGACY_ONLY = frozenset({CBEventType.TEMPLATING, CBEventType.TREE})
# The event types an instrumented tracer asks the callback manager not to send it at all.
HAVE_DISPATCHER_SPANS = tuple(event_type for event_type in CBEventType if event_type not in LEGACY_ONLY)

# The legacy span whose stream the caller is iterating: LlamaIndex starts the LLM event of a
# streamed query lazily, after the query event ended, with no parent of its own.
STREAM_PARENT: ContextVar[str | None] = ContextVar("chaintracer_llamaindex_stream_parent", default=None)


def start_fields(
    event_type: CBEventType, payload: dict[Any, Any] | None
) -> tuple[str, str, Any, dict[str, Any] | None]:
    """Kind, name, inputs and attributes of a span for a starting event."""
    kind = EVENT_KINDS.get(event_type, "chain")
    name = EVENT_NAMES.get(event_type) or str(event_type)
    if not payload:
        return kind, name, None, None
    if event_type == CBEventType.LLM or event_type == CBEventType.EMBEDDING:
        serialized = payload.get(EventPayload.SERIALIZED)
        if isinstance(serialized, dict) and serialized.get("class_name"):
            name = str(serialized["class_name"])
        attributes: dict[str, Any] | None = None
        if isinstance(serialized, dict):
            attributes = {"model": model_name_from_dict(serialized, name)}
            if event_type == CBEventType.LLM:
                attributes["invocation_params"] = serialized
        inputs = {key: value for key, value in payload.items() if key != EventPayload.SERIALIZED} or None
        if event_type == CBEventType.LLM and EventPayload.MESSAGES in payload:
            kind = "chat_model"
        return kind, name, inputs, attributes
    if event_type == CBEventType.FUNCTION_CALL:
        tool_name = getattr(payload.get(EventPayload.TOOL), "name", None)
        if tool_name:
            name = str(tool_name)
    return kind, name, payload, None


def end_outputs(event_type: CBEventType, payload: dict[Any, Any] | None, recorder: Any, event_id: str) -> Any:
    """Outputs of an ending event; records token usage on model spans."""
    if not payload:
        return None
    if event_type == CBEventType.LLM:
        # Chat models end with RESPONSE, completion models with COMPLETION (the old W&B
        # handler read payload["response"] and raised KeyError on every completion model).
        if EventPayload.RESPONSE in payload:
            key, response = "response", payload[EventPayload.RESPONSE]
        else:
            key, response = "completion", payload.get(EventPayload.COMPLETION)
        usage = token_usage(response) if response is not None else None
        if usage:
            recorder.annotate(event_id, "tokens", usage)
        return {key: response}
    if event_type == CBEventType.EMBEDDING:
        outputs: dict[str, Any] = {"embeddings": EmbeddingSummary(payload.get(EventPayload.EMBEDDINGS) or [])}
        if EventPayload.CHUNKS in payload:
            outputs["chunks"] = payload[EventPayload.CHUNKS]
        return outputs
    return payload


def error_of(span: Any, payload: dict[Any, Any] | None) -> BaseException | Any | None:
    """The error an ending event reports, if any."""
    if payload:
        error = payload.get(EventPayload.EXCEPTION)
        if error is not None:
            return error
    if span.error is not None:  # marked by an EXCEPTION event
        return span.error
    if not payload:
        # ``CallbackManager.event`` ends outer events with no payload while an exception that
        # an inner event already reported propagates. It is this event's error only if it
        # really passed through it: a child of this span failed with that very exception.
        error = sys.exc_info()[1]
        if error is not None:
            for child in span.children:
                if child.error is error:
                    return error
    return None
