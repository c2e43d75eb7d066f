"""OpenTelemetry spans from stored traces: OpenInference and GenAI attributes, our ids and times.

A pure function of one exported root span (the JSON export contract) and its session, so a
live export (``stream_logs``, ``flush_tracker``) and a later ``chaintracer push --to otlp``
send the same spans. Attribute names come from ``openinference-semantic-conventions`` and
OpenTelemetry's GenAI conventions; the SDK's OTLP exporter encodes the result.

Ids are stable: a trace id that is a UUID keeps its 128 bits (the id you see in chaintracer is
the id in the collector), any other id is hashed; span ids are the first 8 bytes of a SHA-256
of ours. Sending a trace twice sends the same ids, which collectors such as Phoenix ignore.

Limits: attributes are listed most important first and cut to the SDK's ``SpanLimits`` (env
``OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT``, default 128): what goes first is ``chaintracer.attributes``,
then our metrics, then the last documents and messages. Strings longer than
``OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`` (default: no limit) are cut by the SDK. Payloads were
already cut to ``max_payload_bytes`` and masked when the trace was recorded.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from itertools import islice
from typing import Any

from openinference.semconv.resource import ResourceAttributes
from openinference.semconv.trace import (
    DocumentAttributes,
    MessageAttributes,
    OpenInferenceMimeTypeValues,
    SpanAttributes,
    ToolCallAttributes,
)
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanLimits
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai
from opentelemetry.semconv.attributes import exception_attributes, service_attributes
from opentelemetry.trace import SpanContext, Status, StatusCode, TraceFlags

from chaintracer import __version__
from chaintracer.kinds import MODEL_KINDS, openinference_kind
from chaintracer.spantree import walk

# Our own attributes (kind, status, scores, feedback, metrics, the rest) all start with this.
PREFIX = "chaintracer."
SCOPE = InstrumentationScope("chaintracer", __version__)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)

# LangChain's message types, in OpenInference's (OpenAI's) role names.
_ROLES = {"human": "user", "ai": "assistant", "AIMessageChunk": "assistant"}
# GenAI's operation for each kind that has one.
_OPERATIONS = {
    "chat_model": gen_ai.GenAiOperationNameValues.CHAT.value,
    "llm": gen_ai.GenAiOperationNameValues.TEXT_COMPLETION.value,
    "embedding": gen_ai.GenAiOperationNameValues.EMBEDDINGS.value,
    "retriever": gen_ai.GenAiOperationNameValues.RETRIEVAL.value,
    "tool": gen_ai.GenAiOperationNameValues.EXECUTE_TOOL.value,
    "agent": gen_ai.GenAiOperationNameValues.INVOKE_AGENT.value,
}
# Invocation parameters (LangChain's and LlamaIndex's names) with a GenAI request attribute.
_REQUEST_PARAMETERS = {
    "temperature": gen_ai.GEN_AI_REQUEST_TEMPERATURE,
    "max_tokens": gen_ai.GEN_AI_REQUEST_MAX_TOKENS,
    "max_new_tokens": gen_ai.GEN_AI_REQUEST_MAX_TOKENS,
    "max_output_tokens": gen_ai.GEN_AI_REQUEST_MAX_TOKENS,
    "top_p": gen_ai.GEN_AI_REQUEST_TOP_P,
    "top_k": gen_ai.GEN_AI_REQUEST_TOP_K,
    "frequency_penalty": gen_ai.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    "presence_penalty": gen_ai.GEN_AI_REQUEST_PRESENCE_PENALTY,
    "seed": gen_ai.GEN_AI_REQUEST_SEED,
}
# Span attributes that have a place in the vocabularies; the rest go to chaintracer.attributes.
_MAPPED = frozenset(
    {"model", "response_model", "provider", "invocation_params", "tokens", "tags", "metadata", "events"}
)
_MAPPED_TOOL = frozenset({"description", "parameters"})


def session_resource(project: str, configured: Mapping[str, Any]) -> Resource:
    """The resource of a session's spans: ``service.name`` and Phoenix's project name default to the project.

    ``configured`` holds what the environment sets (``OTEL_RESOURCE_ATTRIBUTES``,
    ``OTEL_SERVICE_NAME``), which wins.
    """
    defaults = {service_attributes.SERVICE_NAME: project, ResourceAttributes.PROJECT_NAME: project}
    return Resource.create({**defaults, **configured})


def trace_id_of(trace_id: str) -> int:
    """The 128-bit OpenTelemetry trace id of one of our trace ids (its UUID bits when it is one)."""
    try:
        value = uuid.UUID(trace_id).int
    except ValueError:
        value = int.from_bytes(hashlib.sha256(trace_id.encode()).digest()[:16], "big")
    return value or 1  # an all-zero id is invalid in OpenTelemetry


def span_id_of(span_id: str) -> int:
    """The 64-bit OpenTelemetry span id of one of our span ids."""
    return int.from_bytes(hashlib.sha256(span_id.encode()).digest()[:8], "big") or 1


def trace_spans(
    root: dict[str, Any], session: dict[str, Any], resource: Resource, limits: SpanLimits
) -> list[ReadableSpan]:
    """The OpenTelemetry spans (``ReadableSpan``) of one exported trace, parents before children."""
    trace_id = trace_id_of(root["trace_id"])
    spans: list[ReadableSpan] = []
    contexts: dict[str, SpanContext] = {}
    for span in walk(root):
        context = SpanContext(trace_id, span_id_of(span["span_id"]), is_remote=False, trace_flags=_SAMPLED)
        contexts[span["span_id"]] = context
        end_ns = _ns(span["end_time"])
        spans.append(
            ReadableSpan(
                name=span["name"],
                context=context,
                parent=contexts.get(span["parent_id"]) if span["parent_id"] else None,
                resource=resource,
                attributes=_bounded(
                    span_attributes(span, session), limits.max_span_attributes, limits.max_span_attribute_length
                ),
                events=[
                    Event(name, _bounded(attributes, limits.max_event_attributes, limits.max_attribute_length), at)
                    for name, attributes, at in islice(_events(span, end_ns), limits.max_events)
                ],
                status=_status(span),
                start_time=_ns(span["start_time"]),
                end_time=end_ns,
                instrumentation_scope=SCOPE,
            )
        )
    return spans


def span_attributes(span: dict[str, Any], session: dict[str, Any]) -> dict[str, Any]:
    """A span's OpenInference, GenAI and chaintracer attributes, most important first."""
    attributes = span.get("attributes") or {}
    out: dict[str, Any] = {}
    kind = span["kind"]
    _put(out, SpanAttributes.OPENINFERENCE_SPAN_KIND, openinference_kind(kind))
    _put(out, SpanAttributes.SESSION_ID, session["id"])
    for direction, value in (("input", span.get("inputs")), ("output", span.get("outputs"))):
        if value is not None:
            mime = OpenInferenceMimeTypeValues.TEXT if isinstance(value, str) else OpenInferenceMimeTypeValues.JSON
            _put(out, f"{direction}.value", _textual(value))
            _put(out, f"{direction}.mime_type", mime.value)
    _put(out, f"{PREFIX}kind", kind)
    if span["status"] == "incomplete":
        _put(out, f"{PREFIX}status", "incomplete")
    out.update(_kind_attributes(span, attributes))
    _put(out, SpanAttributes.TAG_TAGS, _tags(session, attributes.get("tags")))
    metadata = dict(attributes["metadata"]) if isinstance(attributes.get("metadata"), dict) else {}
    if isinstance(attributes.get("tags"), dict):  # LlamaIndex's tags are a dict: keep them as metadata
        metadata["tags"] = attributes["tags"]
    _put(out, SpanAttributes.METADATA, _json(metadata) if metadata else None)
    for name, value in (span.get("scores") or {}).items():
        _put(out, f"{PREFIX}scores.{name}", _scalar(value))
    for index, feedback in enumerate(span.get("feedback") or ()):
        for field in ("key", "score", "comment", "at"):
            _put(out, f"{PREFIX}feedback.{index}.{field}", _scalar(feedback.get(field)))
    out.update(_payload_attributes(span))
    for name, value in (span.get("metrics") or {}).items():
        _put(out, f"{PREFIX}metrics.{name}", _scalar(value))
    mapped = _MAPPED | (_MAPPED_TOOL if kind == "tool" else frozenset())
    rest = {key: value for key, value in attributes.items() if key not in mapped}
    _put(out, f"{PREFIX}attributes", _json(rest) if rest else None)
    return out


