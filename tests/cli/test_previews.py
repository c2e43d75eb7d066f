"""Previews: every summary shows the user's question and the final answer, read once when a trace is encoded."""

from __future__ import annotations

import asyncio

import pytest
from cli_scenarios import ANSWER, LI_ANSWER, LI_QUESTION, QUESTIONS, RAG_ANSWER, RAG_QUESTION
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.tools import FunctionTool

import llamaindex_tracer
from chaintracer.exporters.wandb_rows import trace_table
from chaintracer.notebook import session_html
from chaintracer.previews import answer_text, question_text, trace_answer, trace_question
from chaintracer.store import Store
from chaintracer.testing import flushed
from llamaindex_tracer.testing import ScriptedLLM, ToolCall


def _rows(store_path: str, session_id: str) -> list[dict]:
    store = Store(store_path, create=False)
    try:
        return store.trace_page(session_id, 0, 50, None, None, "seq")[0]
    finally:
        store.close()


def test_the_trace_table_holds_questions_and_answers(scenarios):
    """The store's input/output columns (what the viewer's table shows) read as a person asks and is answered."""
    agent = _rows(scenarios.store, scenarios.ids["agent"])
    assert [(row["input"], row["output"]) for row in agent] == [
        (QUESTIONS[0], ANSWER),
        (QUESTIONS[1], "ValueError: no distance known for 'moon'"),
    ]
    (rag,) = _rows(scenarios.store, scenarios.ids["rag"])
    assert (rag["input"], rag["output"]) == (RAG_QUESTION, RAG_ANSWER)
    query = _rows(scenarios.store, scenarios.ids["li_rag"])[-1]
    assert (query["input"], query["output"]) == (LI_QUESTION, LI_ANSWER)


def test_wandb_traces_table_reads_the_same_text(scenarios):
    """W&B's `traces` table shows the same question and answer as the store's previews (one reader)."""
    for name in ("agent", "rag", "li_rag"):
        rows = trace_table(scenarios.documents[name]).records()
        stored = _rows(scenarios.store, scenarios.ids[name])
        assert [(row["input"], row["output"]) for row in rows] == [(row["input"], row["output"]) for row in stored]


def test_jupyter_view_shows_the_answer(scenarios):
    """`SessionInfo._repr_html_`'s table shows the agent's question and final answer, and the session's cost."""
    store = Store(scenarios.store, create=False)
    try:
        fragment = session_html(store, scenarios.ids["agent"])
    finally:
        store.close()
    assert QUESTIONS[0] in fragment and ANSWER in fragment
    assert "role" not in fragment
    assert "cost $0.000136" in fragment


def test_llamaindex_workflow_agent_previews(store_path):
    """A LlamaIndex FunctionAgent's trace reads as the user's message and the agent's final reply."""

    def multiply(a: int, b: int) -> int:
        """Multiplies two integers."""
        return a * b

    tracer = llamaindex_tracer.Tracer(project="previews", store=store_path)
    tracer.instrument()
    try:
        llm = ScriptedLLM(script=[ToolCall("multiply", {"a": 6, "b": 7}), "Six times seven is 42."])
        agent = FunctionAgent(tools=[FunctionTool.from_defaults(multiply)], llm=llm)

        async def ask() -> None:
            await agent.run("What is six times seven?")

        asyncio.run(ask())
    finally:
        tracer.uninstrument()
    document = flushed(tracer, name="workflow")
    (root,) = [root for root in document["traces"] if root["kind"] == "agent"]
    assert trace_question(root) == "What is six times seven?"
    assert trace_answer(root) == "Six times seven is 42."
    (row,) = [row for row in _rows(store_path, document["session"]["id"]) if row["kind"] == "agent"]
    assert (row["input"], row["output"]) == ("What is six times seven?", "Six times seven is 42.")


@pytest.mark.parametrize(
    ("payload", "question", "answer"),
    [
        # LangChain agent state: the last user message asks, the last AI message with text answers.
        (
            {
                "messages": [
                    {"role": "human", "content": "first"},
                    {"role": "ai", "content": "", "tool_calls": [{"name": "t", "args": {}}]},
                    {"role": "tool", "content": "42"},
                    {"role": "ai", "content": [{"type": "text", "text": "It is 42."}]},
                    {"role": "tool", "content": "late tool output"},
                ]
            },
            "first",
            "It is 42.",
        ),
        ({"response": "Paris.", "source_nodes": [{"text": "doc"}]}, "", "Paris."),  # LlamaIndex Response
        ({"str_or_query_bundle": "Where?"}, "Where?", "Where?"),
        ({"_type": "StopEvent", "result": {"response": {"role": "assistant", "content": "Done."}}}, "", "Done."),
        ({"generations": [[{"text": "gen"}]], "llm_output": {"token_usage": {}}}, "gen", "gen"),
        ([[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi?"}]], "Hi?", "Hi?"),
        ([{"page_content": "a"}, {"page_content": "b"}], "a\n\nb", "a\n\nb"),  # retrieved documents
        ({"input": "x", "chat_history": []}, "x", "x"),
    ],
)
def test_payload_shapes_read_as_text(payload, question, answer):
    """Framework payload shapes give their text: messages by role, responses, events, generations, documents."""
    if question:
        assert question_text(payload) == question
    assert answer_text(payload) == answer


def test_a_tool_call_only_reply_reads_as_the_call():
    """An agent that ended on a tool call (no text anywhere) answers with the call, not an empty cell."""
    payload = {"messages": [{"role": "ai", "content": "", "tool_calls": [{"name": "add", "args": {"a": 1}}]}]}
    assert answer_text(payload) == 'add({"a": 1})'
