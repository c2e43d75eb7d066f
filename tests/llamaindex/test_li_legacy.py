"""The legacy CallbackManager path: every event type becomes a span of the right kind and shape."""

from __future__ import annotations

import llama_index.core
import pytest
from li_helpers import DOCUMENTS, TwoQuestions, all_spans, find, of_kind, query_traces, shape, text
from llama_index.core import Settings
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks import CallbackManager
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine, SubQuestionQueryEngine
from llama_index.core.tools import QueryEngineTool

from llamaindex_tracer import set_global_handler
from llamaindex_tracer.testing import ScriptedLLM


def test_rag_query_is_one_nested_trace(make_tracer, make_index, flush):
    """A query becomes query -> (retrieve -> embedding, synthesize -> templating + chat model) with payloads."""
    tracer = make_tracer()
    Settings.callback_manager = CallbackManager([tracer])
    index = make_index()
    engine = index.as_query_engine(similarity_top_k=2)
    engine.query("What are gamma rays?")
    exported = flush(tracer, engine, name="rag")

    (trace,) = query_traces(exported)
    assert trace["kind"] == "chain" and trace["status"] == "ok"
    assert trace["inputs"] == {"query_str": "What are gamma rays?"}
    assert trace["outputs"]["response"]["response"] == "Answer to What are gamma rays?"
    assert [child["name"] for child in trace["children"]] == ["retrieve", "synthesize"]

    retrieve = find(trace, "retrieve")
    assert retrieve["kind"] == "retriever"
    assert [c["kind"] for c in retrieve["children"]] == ["embedding"]
    nodes = retrieve["outputs"]["nodes"]
    assert len(nodes) == 2 and all(isinstance(n["score"], float) and n["text"] for n in nodes)
    assert all(node["text"] in DOCUMENTS for node in nodes)  # MockEmbedding scores every node alike

    synthesize = find(trace, "synthesize")
    (prompt,) = of_kind(synthesize, "prompt")
    assert "context_str" in prompt["inputs"]["template_vars"] and prompt["inputs"]["template"]
    (model,) = of_kind(synthesize, "chat_model")
    assert model["name"] == "ScriptedLLM" and model["attributes"]["model"] == "scripted-1"
    assert model["inputs"]["messages"][-1]["role"] == "user"
    assert model["outputs"]["response"]["message"]["content"] == "Answer to What are gamma rays?"
    tokens = model["attributes"]["tokens"]
    assert tokens["completion"] == 6 and tokens["total"] == tokens["prompt"] + 6
    assert exported["session"]["summary"]["tokens"] == tokens
    assert exported["session"]["summary"]["llm_calls"] == 1


def test_completion_llm_is_recorded_with_its_completion(make_tracer, make_index, flush):
    """A completion model (MockLLM) ends its LLM event with COMPLETION, not RESPONSE: no KeyError, kind llm."""
    tracer = make_tracer()
    Settings.callback_manager = CallbackManager([tracer])
    index = make_index()
    engine = index.as_query_engine(llm=MockLLM(max_tokens=4))
    engine.query("Tell me about beta")
    exported = flush(tracer)

    (model,) = of_kind(all_spans(exported), "llm")
    assert model["status"] == "ok" and model["name"] == "MockLLM"
    assert "formatted_prompt" in model["inputs"]
    assert model["outputs"] == {"completion": {"text": "text text text text"}}
    assert "tokens" not in model["attributes"]  # MockLLM reports no usage; none is invented


def test_embeddings_are_stored_as_count_and_dimension(make_tracer, make_index, flush):
    """Embedding spans keep how many vectors of which size, never the vectors themselves."""
    tracer = make_tracer()
    Settings.callback_manager = CallbackManager([tracer])
    index = make_index()
    index.as_query_engine().query("alpha?")
    exported = flush(tracer)

    build, query = of_kind(all_spans(exported), "embedding")
    assert build["outputs"]["embeddings"] == {"count": 3, "dimension": 8}
    assert query["outputs"]["embeddings"] == {"count": 1, "dimension": 8}
    assert query["outputs"]["chunks"] == ["alpha?"]
    assert "0.5, 0.5" not in text(exported)  # MockEmbedding's vectors are all 0.5