def _kind_attributes(span: dict[str, Any], attributes: dict[str, Any]) -> dict[str, Any]:
    """Model, provider, tokens and parameters (models), tool and agent names, embedding model."""
    out: dict[str, Any] = {}
    kind = span["kind"]
    model, response_model = _text(attributes.get("model")), _text(attributes.get("response_model"))
    metadata = attributes.get("metadata") if isinstance(attributes.get("metadata"), dict) else {}
    provider = _text(attributes.get("provider")) or _text(metadata.get("ls_provider"))
    params = attributes.get("invocation_params") if isinstance(attributes.get("invocation_params"), dict) else {}
    tokens = attributes.get("tokens") if isinstance(attributes.get("tokens"), dict) else {}
    _put(out, gen_ai.GEN_AI_OPERATION_NAME, _OPERATIONS.get(kind))
    if kind in MODEL_KINDS:
        _put(out, SpanAttributes.LLM_MODEL_NAME, response_model or model)
        _put(out, SpanAttributes.LLM_PROVIDER, provider)
        _put(out, gen_ai.GEN_AI_PROVIDER_NAME, provider)
        _put(out, gen_ai.GEN_AI_REQUEST_MODEL, model)
        _put(out, gen_ai.GEN_AI_RESPONSE_MODEL, response_model)
        for key, name in (("prompt", "PROMPT"), ("completion", "COMPLETION"), ("total", "TOTAL")):
            _put(out, getattr(SpanAttributes, f"LLM_TOKEN_COUNT_{name}"), _count(tokens.get(key)))
        _put(out, gen_ai.GEN_AI_USAGE_INPUT_TOKENS, _count(tokens.get("prompt")))
        _put(out, gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS, _count(tokens.get("completion")))
        for key, name in _REQUEST_PARAMETERS.items():
            _put(out, name, _number(params.get(key)))
        stop = params.get("stop")
        _put(out, gen_ai.GEN_AI_REQUEST_STOP_SEQUENCES, [stop] if isinstance(stop, str) else _strings(stop))
        _put(out, SpanAttributes.LLM_INVOCATION_PARAMETERS, _json(params) if params else None)
    elif kind == "embedding":
        _put(out, SpanAttributes.EMBEDDING_MODEL_NAME, model)
        _put(out, gen_ai.GEN_AI_REQUEST_MODEL, model)
    elif kind == "tool":
        _put(out, SpanAttributes.TOOL_NAME, span["name"])
        _put(out, gen_ai.GEN_AI_TOOL_NAME, span["name"])
        _put(out, SpanAttributes.TOOL_DESCRIPTION, _text(attributes.get("description")))
        parameters = attributes.get("parameters")  # the tool's argument schema, when an adapter records it
        _put(out, SpanAttributes.TOOL_PARAMETERS, _json(parameters) if isinstance(parameters, dict) else None)
    elif kind == "agent":
        _put(out, SpanAttributes.AGENT_NAME, span["name"])
        _put(out, gen_ai.GEN_AI_AGENT_NAME, span["name"])
    return out


