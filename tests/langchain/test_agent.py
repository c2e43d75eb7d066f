"""``create_agent`` agents (LangGraph) trace as agent -> node -> model/tool trees."""

from __future__ import annotations

import pytest
from langchain.agents import create_agent

from chaintracer.testing import find, flushed, outline
from demo.scripted import ScriptedChatModel, calculator, lookup


@pytest.fixture
def agent():
    """The demo agent: a scripted tool-calling model with a calculator and a lookup tool."""
    return create_agent(ScriptedChatModel(), tools=[calculator, lookup], system_prompt="Use tools.", name="fact_agent")


def ask(agent, tracer, question):
    return agent.invoke({"messages": [{"role": "user", "content": question}]}, config={"callbacks": [tracer]})


def test_agent_run_nests_model_and_tool_calls(agent, tracer):
    """One agent question is one agent trace: model node, tools node with the tool, model node."""
    result = ask(agent, tracer, "What is (17 + 25) * 3?")
    assert result["messages"][-1].content == "The answer is 126."

    (root,) = flushed(tracer)["traces"]
    assert outline(root) == (
        "agent",
        "fact_agent",
        "ok",
        [
            ("chain", "model", "ok", [("chat_model", "ScriptedChatModel", "ok", [])]),
            ("chain", "tools", "ok", [("tool", "calculator", "ok", [])]),
            ("chain", "model", "ok", [("chat_model", "ScriptedChatModel", "ok", [])]),
        ],
    )
    (tool,) = find(root, kind="tool")
    assert tool["inputs"] == {"expression": "(17 + 25) * 3"}
    assert tool["outputs"]["content"] == "126"
    assert tool["attributes"]["description"].startswith("Evaluates an arithmetic expression")
    first_model = find(root, kind="chat_model")[0]
    assert first_model["outputs"]["generations"][0][0]["message"]["tool_calls"][0]["name"] == "calculator"


def test_failing_tool_marks_the_path_to_the_root_as_error(agent, tracer):
    """A tool that raises gives error spans up to the root, with type, message and traceback."""
    with pytest.raises(ValueError, match="no fact about"):
        ask(agent, tracer, "What is the distance to the moon?")

    doc = flushed(tracer)
    (root,) = doc["traces"]
    (tool,) = find(root, kind="tool")
    assert tool["status"] == "error"
    assert tool["error"]["type"] == "ValueError"
    assert "no fact about 'distance to the moon'" in tool["error"]["message"]
    assert "Traceback (most recent call last)" in tool["error"]["traceback"]
    assert "in lookup" in tool["error"]["traceback"]
    assert root["status"] == "error"
    assert doc["session"]["summary"]["errors"] == 3  # tool, tools node, agent


def test_agent_architecture_lists_graph_model_and_tools(agent, tracer):
    """Flushing an agent stores its graph, the model its nodes call and each tool's description."""
    ask(agent, tracer, "What is the capital of France?")
    model = tracer.flush_tracker(agent, name="agent") and flushed_model(tracer)
    assert model["type"] == "CompiledStateGraph"
    assert {node["id"] for node in model["nodes"]} >= {"__start__", "model", "tools", "__end__"}
    assert {"source": "__start__", "target": "model", "conditional": False} in model["edges"]
    assert [m["params"]["model_name"] for m in model["models"]] == ["scripted-chat"]
    assert {t["name"]: t["description"] for t in model["tools"]} == {
        "calculator": "Evaluates an arithmetic expression with + - * / and parentheses.",
        "lookup": "Looks a topic up in a small local fact sheet.",
    }


def flushed_model(tracer):
    return tracer.store.sessions()[0]["model"]


def test_session_summary_counts_the_old_handler_counters(agent, tracer):
    """The summary carries the counters users of the old W&B handler relied on."""
    ask(agent, tracer, "What is 2 + 2?")
    ask(agent, tracer, "What is the capital of France?")
    summary = flushed(tracer)["session"]["summary"]
    assert summary["traces"] == 2
    assert summary["agent_starts"] == summary["agent_ends"] == 2
    assert summary["llm_starts"] == summary["llm_ends"] == summary["llm_calls"] == 4
    assert summary["tool_starts"] == summary["tool_ends"] == summary["tool_calls"] == 2
    assert summary["chain_starts"] == 6
    assert summary["starts"] == summary["ends"] == summary["spans"] == 14
    assert summary["errors"] == 0
    assert summary["tokens"]["total"] > 0
