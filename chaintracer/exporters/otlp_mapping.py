"""OpenTelemetry spans from stored traces: OpenInference and GenAI attributes, our ids and times.

A pure function of one exported root span (the JSON export contract) and its session, so a
live export (``stream_logs``, ``flush_tracker``) and a later ``chaintracer push --to otlp``
send the same spans. Attribute names come from ``openinference-semantic-conventions`` and
OpenTelemetry's GenAI conventions (the per-kind and message attributes are in
``otlp_attributes``); the SDK's OTLP exporter encodes the result.

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
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from itertools import islice
from typing import Any

from openinference.semconv.resource import ResourceAttributes
from openinference.semconv.trace import OpenInferenceMimeTypeValues, SpanAttributes
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanLimits
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.semconv.attributes import exception_attributes, service_attributes
from opentelemetry.trace import SpanContext, Status, StatusCode, TraceFlags

from chaintracer import __version__
from chaintracer.exporters.otlp_attributes import (
    json_text,
    kind_attributes,
    payload_attributes,
    put,
    scalar,
    text,
    textual,
)
from chaintracer.kinds import openinference_kind
from chaintracer.spantree import walk

# Our own attributes (kind, status, scores, feedback, metrics, the rest) all start with this.
PREFIX = "chaintracer."
SCOPE = InstrumentationScope("chaintracer", __version__)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)

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
    put(out, SpanAttributes.OPENINFERENCE_SPAN_KIND, openinference_kind(kind))
    put(out, SpanAttributes.SESSION_ID, session["id"])
    for direction, value in (("input", span.get("inputs")), ("output", span.get("outputs"))):
        if value is not None:
            mime = OpenInferenceMimeTypeValues.TEXT if isinstance(value, str) else OpenInferenceMimeTypeValues.JSON
            put(out, f"{direction}.value", textual(value))
            put(out, f"{direction}.mime_type", mime.value)
    put(out, f"{PREFIX}kind", kind)
    if span["status"] == "incomplete":
        put(out, f"{PREFIX}status", "incomplete")
    out.update(kind_attributes(span, attributes))
    put(out, SpanAttributes.TAG_TAGS, _tags(session, attributes.get("tags")))
    metadata = dict(attributes["metadata"]) if isinstance(attributes.get("metadata"), dict) else {}
    if isinstance(attributes.get("tags"), dict):  # LlamaIndex's tags are a dict: keep them as metadata
        metadata["tags"] = attributes["tags"]
    put(out, SpanAttributes.METADATA, json_text(metadata) if metadata else None)
    for name, value in (span.get("scores") or {}).items():
        put(out, f"{PREFIX}scores.{name}", scalar(value))
    for index, feedback in enumerate(span.get("feedback") or ()):
        for field in ("key", "score", "comment", "at"):
            put(out, f"{PREFIX}feedback.{index}.{field}", scalar(feedback.get(field)))
    out.update(payload_attributes(span))
    for name, value in (span.get("metrics") or {}).items():
        put(out, f"{PREFIX}metrics.{name}", scalar(value))
    mapped = _MAPPED | (_MAPPED_TOOL if kind == "tool" else frozenset())
    rest = {key: value for key, value in attributes.items() if key not in mapped}
    put(out, f"{PREFIX}attributes", json_text(rest) if rest else None)
    return out


def _events(span: dict[str, Any], end_ns: int) -> Iterator[tuple[str, dict[str, Any], int]]:
    """The exception (first: it survives the event limit), then the span's recorded events."""
    error = span.get("error")
    if span["status"] == "error" and error:
        exception: dict[str, Any] = {}
        put(exception, exception_attributes.EXCEPTION_TYPE, text(error.get("type")))
        put(exception, exception_attributes.EXCEPTION_MESSAGE, text(error.get("message")))
        put(exception, exception_attributes.EXCEPTION_STACKTRACE, text(error.get("traceback")))
        yield "exception", exception, end_ns
    for event in (span.get("attributes") or {}).get("events") or ():
        if isinstance(event, dict) and isinstance(event.get("name"), str):
            payload = event.get("payload")
            attributes = {} if payload is None else {f"{PREFIX}payload": scalar(payload)}
            yield event["name"], attributes, _event_ns(event.get("time"), end_ns)


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


def _event_ns(iso_time: Any, default: int) -> int:
    try:
        return _ns(iso_time)
    except (TypeError, ValueError):
        return default


def _ns(iso_time: str) -> int:
    moment = datetime.fromisoformat(iso_time)
    return (moment - _EPOCH) // _MICROSECOND * 1000