def _payload_attributes(span: dict[str, Any]) -> dict[str, Any]:
    """Chat messages (with tool calls), completion prompts and retrieved documents, flattened."""
    out: dict[str, Any] = {}
    kind, inputs, outputs = span["kind"], span.get("inputs"), span.get("outputs")
    if kind in MODEL_KINDS:
        prompts = _strings(inputs)
        if prompts:
            _put(out, SpanAttributes.LLM_PROMPTS, prompts)
        for prefix, messages in (
            (SpanAttributes.LLM_INPUT_MESSAGES, _input_messages(inputs)),
            (SpanAttributes.LLM_OUTPUT_MESSAGES, _output_messages(outputs)),
        ):
            for index, message in enumerate(messages):
                out.update(_message(f"{prefix}.{index}.", message))
    elif kind == "retriever":
        for index, document in enumerate(_documents(outputs)):
            base = f"{SpanAttributes.RETRIEVAL_DOCUMENTS}.{index}."
            _put(out, base + DocumentAttributes.DOCUMENT_ID, _text(document.get("id")))
            content = document.get("text", document.get("page_content", document.get("content")))
            _put(out, base + DocumentAttributes.DOCUMENT_CONTENT, _text(content))
            _put(out, base + DocumentAttributes.DOCUMENT_SCORE, _number(document.get("score")))
            metadata = document.get("metadata")
            _put(out, base + DocumentAttributes.DOCUMENT_METADATA, _json(metadata) if metadata else None)
    return out


def _input_messages(inputs: Any) -> list[dict[str, Any]]:
    if isinstance(inputs, dict):  # LlamaIndex: {"messages": [...]}
        inputs = inputs.get("messages")
    elif isinstance(inputs, list) and inputs and isinstance(inputs[0], list):  # LangChain: one list per prompt
        inputs = inputs[0]
    return [message for message in inputs if isinstance(message, dict)] if isinstance(inputs, list) else []


def _output_messages(outputs: Any) -> list[dict[str, Any]]:
    if not isinstance(outputs, dict):
        return []
    if isinstance(outputs.get("message"), dict):  # LlamaIndex: {"message": {...}}
        return [outputs["message"]]
    generations = outputs.get("generations")  # LangChain: {"generations": [[{"message": {...}}]]}
    first = generations[0] if isinstance(generations, list) and generations else None
    if not isinstance(first, list):
        return []
    return [g["message"] for g in first if isinstance(g, dict) and isinstance(g.get("message"), dict)]


