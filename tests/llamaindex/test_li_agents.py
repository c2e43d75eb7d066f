"""Workflow agents (FunctionAgent, ReActAgent, AgentWorkflow) driven by a scripted LLM calling real tools."""

from __future__ import annotations

import pytest
from li_helpers import find, of_kind, text
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent, ReActAgent
from llama_index.core.tools import FunctionTool, QueryEngineTool

from llamaindex_tracer.testing import ScriptedLLM, ToolCall

# LlamaIndex's workflow classes trip pydantic's and their own deprecation warnings; not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CALLS: list[tuple[int, int]] = []


def add(a: int, b: int) -> int:
    """Add two integers."""
    CALLS.append((a, b))
    return a + b


def lookup(city: str) -> str:
    """Population of a city."""
    raise KeyError(f"no data for {city}")


def tools() -> list[FunctionTool]:
    return [FunctionTool.from_defaults(add), FunctionTool.from_defaults(lookup)]


@pytest.mark.parametrize("streaming", [False, True])
async def test_function_agent_tree_with_tools_and_a_failing_tool(make_tracer, flush, streaming):
    """A FunctionAgent run is one agent trace: steps, model calls with tokens, a real tool call, an error tool span."""
    CALLS.clear()
    tracer = make_tracer().instrument()
    llm = ScriptedLLM(script=[ToolCall("add", {"a": 2, "b": 3}), ToolCall("lookup", {"city": "Atlantis"}), "It is 5."])
    agent = FunctionAgent(tools=tools(), llm=llm, streaming=streaming)
    result = await agent.run("What is 2 + 3?")
    assert str(result) == "It is 5." and CALLS == [(2, 3)]
    exported = flush(tracer, agent, name="agent")

    (trace,) = exported["traces"]
    assert (trace["kind"], trace["name"], trace["status"]) == ("agent", "FunctionAgent.run", "ok")
    assert "What is 2 + 3?" in text(trace["inputs"]) and "It is 5." in text(trace["outputs"])
    models = of_kind(trace, "chat_model")
    assert len(models) == 3 and all(m["status"] == "ok" for m in models)
    assert models[0]["outputs"]["message"]["tool_calls"][0]["name"] == "add"
    assert models[-1]["outputs"]["message"]["content"] == "It is 5."
    if streaming:
        assert all(m["attributes"]["chunks"] >= 1 for m in models)
    add_span, lookup_span = of_kind(trace, "tool")
    assert (add_span["name"], add_span["status"]) == ("add", "ok")
    assert add_span["inputs"] == {"kwargs": {"a": 2, "b": 3}} and add_span["outputs"]["content"] == "5"
    assert (lookup_span["name"], lookup_span["status"]) == ("lookup", "error")
    assert lookup_span["error"]["type"] == "KeyError" and "no data for Atlantis" in lookup_span["error"]["message"]
    for tool_span in (add_span, lookup_span):  # each tool call sits in the workflow step that ran it
        step = next(s for s in trace["children"] if tool_span in s["children"])
        assert step["name"] == "BaseWorkflowAgent.call_tool"
    summary = exported["session"]["summary"]
    assert (summary["llm_calls"], summary["tool_calls"], summary["errors"]) == (3, 2, 1)
    assert summary["tokens"]["total"] == sum(m["attributes"]["tokens"]["total"] for m in models) > 0


async def test_query_engine_tool_nests_the_query_under_the_tool(make_tracer, make_index, flush):
    """An agent's QueryEngineTool call contains the whole query trace (retrieve, synthesize, model)."""
    index = make_index()
    tracer = make_tracer().instrument()
    tool = QueryEngineTool.from_defaults(index.as_query_engine(), name="letters", description="Greek letters")
    llm = ScriptedLLM(script=[ToolCall("letters", {"input": "What is beta?"}), "Beta is a particle."])
    await FunctionAgent(tools=[tool], llm=llm, streaming=False).run("Tell me about beta")
    exported = flush(tracer)

    (trace,) = exported["traces"]
    letters = find(trace, "letters")
    (query,) = letters["children"]
    assert query["name"] == "RetrieverQueryEngine.aquery" and query["inputs"] == {
        "str_or_query_bundle": "What is beta?"
    }
    assert [c["kind"] for c in query["children"]] == ["retriever", "chain"]
    assert letters["outputs"]["content"] == "Answer to What is beta?"


async def test_react_agent_parses_text_and_calls_the_tool(make_tracer, flush):
    """A ReActAgent's text-protocol turns lead to a real tool span under the agent trace."""
    CALLS.clear()
    tracer = make_tracer().instrument()
    llm = ScriptedLLM(
        script=[
            'Thought: I need to add.\nAction: add\nAction Input: {"a": 20, "b": 22}',
            "Thought: I can answer without using any more tools.\nAnswer: 42",
        ]
    )
    result = await ReActAgent(tools=tools(), llm=llm).run("What is 20 + 22?")
    assert "42" in str(result) and CALLS == [(20, 22)]
    exported = flush(tracer, name="react")

    (trace,) = exported["traces"]
    assert (trace["kind"], trace["name"]) == ("agent", "ReActAgent.run")
    (tool_span,) = of_kind(trace, "tool")
    assert tool_span["name"] == "add" and tool_span["outputs"]["content"] == "42"
    assert len(of_kind(trace, "chat_model")) == 2


async def test_agent_workflow_hands_off_between_agents(make_tracer, flush):
    """An AgentWorkflow with two agents is one trace whose tool spans include the handoff and the real tool."""
    CALLS.clear()
    tracer = make_tracer().instrument()
    router = FunctionAgent(
        name="router",
        description="Routes questions.",
        llm=ScriptedLLM(script=[ToolCall("handoff", {"to_agent": "calculator", "reason": "math"})]),
        tools=[],
        can_handoff_to=["calculator"],
        streaming=False,
    )
    calculator = FunctionAgent(
        name="calculator",
        description="Does arithmetic.",
        llm=ScriptedLLM(script=[ToolCall("add", {"a": 1, "b": 1}), "Two."]),
        tools=tools(),
        streaming=False,
    )
    workflow = AgentWorkflow(agents=[router, calculator], root_agent="router")
    result = await workflow.run("What is 1 + 1?")
    assert str(result) == "Two." and CALLS == [(1, 1)]
    exported = flush(tracer, workflow, name="workflow")

    (trace,) = exported["traces"]
    assert (trace["kind"], trace["name"]) == ("agent", "AgentWorkflow.run")
    assert [span["name"] for span in of_kind(trace, "tool")] == ["handoff", "add"]
    model = exported["session"]["model"]
    assert [agent["name"] for agent in model["agents"]] == ["router", "calculator"]