class FailingRetriever(BaseRetriever):
    def _retrieve(self, query_bundle):
        raise ConnectionError("vector store unreachable")


def test_retrieval_error_fails_the_retriever_and_its_query(make_tracer, flush):
    """An exception in retrieval marks the retrieve span and the enclosing query as errors, with the message."""
    tracer = make_tracer()
    Settings.callback_manager = CallbackManager([tracer])
    engine = RetrieverQueryEngine.from_args(FailingRetriever())
    with pytest.raises(ConnectionError):
        engine.query("anything")
    exported = flush(tracer)

    (trace,) = exported["traces"]
    assert trace["name"] == "query" and trace["status"] == "error"
    assert trace["error"]["type"] == "ConnectionError"
    retrieve = find(trace, "retrieve")
    assert retrieve["status"] == "error" and retrieve["error"]["message"] == "vector store unreachable"
    assert exported["session"]["summary"]["errors"] == 2


def test_llm_error_fails_the_model_span_and_its_ancestors(make_tracer, make_index, flush):
    """A model that raises gives an error chat_model span; synthesize and query fail with the same error."""
    tracer = make_tracer()
    Settings.callback_manager = CallbackManager([tracer])
    index = make_index()
    engine = index.as_query_engine(llm=ScriptedLLM(script=[RuntimeError("model overloaded")]))
    with pytest.raises(RuntimeError):
        engine.query("alpha?")
    exported = flush(tracer)

    (trace,) = query_traces(exported)
    (model,) = of_kind(trace, "chat_model")
    assert model["status"] == "error" and model["error"]["message"] == "model overloaded"
    assert find(trace, "synthesize")["status"] == "error"
    assert trace["status"] == "error" and trace["error"]["message"] == "model overloaded"
    assert find(trace, "retrieve")["status"] == "ok"


def test_handled_error_does_not_fail_later_events(make_tracer, make_index, flush):
    """A query run inside an except block after a failure is ok: only errors that passed through a span mark it."""
    tracer = make_tracer()
    Settings.callback_manager = CallbackManager([tracer])
    index = make_index()
    engine = index.as_query_engine()
    try:
        raise ValueError("unrelated, already handled")
    except ValueError:
        engine.query("alpha?")
    exported = flush(tracer)

    assert {span["status"] for span in all_spans(exported)} == {"ok"}


def test_sub_question_engine_nests_sub_questions_and_their_queries(make_tracer, make_index, flush):
    """Each sub-question is a chain span holding its question and answer, with the sub-query nested in it."""
    tracer = make_tracer()
    Settings.callback_manager = CallbackManager([tracer])
    index = make_index()
    tool = QueryEngineTool.from_defaults(index.as_query_engine(), name="letters", description="Greek letters")
    engine = SubQuestionQueryEngine.from_defaults(
        query_engine_tools=[tool], question_gen=TwoQuestions(), use_async=False
    )
    engine.query("Compare alpha and beta")
    exported = flush(tracer)

    (trace,) = query_traces(exported)
    subs = [span for span in trace["children"] if span["name"] == "sub_question"]
    assert len(subs) == 2
    for sub, question in zip(subs, ["What is alpha?", "What is beta?"], strict=True):
        assert sub["kind"] == "chain" and sub["status"] == "ok"
        assert sub["outputs"]["sub_question"] == {
            "sub_question": question,
            "tool_name": "letters",
            "answer": f"Answer to {question}",
        }
        (inner,) = [child for child in sub["children"] if child["name"] == "query"]
        assert inner["inputs"] == {"query_str": question}
    assert shape(trace)[2][-1][1] == "synthesize"


def test_set_global_handler_traces_new_and_current_managers(make_tracer, make_index, flush):
    """set_global_handler adds the tracer to Settings' manager and to every manager created later; None removes it."""
    tracer = make_tracer()
    index = make_index()
    set_global_handler(tracer)
    assert llama_index.core.global_handler is tracer
    assert tracer in Settings.callback_manager.handlers
    assert tracer in CallbackManager().handlers
    index.as_query_engine().query("alpha?")
    set_global_handler(None)
    assert tracer not in Settings.callback_manager.handlers
    index.as_query_engine().query("beta?")
    exported = flush(tracer)

    assert [trace["inputs"] for trace in query_traces(exported)] == [{"query_str": "alpha?"}]
