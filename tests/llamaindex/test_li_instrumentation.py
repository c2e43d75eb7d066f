"""The instrumentation path (root dispatcher handlers), alone and together with the legacy path."""

from __future__ import annotations

import pytest
from li_helpers import TwoQuestions, all_spans, find, of_kind, query_traces, text
from llama_index.core import Settings
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks import CallbackManager
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.llms import MockLLM
from llama_index.core.postprocessor import SimilarityPostprocessor
from llama_index.core.query_engine import RetrieverQueryEngine, SubQuestionQueryEngine
from llama_index.core.tools import QueryEngineTool

from llamaindex_tracer.instrumentation import EventHandler, SpanHandler
from llamaindex_tracer.testing import ScriptedLLM


def test_rag_query_tree_from_dispatcher_spans(make_tracer, make_index, flush):
    """Dispatcher spans nest query -> retrieve -> embedding, synthesize -> ... -> chat; private methods fold in."""
    index = make_index()
    tracer = make_tracer().instrument()
    engine = index.as_query_engine(similarity_top_k=2, node_postprocessors=[SimilarityPostprocessor()])
    engine.query("What are gamma rays?")
    exported = flush(tracer, engine)

    (trace,) = exported["traces"]
    assert trace["name"] == "RetrieverQueryEngine.query" and trace["kind"] == "chain"
    assert trace["inputs"] == {"str_or_query_bundle": "What are gamma rays?"}
    assert trace["outputs"]["response"] == "Answer to What are gamma rays?"
    names = [span["name"] for span in all_spans(exported)]
    # A private method under the public method of the same instance is folded into it.
    assert not {"RetrieverQueryEngine._query", "VectorIndexRetriever._retrieve"} & set(names)
    assert not {"MockEmbedding._get_query_embedding"} & set(names)
    assert [child["name"] for child in trace["children"]] == [
        "VectorIndexRetriever.retrieve",
        "SimilarityPostprocessor._postprocess_nodes",
        "CompactAndRefine.synthesize",
    ]
    retrieve = find(trace, "VectorIndexRetriever.retrieve")
    assert retrieve["kind"] == "retriever" and len(retrieve["outputs"]) == 2
    assert retrieve["outputs"][0]["score"] is not None and retrieve["outputs"][0]["text"]
    (embedding,) = retrieve["children"]
    assert embedding["kind"] == "embedding" and embedding["outputs"] == {"count": 1, "dimension": 8}
    assert find(trace, "SimilarityPostprocessor._postprocess_nodes")["kind"] == "reranker"

    (model,) = of_kind(trace, "chat_model")
    assert model["name"] == "ScriptedLLM.chat"
    assert model["attributes"]["model"] == "scripted-1"
    assert model["attributes"]["invocation_params"]["temperature"] == 0.0
    assert model["attributes"]["invocation_params"]["max_tokens"] == 256
    assert model["inputs"]["messages"][0]["role"] == "system"
    assert model["outputs"]["message"]["content"] == "Answer to What are gamma rays?"
    assert model["attributes"]["tokens"]["completion"] == 6
    predict = find(trace, "ScriptedLLM.predict")
    assert predict["kind"] == "chain" and predict["children"] == [model]
    assert exported["session"]["summary"]["llm_calls"] == 1


def test_completion_model_call_is_one_llm_span(make_tracer, make_index, flush):
    """MockLLM (a CustomLLM) via predict -> complete is one llm span; tokens are not counted twice."""
    index = make_index()
    tracer = make_tracer().instrument()
    index.as_query_engine(llm=MockLLM(max_tokens=3)).query("alpha?")
    exported = flush(tracer)

    (model,) = of_kind(all_spans(exported), "llm")
    assert model["name"] == "MockLLM.complete" and model["outputs"] == {"text": "text text text"}
    assert "formatted_prompt" not in model["inputs"] and model["inputs"]["prompt"].startswith("Context information")


def test_nested_model_calls_of_one_instance_are_one_span(make_tracer, flush):
    """CustomLLM.chat calls its own complete: one chat_model span, not a chat span with an llm child."""
    tracer = make_tracer().instrument()
    from llama_index.core.llms import ChatMessage

    MockLLM(max_tokens=2).chat([ChatMessage(role="user", content="hi")])
    exported = flush(tracer)

    (trace,) = exported["traces"]
    assert (trace["kind"], trace["name"], trace["children"]) == ("chat_model", "MockLLM.chat", [])
    assert trace["inputs"]["messages"][0]["content"] == "hi"
    assert exported["session"]["summary"]["llm_calls"] == 1


