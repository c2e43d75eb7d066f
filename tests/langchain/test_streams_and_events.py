"""Streams (finished and abandoned), text, retries, custom events and agent events."""

from __future__ import annotations

import uuid

from langchain_core.agents import AgentAction, AgentFinish
from langchain_core.callbacks import CallbackManager, dispatch_custom_event
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda

from chaintracer.testing import flushed


def streaming_model(text="hello there big world"):
    return GenericFakeChatModel(messages=iter([AIMessage(content=text)]))


def test_finished_stream_records_first_token_and_chunks(tracer):
    """A consumed stream ends ok with the time to first token and the number of chunks."""
    chunks = list(streaming_model().stream("hi", config={"callbacks": [tracer]}))
    doc = flushed(tracer)
    (span,) = doc["traces"]
    assert span["status"] == "ok"
    assert span["attributes"]["chunks"] == len(chunks) == 7
    assert span["start_time"] <= span["attributes"]["first_token_time"] <= span["end_time"]
    assert span["attributes"]["time_to_first_token_ms"] >= 0
    assert doc["session"]["summary"]["llm_streams"] == 7


def test_abandoned_stream_is_closed_incomplete_at_flush(tracer):
    """A stream the caller stops reading is kept, closed as ``incomplete`` when flushed."""
    stream = streaming_model().stream("hi", config={"callbacks": [tracer]})
    next(stream)
    doc = flushed(tracer)
    (span,) = doc["traces"]
    assert span["status"] == "incomplete"
    assert span["attributes"]["chunks"] == 1
    assert doc["session"]["summary"]["incomplete"] == 1
    assert tracer.recorder.open_count() == 0


def test_text_custom_and_retry_events_attach_to_their_run(tracer):
    """``on_text``, ``on_retry`` and custom events are stored as timed events of the run."""

    class State:
        attempt_number = 2
        outcome = None

    manager = CallbackManager.configure(inheritable_callbacks=[tracer])
    run = manager.on_chain_start(None, {"question": "q"}, name="legacy_chain")
    run.on_text("Thinking...")
    run.on_retry(State())
    run.on_chain_end({"answer": "a"})

    def step(x):
        dispatch_custom_event("progress", {"pct": 50})
        return x

    RunnableLambda(step).invoke(1, config={"callbacks": [tracer]})
    doc = flushed(tracer)
    legacy, custom = doc["traces"]
    assert [(e["name"], e["payload"]) for e in legacy["attributes"]["events"]] == [
        ("text", "Thinking..."),
        ("retry", {"attempt": 2}),
    ]
    assert [(e["name"], e["payload"]) for e in custom["attributes"]["events"]] == [("progress", {"pct": 50})]
    assert doc["session"]["summary"]["text"] == 1


def test_retried_runnable_shows_each_attempt(tracer):
    """``with_retry`` shows failed attempts as error children of a successful run."""
    attempts = {"n": 0}

    def flaky(x):
        attempts["n"] += 1
        if attempts["n"] < 3:
            raise ConnectionError("upstream timeout")
        return x

    RunnableLambda(flaky).with_retry(stop_after_attempt=3, wait_exponential_jitter=False).invoke(
        1, config={"callbacks": [tracer]}
    )
    (root,) = flushed(tracer)["traces"]
    assert root["status"] == "ok"
    assert [child["status"] for child in root["children"]] == ["error", "error", "ok"]
    assert root["children"][0]["error"]["message"] == "upstream timeout"


def test_agent_action_and_finish_mark_the_run_as_agent(tracer):
    """Legacy agent callbacks turn the run into an ``agent`` span with its actions as events."""
    run_id = uuid.uuid4()
    tracer.on_chain_start({"id": ["AgentExecutorLike"]}, {"input": "2+2"}, run_id=run_id)
    tracer.on_agent_action(AgentAction(tool="calculator", tool_input="2+2", log="use calc"), run_id=run_id)
    tracer.on_agent_finish(AgentFinish(return_values={"output": "4"}, log="done"), run_id=run_id)
    tracer.on_chain_end({"output": "4"}, run_id=run_id)
    (root,) = flushed(tracer)["traces"]
    assert root["kind"] == "agent"
    action, finish = root["attributes"]["events"]
    assert action["payload"] == {"tool": "calculator", "tool_input": "2+2", "log": "use calc"}
    assert finish["payload"] == {"return_values": {"output": "4"}, "log": "done"}
