"""Sessions of real LangChain and LlamaIndex scenarios arrive in a real Phoenix as they were stored."""

from __future__ import annotations

import uuid

import pytest
from otlp_helpers import (
    DOCUMENTS,
    QUESTIONS,
    expected_spans,
    langchain_agent,
    langchain_chain,
    llamaindex_rag,
    received_spans,
    spans_per_trace,
)

from chaintracer.cli import main as cli
from chaintracer.export import export_session

SCENARIOS = {"chain": langchain_chain, "agent": langchain_agent, "rag": llamaindex_rag}


def make_tracer(scenario: str, **kwargs):
    if scenario == "rag":
        from llamaindex_tracer import Tracer
    else:
        from langchain_tracer import Tracer
    return Tracer(**kwargs)


def unique_project(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def assert_same_spans(phoenix, project: str, document: dict) -> dict:
    """Phoenix holds exactly the stored session's spans: trees, kinds, names, tokens, payloads, errors."""
    expected = expected_spans(document)
    received = received_spans(phoenix.spans(project, len(expected)))
    assert spans_per_trace(received) == spans_per_trace(expected)
    assert received == expected
    return received


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_flushed_session_appears_in_phoenix(phoenix, store_path, scenario):
    """With backends=["local","otlp"], a flushed session is in Phoenix with the stored trees and attributes."""
    project = unique_project(scenario)
    tracer = make_tracer(
        scenario, project=project, store=store_path, backends=["local", "otlp"], otlp_endpoint=phoenix.url
    )
    asset = SCENARIOS[scenario](tracer)
    info = tracer.flush_tracker(asset, name=scenario)

    assert info.exports["otlp"]["status"] == "pushed"
    document = export_session(tracer.store, info.id)
    received = assert_same_spans(phoenix, project, document)
    if scenario == "agent":  # the failing tool: error status and the exception, on the tool and its parents
        errors = [span for span in received.values() if span["status"] == "ERROR"]
        assert {span["kind"] for span in errors} >= {"TOOL", "AGENT"}
        assert all("no fact about 'distance to the moon'" in span["exception"][1] for span in errors)


def test_model_spans_carry_openinference_and_genai_attributes(phoenix, store_path):
    """A chat model span shows its model, parameters, messages and tool calls; the tool span its name."""
    project = unique_project("attributes")
    tracer = make_tracer(
        "agent", project=project, store=store_path, tags=["t1"], backends=["local", "otlp"], otlp_endpoint=phoenix.url
    )
    langchain_agent(tracer)
    info = tracer.flush_tracker(name="agent")
    total = info.summary["spans"]
    spans = phoenix.spans(project, total)

    chat = next(
        s["attributes"]
        for s in spans
        if s["span_kind"] == "LLM"
        and "llm.output_messages.0.message.tool_calls.0.tool_call.function.name" in s["attributes"]
    )
    assert chat["llm.model_name"] == "scripted-chat"
    assert chat["gen_ai.operation.name"] == "chat"
    assert chat["gen_ai.request.model"] == "scripted-chat"
    assert chat["gen_ai.request.max_tokens"] == 512
    assert chat["gen_ai.usage.input_tokens"] == chat["llm.token_count.prompt"] > 0
    assert chat["llm.input_messages.0.message.role"] == "user"  # LangChain's "human"
    assert chat["llm.input_messages.0.message.content"] in QUESTIONS
    assert chat["llm.output_messages.0.message.role"] == "assistant"
    assert chat["llm.output_messages.0.message.tool_calls.0.tool_call.function.name"] in ("calculator", "lookup")
    assert "t1" in chat["tag.tags"]
    tool = next(s for s in spans if s["span_kind"] == "TOOL" and s["name"] == "lookup")
    assert tool["attributes"]["tool.name"] == "lookup"
    assert tool["attributes"]["gen_ai.tool.name"] == "lookup"


def test_rag_retriever_spans_list_the_documents(phoenix, store_path):
    """A LlamaIndex retriever span carries its documents with ids, contents and scores."""
    project = unique_project("retrieval")
    tracer = make_tracer(
        "rag", project=project, store=store_path, backends=["local", "otlp"], otlp_endpoint=phoenix.url
    )
    llamaindex_rag(tracer)
    info = tracer.flush_tracker(name="rag")
    spans = phoenix.spans(project, info.summary["spans"])

    retrievers = [s["attributes"] for s in spans if s["span_kind"] == "RETRIEVER"]
    assert len(retrievers) == 2
    for attributes in retrievers:
        assert attributes["retrieval.documents.0.document.content"] in DOCUMENTS
        assert isinstance(attributes["retrieval.documents.0.document.score"], float)
        assert attributes["retrieval.documents.1.document.id"]


def test_streamed_traces_arrive_before_the_flush(phoenix, store_path):
    """With stream_logs=True each finished trace reaches Phoenix before flush_tracker, as the stored one."""
    project = unique_project("stream")
    tracer = make_tracer(
        "chain",
        project=project,
        store=store_path,
        backends=["local", "otlp"],
        otlp_endpoint=phoenix.url,
        stream_logs=True,
    )
    langchain_chain(tracer)
    assert phoenix.spans(project, 1), "no streamed span reached Phoenix before the flush"

    info = tracer.flush_tracker(name="streamed")
    assert info.exports["otlp"] == {**info.exports["otlp"], "status": "pushed", "spans_sent": 0}
    assert_same_spans(phoenix, project, export_session(tracer.store, info.id))


def test_push_sends_a_stored_session_once(phoenix, store_path, capsys):
    """`chaintracer push --to otlp` sends a local-only session; a second push skips it; --force resends the same ids."""
    project = unique_project("push")
    tracer = make_tracer("agent", project=project, store=store_path)
    langchain_agent(tracer)
    info = tracer.flush_tracker(name="later")
    tracer.store.close()

    assert cli(["push", info.id, "--to", "otlp", "--endpoint", phoenix.url, "--store", store_path]) == 0
    document = export_session(tracer.store, info.id)
    assert_same_spans(phoenix, project, document)

    assert cli(["push", "--all", "--to", "otlp", "--endpoint", phoenix.url, "--store", store_path]) == 0
    assert "skipped 1" in capsys.readouterr().err
    assert cli(["push", info.id, "--to", "otlp", "--force", "--endpoint", phoenix.url, "--store", store_path]) == 0
    assert "pushed 1" in capsys.readouterr().err
    assert_same_spans(phoenix, project, document)  # the same span ids: no duplicates
