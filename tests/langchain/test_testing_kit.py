"""The shipped test kit: scripted LangChain models and the same trace readers for both frameworks."""

from __future__ import annotations

import pytest
from langchain.agents import create_agent
from langchain_core.tools import tool

import chaintracer.testing
import langchain_tracer.testing
import llamaindex_tracer.testing
from langchain_tracer import Tracer
from langchain_tracer.testing import ScriptedChatModel, ToolCall, find, flushed, outline


@tool
def add(a: int, b: int) -> int:
    """Adds two numbers."""
    return a + b


def test_a_scripted_agent_calls_its_tool_and_answers(store_path):
    """A `create_agent` agent on the scripted chat model calls the scripted tool and gives the scripted answer."""
    model = ScriptedChatModel(script=[ToolCall("add", {"a": 2, "b": 3}), "2 + 3 = 5"])
    agent = create_agent(model, tools=[add])
    tracer = Tracer(store=store_path)
    result = agent.invoke({"messages": [("user", "What is 2 + 3?")]}, config={"callbacks": [tracer]})

    assert result["messages"][-1].content == "2 + 3 = 5"
    (root,) = flushed(tracer, name="agent")["traces"]
    (tool_span,) = find(root, kind="tool")
    assert tool_span["name"] == "add" and "5" in str(tool_span["outputs"])
    models = find(root, kind="chat_model")
    assert len(models) == 2 == model.calls
    # Word counts: the question (5 words) in, 3 tokens per tool call out.
    assert models[0]["attributes"]["tokens"] == {"prompt": 5, "completion": 3, "total": 8}


def test_a_scripted_model_raises_the_exception_in_its_script(store_path):
    """An exception as a turn is raised by the model, and the trace records it as the model's error."""
    model = ScriptedChatModel(script=[TimeoutError("provider timed out")])
    tracer = Tracer(store=store_path)
    with pytest.raises(TimeoutError):
        model.invoke("hello", config={"callbacks": [tracer]})
    (root,) = flushed(tracer)["traces"]
    assert outline(root) == ("chat_model", "ScriptedChatModel", "error", [])
    assert root["error"]["message"] == "provider timed out"


def test_flushed_fails_on_internal_tracer_errors(store_path, monkeypatch):
    """`flushed()` turns a swallowed internal tracer error into a test failure."""
    monkeypatch.delenv("CHAINTRACER_RAISE_INTERNAL_ERRORS")
    tracer = Tracer(store=store_path)
    tracer.on_chain_start(None, {}, run_id=["unhashable"])  # a malformed event LangChain would never send
    with pytest.raises(AssertionError, match="1 internal error"):
        flushed(tracer)


def test_both_kits_offer_the_same_trace_readers():
    """`langchain_tracer.testing` and `llamaindex_tracer.testing` re-export chaintracer's readers, not copies."""
    for name in ("find", "flushed", "outline", "walk"):
        shared = getattr(chaintracer.testing, name)
        assert getattr(langchain_tracer.testing, name) is shared
        assert getattr(llamaindex_tracer.testing, name) is shared
