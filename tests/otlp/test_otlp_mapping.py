"""The mapping from stored traces to OpenTelemetry spans, through the SDK's in-memory exporter (no server)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from openinference.semconv.trace import OpenInferenceSpanKindValues
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import SpanLimits
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from otlp_helpers import langchain_agent, otel_span_id, otel_trace_id

from chaintracer import __version__
from chaintracer.export import export_session
from chaintracer.exporters.otlp_mapping import session_resource, trace_spans
from chaintracer.kinds import KINDS, OPENINFERENCE_KIND
from chaintracer.spantree import walk
from langchain_tracer import Tracer

SESSION = {"id": "s-1", "project": "proj", "tags": ["nightly"]}


def exported(document: dict, limits: SpanLimits | None = None) -> list:
    """The spans of every trace of a document, as the SDK's in-memory exporter holds them."""
    memory = InMemorySpanExporter()
    resource = session_resource(document["session"]["project"], {})
    for root in document["traces"]:
        memory.export(trace_spans(root, document["session"], resource, limits or SpanLimits()))
    return list(memory.get_finished_spans())


def span(span_id: str, kind: str = "chain", parent: str | None = None, **fields) -> dict:
    base = {
        "span_id": span_id,
        "trace_id": "trace-1",
        "parent_id": parent,
        "name": span_id,
        "kind": kind,
        "status": "ok",
        "error": None,
        "start_time": "2026-11-22T10:00:00.000001+00:00",
        "end_time": "2026-11-22T10:00:01.500000+00:00",
        "inputs": None,
        "outputs": None,
        "attributes": {},
        "metrics": {},
        "children": [],
    }
    return {**base, **fields}


@pytest.fixture(scope="module")
def agent_document(tmp_path_factory) -> dict:
    """The stored export of a LangChain agent session with a failing tool."""
    tracer = Tracer(project="agents", store=str(tmp_path_factory.mktemp("store") / "c.db"), tags=["t1"])
    langchain_agent(tracer)
    info = tracer.flush_tracker(name="agent")
    document = export_session(tracer.store, info.id)
    tracer.store.close()
    return document


def test_every_kind_has_an_openinference_span_kind():
    """Each of our kinds maps to a value OpenInference defines."""
    allowed = {value.value for value in OpenInferenceSpanKindValues}
    assert set(OPENINFERENCE_KIND) == set(KINDS)
    for kind, name in OPENINFERENCE_KIND.items():
        assert name in allowed, kind


