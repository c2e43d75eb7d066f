"""Sessions: memory released at flush, model architecture captured, the export contract, finish."""

from __future__ import annotations

import warnings

import pytest
from export_contract import SPAN_KEYS
from li_helpers import query_traces, walk
from llama_index.core import Settings
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.callbacks import CallbackManager
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.postprocessor import SimilarityPostprocessor
from llama_index.core.tools import FunctionTool

from llamaindex_tracer.instrumentation import SpanHandler
from llamaindex_tracer.testing import ScriptedLLM

# LlamaIndex's workflow classes trip pydantic's deprecation warnings; not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _held(tracer) -> dict[str, int]:
    bridge, lifecycle, legacy = tracer._bridge, tracer._lifecycle, tracer._legacy
    return {
        "open": tracer.recorder.open_count(),
        "aliases": len(bridge.aliases),
        "owners": len(bridge.owners),
        "pending": len(lifecycle.pending),
        "streams": len(lifecycle.streams),
        "legacy_aliases": len(legacy.aliases),
        "anchors": len(legacy.anchors),
    }


def test_nothing_is_held_after_flush_across_sessions(make_tracer, make_index, flush):
    """Every map of a session (open spans, aliases, owners, kind cache, pending streams) is empty after each flush."""
    tracer = make_tracer()
    Settings.callback_manager = CallbackManager([tracer])
    index = make_index()
    tracer.instrument()
    abandoned = []
    for session in range(3):
        engine = index.as_query_engine(streaming=True)
        for n in range(3):
            index.as_query_engine().query(f"session {session} question {n}")
        response = engine.query("left unread")  # an abandoned stream holds spans open until flush
        next(response.response_gen)
        abandoned.append(response)
        held = _held(tracer)
        assert held["open"] > 0 and held["streams"] > 0
        exported = flush(tracer, name=f"s{session}")
        assert len(query_traces(exported)) == 4
        assert _held(tracer) == dict.fromkeys(held, 0)


def test_architecture_of_a_query_engine(make_tracer, make_index, flush):
    """The flushed engine's model: retriever top_k and mode, postprocessors, synthesizer mode, LLM and embedding."""
    tracer = make_tracer()
    engine = make_index().as_query_engine(
        similarity_top_k=3,
        response_mode="tree_summarize",
        node_postprocessors=[SimilarityPostprocessor(similarity_cutoff=0.2)],
        llm=ScriptedLLM(model="gpt-scripted", temperature=0.3, max_tokens=99),
    )
    model = flush(tracer, engine)["session"]["model"]

    assert (model["type"], model["kind"]) == ("RetrieverQueryEngine", "query_engine")
    assert model["retriever"]["params"] == {"top_k": 3, "mode": "default"}
    assert model["retriever"]["index"]["index_struct"] == "IndexDict"
    assert model["retriever"]["index"]["embed_model"] == {
        "type": "MockEmbedding",
        "kind": "embedding",
        "model": "MockEmbedding",
        "params": {"model_name": "unknown", "embed_batch_size": 10, "embed_dim": 8},
    }
    (post,) = model["node_postprocessors"]
    assert post == {"type": "SimilarityPostprocessor", "kind": "postprocessor", "params": {"similarity_cutoff": 0.2}}
    synthesizer = model["response_synthesizer"]
    assert synthesizer["response_mode"] == "tree_summarize" and synthesizer["streaming"] is False
    llm = synthesizer["llm"]
    assert (llm["kind"], llm["model"]) == ("chat_model", "gpt-scripted")
    assert llm["params"]["temperature"] == 0.3 and llm["params"]["max_tokens"] == 99


class KeyedLLM(ScriptedLLM):
    api_key: str = "sk-live-0123456789abcdefghijklmnop"


def multiply(a: float, b: float) -> float:
    """Multiply two numbers."""
    return a * b


def test_architecture_of_an_agent_lists_tools_and_masks_secrets(make_tracer, flush):
    """An agent's model lists its tools with descriptions and argument schemas; the LLM's API key is masked."""
    tracer = make_tracer()
    agent = FunctionAgent(
        name="calc",
        description="Calculates.",
        tools=[FunctionTool.from_defaults(multiply)],
        llm=KeyedLLM(),
        system_prompt="Be exact.",
    )
    exported = flush(tracer, agent)
    model = exported["session"]["model"]

    assert (model["kind"], model["name"], model["system_prompt"]) == ("agent", "calc", "Be exact.")
    (tool,) = model["tools"]
    assert (tool["name"], tool["kind"]) == ("multiply", "tool")
    assert "Multiply two numbers." in tool["description"]
    assert set(tool["args"]["properties"]) == {"a", "b"}
    assert model["llm"]["params"]["api_key"] == "***"
    assert "sk-live" not in str(exported)


def test_export_follows_the_contract(make_tracer, make_index, flush):
    """Every exported span has exactly the contract's keys, ISO times, and children in start order."""
    index = make_index()
    tracer = make_tracer().instrument()
    index.as_query_engine().query("alpha?")
    exported = flush(tracer, name="contract")

    assert exported["session"]["name"] == "contract" and exported["session"]["project"] == "llamaindex_tests"
    for trace in exported["traces"]:
        assert trace["parent_id"] is None
        for span in walk(trace):
            assert set(span) == SPAN_KEYS
            assert span["start_time"].endswith("+00:00") and span["start_time"] <= span["end_time"]
            starts = [child["start_time"] for child in span["children"]]
            assert starts == sorted(starts)
            assert all(child["parent_id"] == span["span_id"] for child in span["children"])


def test_finish_uninstruments_and_ignores_later_events(make_tracer, make_index, flush):
    """flush_tracker(finish=True) removes the dispatcher handlers; legacy events afterwards only warn once."""
    tracer = make_tracer()
    Settings.callback_manager = CallbackManager([tracer])
    index = make_index()
    tracer.instrument()
    index.as_query_engine().query("alpha?")
    tracer.flush_tracker(name="last", finish=True)
    assert not tracer.instrumented
    assert not [h for h in get_dispatcher().span_handlers if isinstance(h, SpanHandler)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        index.as_query_engine().query("beta?")
    assert sum("finished" in str(w.message) for w in caught) == 1
    assert tracer.flush_tracker(name="again") is None
