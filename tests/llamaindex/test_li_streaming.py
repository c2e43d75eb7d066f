"""Streaming responses: spans end when the stream is exhausted; an abandoned stream is closed at flush."""

from __future__ import annotations

import gc

import pytest
from li_helpers import find, of_kind, query_traces
from llama_index.core import Settings
from llama_index.core.callbacks import CallbackManager

from llamaindex_tracer.testing import ScriptedLLM


def _streamed_query(tracer_paths, make_tracer, make_index):
    tracer = make_tracer()
    if "legacy" in tracer_paths:
        Settings.callback_manager = CallbackManager([tracer])
    index = make_index()
    if "instrumentation" in tracer_paths:
        tracer.instrument()
    engine = index.as_query_engine(streaming=True, llm=ScriptedLLM(script=["Gamma rays are very energetic."]))
    return tracer, engine.query("gamma?")


@pytest.mark.parametrize("paths", ["instrumentation", "legacy", "legacy+instrumentation"])
def test_finished_stream_nests_the_model_call_and_ends_the_query_last(make_tracer, make_index, flush, paths):
    """The model call made while the caller iterates nests under the query, which ends after the last chunk."""
    tracer, response = _streamed_query(paths, make_tracer, make_index)
    chunks = list(response.response_gen)
    assert "".join(chunks) == "Gamma rays are very energetic."
    exported = flush(tracer)

    (trace,) = query_traces(exported)
    assert trace["status"] == "ok"
    (model,) = of_kind(trace, "chat_model")
    assert model["status"] == "ok"
    assert model["end_time"] <= trace["end_time"]
    assert all(span["status"] == "ok" for span in exported["traces"])
    if paths == "legacy":
        assert trace["outputs"]["response"]["response"] == "Gamma rays are very energetic."
    else:
        assert trace["outputs"]["response"] == "Gamma rays are very energetic."
        assert model["outputs"]["message"]["content"] == "Gamma rays are very energetic."
        assert model["attributes"]["chunks"] == 5 and model["attributes"]["tokens"]["completion"] == 5
        assert exported["session"]["summary"]["llm_streams"] == 5


def test_partly_read_stream_is_closed_incomplete_at_flush(make_tracer, make_index, flush):
    """A stream read halfway and kept is closed at flush: the open model span and its query are incomplete."""
    tracer, response = _streamed_query("instrumentation", make_tracer, make_index)
    stream = response.response_gen
    assert next(stream) == "Gamma"
    exported = flush(tracer)

    (trace,) = query_traces(exported)
    assert trace["status"] == "incomplete"
    (model,) = of_kind(trace, "chat_model")
    assert model["status"] == "incomplete" and model["attributes"]["chunks"] == 1
    assert exported["session"]["summary"]["incomplete"] >= 2
    assert tracer.recorder.open_count() == 0
    list(stream)  # reading on after the flush neither fails nor records into the new session
    assert flush(tracer, name="after")["traces"] == []


def test_dropped_stream_is_not_an_error(make_tracer, make_index, flush):
    """A stream dropped unfinished (garbage collected) leaves its spans incomplete, not failed with GeneratorExit."""
    tracer, response = _streamed_query("legacy+instrumentation", make_tracer, make_index)
    next(response.response_gen)
    del response
    gc.collect()
    exported = flush(tracer)

    (trace,) = query_traces(exported)
    statuses = {span["status"] for span in [trace, *of_kind(trace, "chat_model")]}
    assert statuses == {"incomplete"} and exported["session"]["summary"]["errors"] == 0


async def test_async_stream_nests_and_ends_with_its_last_chunk(make_tracer, make_index, flush):
    """aquery with streaming returns an async stream; reading it to the end closes the trace as ok."""
    index = make_index()
    tracer = make_tracer().instrument()
    engine = index.as_query_engine(streaming=True, llm=ScriptedLLM(script=["Beta decays."]))
    response = await engine.aquery("beta?")
    chunks = [chunk async for chunk in response.async_response_gen()]
    assert "".join(chunks) == "Beta decays."
    exported = flush(tracer)

    (trace,) = exported["traces"]
    assert trace["name"] == "RetrieverQueryEngine.aquery" and trace["status"] == "ok"
    assert trace["outputs"]["response"] == "Beta decays."
    (model,) = of_kind(trace, "chat_model")
    assert model["name"] == "ScriptedLLM.astream_chat" and model["status"] == "ok"
    assert find(trace, "CompactAndRefine.asynthesize")["status"] == "ok"


def test_stream_chat_on_a_model_ends_when_read(make_tracer, flush):
    """A model's stream_chat span stays open until its generator is exhausted, then carries the full message."""
    from llama_index.core.llms import ChatMessage

    tracer = make_tracer().instrument()
    stream = ScriptedLLM(script=["one two three"]).stream_chat([ChatMessage(role="user", content="count")])
    assert tracer.recorder.open_count() == 1
    assert [chunk.delta for chunk in stream] == ["one", " two", " three"]
    assert tracer.recorder.open_count() == 0
    exported = flush(tracer)

    (trace,) = exported["traces"]
    assert (trace["kind"], trace["status"]) == ("chat_model", "ok")
    assert trace["outputs"]["message"]["content"] == "one two three" and trace["attributes"]["chunks"] == 3