def _message(base: str, message: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    role = _text(message.get("role"))
    _put(out, base + MessageAttributes.MESSAGE_ROLE, _ROLES.get(role, role) if role else None)
    content = message.get("content")
    _put(out, base + MessageAttributes.MESSAGE_CONTENT, _textual(content))
    _put(out, base + MessageAttributes.MESSAGE_NAME, _text(message.get("name")))
    extra = message.get("additional_kwargs") if isinstance(message.get("additional_kwargs"), dict) else {}
    call_id = _text(message.get("tool_call_id")) or _text(extra.get("tool_call_id"))  # LlamaIndex keeps it in extra
    _put(out, base + MessageAttributes.MESSAGE_TOOL_CALL_ID, call_id)
    for index, call in enumerate(message.get("tool_calls") or ()):
        if not isinstance(call, dict):
            continue
        function = call.get("function") if isinstance(call.get("function"), dict) else {}  # OpenAI's shape
        arguments = call.get("args", call.get("arguments", function.get("arguments")))
        call_base = f"{base}{MessageAttributes.MESSAGE_TOOL_CALLS}.{index}."
        _put(out, call_base + ToolCallAttributes.TOOL_CALL_ID, _text(call.get("id")))
        _put(out, call_base + ToolCallAttributes.TOOL_CALL_FUNCTION_NAME, _text(call.get("name", function.get("name"))))
        _put(
            out,
            call_base + ToolCallAttributes.TOOL_CALL_FUNCTION_ARGUMENTS_JSON,
            _textual(arguments),
        )
    return out


def _documents(outputs: Any) -> list[dict[str, Any]]:
    if isinstance(outputs, dict):
        outputs = outputs.get("documents", outputs.get("nodes"))
    return [document for document in outputs if isinstance(document, dict)] if isinstance(outputs, list) else []


def _events(span: dict[str, Any], end_ns: int) -> Iterator[tuple[str, dict[str, Any], int]]:
    """The exception (first: it survives the event limit), then the span's recorded events."""
    error = span.get("error")
    if span["status"] == "error" and error:
        exception: dict[str, Any] = {}
        _put(exception, exception_attributes.EXCEPTION_TYPE, _text(error.get("type")))
        _put(exception, exception_attributes.EXCEPTION_MESSAGE, _text(error.get("message")))
        _put(exception, exception_attributes.EXCEPTION_STACKTRACE, _text(error.get("traceback")))
        yield "exception", exception, end_ns
    for event in (span.get("attributes") or {}).get("events") or ():
        if isinstance(event, dict) and isinstance(event.get("name"), str):
            payload = event.get("payload")
            attributes = {} if payload is None else {f"{PREFIX}payload": _scalar(payload)}
            yield event["name"], attributes, _ns(event["time"]) if isinstance(event.get("time"), str) else end_ns


def _status(span: dict[str, Any]) -> Status:
    if span["status"] == "ok":
        return Status(StatusCode.OK)
    if span["status"] == "error":
        error = span.get("error") or {}
        return Status(StatusCode.ERROR, f"{error.get('type') or 'Error'}: {error.get('message') or ''}")
    return Status(StatusCode.UNSET)  # incomplete: the outcome is unknown (chaintracer.status says why)


def _bounded(attributes: dict[str, Any], max_count: int | None, max_length: int | None) -> BoundedAttributes:
    """The SDK's bounded attributes, keeping the first ``max_count`` (the most important) and counting the rest."""
    kept = attributes if max_count is None else dict(islice(attributes.items(), max_count))
    bounded = BoundedAttributes(max_count, kept, immutable=True, max_value_len=max_length)
    bounded.dropped += len(attributes) - len(kept)
    return bounded


def _tags(session: dict[str, Any], span_tags: Any) -> list[str] | None:
    tags = [tag for tag in session.get("tags") or () if isinstance(tag, str)]
    if isinstance(span_tags, list):
        tags.extend(tag for tag in span_tags if isinstance(tag, str))
    return list(dict.fromkeys(tags)) or None


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "" and value != []:
        out[key] = value


def _ns(iso_time: str) -> int:
    moment = datetime.fromisoformat(iso_time)
    return (moment - _EPOCH) // _MICROSECOND * 1000


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _textual(value: Any) -> str | None:
    """Strings as they are, other JSON values as JSON text."""
    return None if value is None else value if isinstance(value, str) else _json(value)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> int | float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return value
    return None


def _scalar(value: Any) -> Any:
    """A valid attribute value: strings, numbers and booleans as they are, anything else as JSON."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return _json(value)