def test_both_paths_record_each_operation_once(make_tracer, make_index, flush):
    """With legacy and instrumentation on, spans are the dispatcher's plus the legacy-only templating span."""
    tracer = make_tracer()
    index = make_index()
    engine = index.as_query_engine()
    tracer.instrument()
    engine.query("beta?")
    alone = query_traces(flush(tracer, name="instrumentation"))

    Settings.callback_manager = CallbackManager([tracer])
    engine = make_index().as_query_engine()
    engine.query("beta?")
    both = query_traces(flush(tracer, name="both"))

    spans_alone = [span["name"] for trace in alone for span in all_spans({"traces": [trace]})]
    spans_both = [span["name"] for trace in both for span in all_spans({"traces": [trace]})]
    assert sorted(spans_both) == sorted([*spans_alone, "templating"])
    (templating,) = [span for span in all_spans({"traces": both}) if span["name"] == "templating"]
    assert templating["kind"] == "prompt"
    assert find(both[0], "ScriptedLLM.predict")["children"][0] is not None
    assert [child["name"] for child in find(both[0], "ScriptedLLM.predict")["children"]] == [
        "templating",
        "ScriptedLLM.chat",
    ]
    assert len(of_kind(both[0], "chat_model")) == 1 and len(of_kind(both[0], "retriever")) == 1


def test_llm_error_fails_model_span_and_ancestors(make_tracer, make_index, flush):
    """A model raising gives an error span with its message; every enclosing span fails with it."""
    index = make_index()
    tracer = make_tracer().instrument()
    engine = index.as_query_engine(llm=ScriptedLLM(script=[TimeoutError("model timed out")]))
    with pytest.raises(TimeoutError):
        engine.query("alpha?")
    exported = flush(tracer)

    (trace,) = exported["traces"]
    (model,) = of_kind(trace, "chat_model")
    assert model["status"] == "error"
    assert model["error"] == {
        "type": "TimeoutError",
        "message": "model timed out",
        "traceback": model["error"]["traceback"],
    }
    assert "TimeoutError" in model["error"]["traceback"]
    assert trace["status"] == "error" and trace["error"]["message"] == "model timed out"
    assert find(trace, "VectorIndexRetriever.retrieve")["status"] == "ok"


def test_uninstrument_removes_only_this_tracers_handlers(make_tracer, make_index, flush):
    """uninstrument() takes the tracer's handlers off the root dispatcher; another tracer's stay and keep tracing."""
    index = make_index()
    first, second = make_tracer().instrument(), make_tracer().instrument()
    root = get_dispatcher()
    first.uninstrument()
    ours = [h for h in [*root.span_handlers, *root.event_handlers] if isinstance(h, (SpanHandler, EventHandler))]
    assert len(ours) == 2 and all(h.bridge is second._bridge for h in ours)
    index.as_query_engine().query("gamma?")
    assert flush(first)["traces"] == []
    assert "gamma?" in text(flush(second)["traces"])
    second.uninstrument()
    assert not [h for h in root.span_handlers if isinstance(h, SpanHandler)]


class FailingRetriever(BaseRetriever):
    def _retrieve(self, query_bundle):
        raise ConnectionError("vector store unreachable")


def test_retrieval_error_is_an_error_span_with_its_message(make_tracer, flush):
    """A retriever raising fails its dispatcher span and the query around it; synthesis never starts."""
    tracer = make_tracer().instrument()
    with pytest.raises(ConnectionError):
        RetrieverQueryEngine.from_args(FailingRetriever()).query("anything")
    exported = flush(tracer)

    (trace,) = exported["traces"]
    assert (trace["name"], trace["status"]) == ("RetrieverQueryEngine.query", "error")
    (retrieve,) = trace["children"]
    assert (retrieve["name"], retrieve["kind"], retrieve["status"]) == (
        "FailingRetriever.retrieve",
        "retriever",
        "error",
    )
    assert retrieve["error"]["message"] == "vector store unreachable"


def test_deep_copied_components_keep_the_same_tracer(make_tracer):
    """Copying an LLM (and its callback manager) deep keeps one tracer, not a detached copy."""
    tracer = make_tracer()
    llm = ScriptedLLM(callback_manager=CallbackManager([tracer]))
    assert llm.model_copy(deep=True).callback_manager.handlers[0] is tracer


def test_sub_question_engine_nests_each_sub_query(make_tracer, make_index, flush):
    """Under instrumentation the sub-question engine's query holds one nested query per sub-question."""
    index = make_index()
    tracer = make_tracer().instrument()
    tool = QueryEngineTool.from_defaults(index.as_query_engine(), name="letters", description="Greek letters")
    engine = SubQuestionQueryEngine.from_defaults(
        query_engine_tools=[tool], question_gen=TwoQuestions(), use_async=False
    )
    engine.query("Compare alpha and beta")
    exported = flush(tracer)

    (trace,) = exported["traces"]
    assert trace["name"] == "SubQuestionQueryEngine.query"
    inner = [span for span in all_spans(exported) if span["name"] == "RetrieverQueryEngine.query"]
    assert [span["inputs"]["str_or_query_bundle"] for span in inner] == ["What is alpha?", "What is beta?"]
    assert all(span["parent_id"] == trace["span_id"] for span in inner)
    assert [child["name"] for child in trace["children"]] == [
        "TwoQuestions.generate",
        "RetrieverQueryEngine.query",
        "RetrieverQueryEngine.query",
        "CompactAndRefine.synthesize",
    ]