def test_one_otel_trace_per_trace_with_our_ids_parents_and_times(agent_document):
    """Trace ids keep our UUID bits, span ids are stable hashes, parents and nanosecond times are preserved."""
    spans = exported(agent_document)
    stored = [node for root in agent_document["traces"] for node in walk(root)]
    assert len(spans) == len(stored)
    by_id = {format(s.context.span_id, "016x"): s for s in spans}
    for node in stored:
        otel = by_id[otel_span_id(node["span_id"])]
        assert (
            format(otel.context.trace_id, "032x") == otel_trace_id(node["trace_id"]) == uuid.UUID(node["trace_id"]).hex
        )
        parent = format(otel.parent.span_id, "016x") if otel.parent else None
        assert parent == (otel_span_id(node["parent_id"]) if node["parent_id"] else None)
        start = datetime.fromisoformat(node["start_time"])
        assert datetime.fromtimestamp(otel.start_time // 1000 / 1e6, timezone.utc) == start
        assert otel.name == node["name"]
    assert exported(agent_document)[0].context == spans[0].context  # stable: the same ids every time


def test_failed_tool_is_an_error_with_the_exception_event(agent_document):
    """An error span has status ERROR 'Type: message' and an exception event with type, message and stacktrace."""
    (tool,) = [s for s in exported(agent_document) if s.attributes.get("tool.name") == "lookup" and not s.status.is_ok]
    assert tool.status.status_code is StatusCode.ERROR
    assert tool.status.description.startswith("ValueError: no fact about")
    (event,) = tool.events
    assert event.name == "exception"
    assert event.attributes["exception.type"] == "ValueError"
    assert "no fact about" in event.attributes["exception.message"]
    assert "Traceback" in event.attributes["exception.stacktrace"]
    assert event.timestamp == tool.end_time


def test_resource_and_scope(agent_document, monkeypatch):
    """service.name and Phoenix's project name default to the project; the scope is chaintracer and its version."""
    (first, *_) = exported(agent_document)
    assert first.resource.attributes["service.name"] == "agents"
    assert first.resource.attributes["openinference.project.name"] == "agents"
    assert (first.instrumentation_scope.name, first.instrumentation_scope.version) == ("chaintracer", __version__)
    from opentelemetry.sdk.resources import OTELResourceDetector

    monkeypatch.setenv("OTEL_SERVICE_NAME", "checkout")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=ci")
    resource = session_resource("agents", OTELResourceDetector().detect().attributes)
    assert resource.attributes["service.name"] == "checkout"
    assert resource.attributes["openinference.project.name"] == "agents"
    assert resource.attributes["deployment.environment"] == "ci"


def test_chat_model_attributes(agent_document):
    """A chat model span: model, provider, parameters, tokens in both vocabularies, messages with tool calls."""
    chats = [s.attributes for s in exported(agent_document) if s.attributes["chaintracer.kind"] == "chat_model"]
    calling = next(a for a in chats if "llm.output_messages.0.message.tool_calls.0.tool_call.id" in a)
    assert calling["openinference.span.kind"] == "LLM"
    assert calling["llm.model_name"] == calling["gen_ai.request.model"] == "scripted-chat"
    assert calling["llm.provider"] == calling["gen_ai.provider.name"]
    assert calling["gen_ai.operation.name"] == "chat"
    assert calling["gen_ai.request.temperature"] == 0.0
    assert calling["llm.token_count.prompt"] == calling["gen_ai.usage.input_tokens"] > 0
    assert calling["llm.token_count.completion"] == calling["gen_ai.usage.output_tokens"] > 0
    assert calling["llm.token_count.total"] == calling["llm.token_count.prompt"] + calling["llm.token_count.completion"]
    assert calling["llm.input_messages.0.message.role"] == "user"
    assert calling["llm.output_messages.0.message.role"] == "assistant"
    assert calling["llm.output_messages.0.message.tool_calls.0.tool_call.function.name"] in ("calculator", "lookup")
    assert calling["llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments"].startswith("{")
    assert calling["session.id"] == agent_document["session"]["id"]
    assert calling["tag.tags"][0] == "t1"
    assert '"ls_provider"' in calling["metadata"]
    answering = next(a for a in chats if "llm.input_messages.2.message.tool_call_id" in a)
    assert answering["llm.input_messages.2.message.role"] == "tool"


def test_spans_encode_to_otlp_protobuf(agent_document):
    """Every attribute value is one OTLP can carry: the SDK's protobuf encoder takes the spans."""
    request = encode_spans(exported(agent_document))
    assert sum(len(scope.spans) for rs in request.resource_spans for scope in rs.scope_spans) == len(
        exported(agent_document)
    )


def test_scores_and_feedback_under_one_prefix():
    """Experiment scores and feedback become chaintracer.scores.* and chaintracer.feedback.N.* attributes."""
    root = span(
        "root",
        scores={"exact": True, "bleu": 0.42, "judge": {"label": "good"}},
        feedback=[{"key": "thumbs", "score": 1, "comment": "nice", "at": "2026-11-22T10:00:02+00:00"}],
    )
    (otel,) = exported({"session": SESSION, "traces": [root]})
    attributes = otel.attributes
    assert attributes["chaintracer.scores.exact"] is True
    assert attributes["chaintracer.scores.bleu"] == 0.42
    assert attributes["chaintracer.scores.judge"] == '{"label":"good"}'
    assert attributes["chaintracer.feedback.0.key"] == "thumbs"
    assert attributes["chaintracer.feedback.0.score"] == 1
    assert attributes["chaintracer.feedback.0.comment"] == "nice"


def test_retriever_documents_and_incomplete_status():
    """Retrieved documents are listed; a span that never ended is UNSET with chaintracer.status=incomplete."""
    documents = [{"id": "d1", "text": "alpha", "score": 0.9, "metadata": {"page": 3}}, {"page_content": "beta"}]
    root = span("root", status="incomplete", children=[span("r", "retriever", parent="root", outputs=documents)])
    root_span, retriever = exported({"session": SESSION, "traces": [root]})
    assert root_span.status.status_code is StatusCode.UNSET
    assert root_span.attributes["chaintracer.status"] == "incomplete"
    attributes = retriever.attributes
    assert attributes["openinference.span.kind"] == "RETRIEVER"
    assert attributes["retrieval.documents.0.document.id"] == "d1"
    assert attributes["retrieval.documents.0.document.content"] == "alpha"
    assert attributes["retrieval.documents.0.document.score"] == 0.9
    assert attributes["retrieval.documents.0.document.metadata"] == '{"page":3}'
    assert attributes["retrieval.documents.1.document.content"] == "beta"
    assert retriever.parent.span_id == root_span.context.span_id


def test_attribute_limits_cut_the_least_important_first(monkeypatch):
    """Past OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT the tail (messages, chaintracer.attributes) goes; long values are cut."""
    monkeypatch.setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "6")
    monkeypatch.setenv("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "10")
    messages = [{"role": "user", "content": f"question {i}"} for i in range(50)]
    root = span("m", "chat_model", inputs={"messages": messages}, outputs="x" * 100, attributes={"chunks": 3})
    (otel,) = exported({"session": SESSION, "traces": [root]})
    assert list(otel.attributes) == [
        "openinference.span.kind",
        "session.id",
        "input.value",
        "input.mime_type",
        "output.value",
        "output.mime_type",
    ]
    assert otel.attributes["output.value"] == "x" * 10
    assert otel.dropped_attributes > 100


@pytest.mark.parametrize(
    "shape",
    [
        {"inputs": [["not a message", None]], "outputs": {"generations": "odd"}},
        {"inputs": {"messages": "odd"}, "outputs": {"message": {"tool_calls": [None, {"function": "x"}]}}},
        {"inputs": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}], "outputs": {"generations": [[1]]}},
        {"attributes": {"tokens": {"prompt": "3"}, "invocation_params": [], "metadata": "m", "tags": {"a": 1}}},
        {"attributes": {"events": [{"name": "retry"}, {"time": "x"}, "text", {"name": "text", "time": "soon"}]}},
    ],
)
def test_odd_shapes_map_without_error(shape):
    """Whatever shapes adapters stored, the mapping gives spans the OTLP encoder accepts."""
    root = span("m", "chat_model", **shape)
    spans = exported({"session": SESSION, "traces": [root]})
    encode_spans(spans)
    assert spans[0].attributes["openinference.span.kind"] == "LLM"


def test_recorded_events_become_span_events():
    """Events recorded on a span (retries, streamed text...) are span events with their time and payload."""
    events = [{"name": "retry", "time": "2026-11-22T10:00:00.500000+00:00", "payload": {"attempt": 2}}]
    (otel,) = exported({"session": SESSION, "traces": [span("m", "llm", attributes={"events": events})]})
    (event,) = otel.events
    assert event.name == "retry"
    assert event.attributes == {"chaintracer.payload": '{"attempt":2}'}
    assert event.timestamp == otel.start_time + 499_999_000
    assert "events" not in otel.attributes.get("chaintracer.attributes", "")
