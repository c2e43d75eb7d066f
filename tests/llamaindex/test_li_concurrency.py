"""Concurrent queries (asyncio.gather, threads) keep their traces apart on both paths."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from li_helpers import of_kind, query_traces, text, walk
from llama_index.core import Settings
from llama_index.core.callbacks import CallbackManager

QUESTIONS = [f"question number {n} about alpha?" for n in range(6)]


def _setup(paths, make_tracer, make_index):
    tracer = make_tracer()
    if "legacy" in paths:
        Settings.callback_manager = CallbackManager([tracer])
    engine = make_index().as_query_engine()
    if "instrumentation" in paths:
        tracer.instrument()
    return tracer, engine


def _assert_apart(exported, paths):
    traces = query_traces(exported)
    assert len(traces) == len(QUESTIONS)
    seen = set()
    for trace in traces:
        own = [q for q in QUESTIONS if q in text(trace["inputs"])]
        assert len(own) == 1, trace["inputs"]
        (question,) = own
        seen.add(question)
        others = [q for q in QUESTIONS if q != question]
        for span in walk(trace):  # no span of this trace mentions another run's question
            assert not [q for q in others if q in text([span["inputs"], span["outputs"]])], span["name"]
            assert span["trace_id"] == trace["span_id"] and span["status"] == "ok"
        (model,) = of_kind(trace, "chat_model")
        assert question in model["outputs"]["response" if paths == "legacy" else "message"].__str__()
        assert len(of_kind(trace, "retriever")) == 1
    assert seen == set(QUESTIONS)


@pytest.mark.parametrize("paths", ["instrumentation", "legacy", "legacy+instrumentation"])
async def test_gathered_aqueries_stay_in_their_own_traces(make_tracer, make_index, flush, paths):
    """asyncio.gather over aquery gives one trace per query, each holding only its own question and answer."""
    tracer, engine = _setup(paths, make_tracer, make_index)
    answers = await asyncio.gather(*(engine.aquery(question) for question in QUESTIONS))
    assert [str(answer) for answer in answers] == [f"Answer to {q}" for q in QUESTIONS]
    _assert_apart(flush(tracer), paths)


@pytest.mark.parametrize("paths", ["instrumentation", "legacy"])
def test_threaded_queries_stay_in_their_own_traces(make_tracer, make_index, flush, paths):
    """Queries run from a thread pool give one trace per query with only its own spans."""
    tracer, engine = _setup(paths, make_tracer, make_index)
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(engine.query, QUESTIONS))
    assert [str(answer) for answer in answers] == [f"Answer to {q}" for q in QUESTIONS]
    _assert_apart(flush(tracer), paths)
