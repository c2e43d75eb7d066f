"""What a user sees for each LlamaIndex divergence of issue 11 (items 6-11), and one LlamaIndex quirk."""

from __future__ import annotations

import json

import li_corpus_agents as agents
import li_corpus_rag as rag
import pytest

from chaintracer.spantree import find, walk

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def spans(exported, **match):
    return [span for trace in exported["traces"] for span in find(trace, **match)]


def roots(exported):
    return [(trace["name"], [child["name"] for child in trace["children"]]) for trace in exported["traces"]]


def test_chat_turn_is_one_trace_with_the_callback_manager_only(run_program):
    """Item 6: each context-chat turn is one trace "chat" holding its retrieval and synthesis."""
    exported = run_program(rag.chat_context, "legacy").exported
    assert roots(exported) == [
        ("index_construction", ["node_parsing", "MockEmbedding"]),
        ("chat", ["retrieve", "synthesize"]),
        ("chat", ["retrieve", "synthesize"]),
    ]


def test_turns_inside_a_program_span_are_grouped_by_that_span(run_program):
    """Inside tracer.span(...) the program's span is the trace: its chat turns sit directly in it."""

    def conversation(run):
        chat = run.index().as_chat_engine(chat_mode="context")
        with run.tracer.span("conversation"):
            chat.chat("What is alpha?")
            chat.chat("And beta?")

    exported = run_program(conversation, "legacy").exported
    assert roots(exported)[1:] == [("conversation", ["retrieve", "synthesize", "retrieve", "synthesize"])]


def test_three_condense_plus_context_turns_are_three_traces(run_program):
    """Item 6: three condense-plus-context turns are three chat traces, not eight fragments."""
    exported = run_program(rag.chat_condense_plus_context, "legacy").exported
    assert [name for name, _ in roots(exported)] == ["index_construction", "chat", "chat", "chat"]


@pytest.mark.parametrize("mode", ["legacy", "both"])
def test_tree_index_build_and_query_are_two_traces(run_program, mode):
    """Items 6 and 9: building a TreeIndex is one trace whose model calls sit in the tree event; the query another."""
    outcome = run_program(rag.tree_index_build_and_query, mode)
    exported = outcome.exported
    build, query = exported["traces"]
    assert build["name"] == "index_construction" and "query" in query["name"].lower()
    (tree,) = find(build, name="tree")
    assert len(find(tree, kind="chat_model")) == 2  # one summary per pair of chunks
    assert exported["session"]["summary"]["llm_calls"] == outcome.run.model_requests


@pytest.mark.parametrize("mode", ["legacy", "instrumentation", "both"])
def test_custom_llm_chat_calling_complete_is_one_model_call(run_program, mode):
    """Item 7: CustomLLM.chat -> complete (and stream_chat -> stream_complete) is one model span each."""
    outcome = run_program(rag.custom_llm_chat_calls_complete, mode)
    models = spans(outcome.exported, kind="chat_model") + spans(outcome.exported, kind="llm")
    assert len(models) == 2 == outcome.run.model_requests
    assert outcome.exported["session"]["summary"]["tokens"] == outcome.run.tokens


@pytest.mark.parametrize("mode", ["legacy", "instrumentation", "both"])
def test_structured_llm_complete_is_one_model_call(run_program, mode):
    """Item 7: as_structured_llm(...).complete() is one request to the wrapped model, with its tokens."""
    outcome = run_program(rag.structured_llm_complete, mode)
    summary = outcome.exported["session"]["summary"]
    assert summary["llm_calls"] == 1
    assert summary["tokens"] == outcome.run.tokens and summary["tokens"]["total"] > 0


@pytest.mark.parametrize(
    ("program", "tools"),
    [
        (agents.function_tool_calls, ["add", "add", "add"]),
        (agents.predict_and_call, ["add"]),
        (rag.structured_llm_rerank, ["DocumentRelevanceList"]),
    ],
)
def test_one_tool_call_is_one_tool_span(run_program, program, tools):
    """Item 8: a sync tool call (BaseTool.__call__ -> FunctionTool.call) is one tool span, counted once."""
    exported = run_program(program, "instrumentation").exported
    tool_spans = spans(exported, kind="tool")
    assert [span["name"] for span in tool_spans] == tools
    assert all(not find(span, kind="tool")[1:] for span in tool_spans)  # no tool span inside a tool span
    assert exported["session"]["summary"]["tool_calls"] == len(tools)


@pytest.mark.parametrize("mode", ["legacy", "instrumentation", "both"])
def test_tool_output_of_embedded_nodes_holds_no_vectors(run_program, mode):
    """Item 10: a tool returning nodes that carry embeddings is stored with the vectors summarised."""
    exported = run_program(agents.ingested_nodes_as_tool_output, mode).exported
    text = json.dumps(exported)
    assert "0.5, 0.5" not in text
    if mode != "legacy":  # the legacy path has no tool events
        (tool,) = spans(exported, kind="tool")
        assert "embedding=<8 floats>" in tool["outputs"]["content"] and "Alpha is the first" in text


@pytest.mark.parametrize("mode", ["instrumentation", "both"])
def test_ingestion_embed_step_counts_its_nodes_once(run_program, mode):
    """Item 11: the pipeline's embedding step is one span reporting 3 vectors of dimension 8."""
    exported = run_program(rag.ingestion_pipeline, mode).exported
    (embedding,) = spans(exported, kind="embedding")
    assert embedding["name"] == "MockEmbedding.__call__"
    assert embedding["outputs"] == {"count": 3, "dimension": 8}


def test_timed_out_workflow_step_is_recorded_as_llamaindex_reports_it(run_program):
    """LlamaIndex quirk: the run fails with the timeout, its cancelled step is reported (and kept) as ok."""
    outcome = run_program(agents.workflow_timeout, "instrumentation")
    (trace,) = outcome.exported["traces"]
    assert (trace["name"], trace["status"]) == ("SlowWorkflow.run", "error")
    assert trace["error"]["type"] == "WorkflowTimeoutError"
    (step,) = [span for span in walk(trace) if span["name"] == "SlowWorkflow.think"]
    assert step["status"] == "ok"
    (dropped,) = outcome.dispatcher.dropped_spans  # LlamaIndex's own record agrees
    assert dropped.id_.startswith("SlowWorkflow.run")
