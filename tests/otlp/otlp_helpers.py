"""Scenarios to export (LangChain chain and agent, LlamaIndex RAG) and the span comparison."""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections import Counter
from typing import Any

from chaintracer.kinds import openinference_kind
from chaintracer.spantree import walk

TITLES = ["The Lion King", "Tragedy at sunset on the beach"]
QUESTIONS = ["What is (17 + 25) * 3?", "What is the distance to the moon?"]  # the second one's tool fails
RAG_QUESTIONS = ["What did the author do growing up?", "What did he study in college?"]
DOCUMENTS = [
    "Paul Graham grew up writing short programs on an IBM 1401 and building model rockets.",
    "In college he studied philosophy before switching to artificial intelligence.",
    "He later co-founded Viaweb, one of the first web applications, sold to Yahoo in 1998.",
]


def langchain_chain(tracer: Any) -> Any:
    """A chain of two sub-chains (synopsis, then review) over two titles."""
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import PromptTemplate

    from demo.scripted import ScriptedLLM

    synopsis = (
        PromptTemplate.from_template("Write a synopsis of the play {title}.")
        | ScriptedLLM(responses=["A sweeping tale of ambition and loss."])
        | StrOutputParser()
    ).with_config(run_name="synopsis_chain")
    review = (
        PromptTemplate.from_template("Review this synopsis: {synopsis}")
        | ScriptedLLM(responses=["A bold, moving play."], temperature=0.2)
        | StrOutputParser()
    ).with_config(run_name="review_chain")
    overall = ({"synopsis": synopsis} | review).with_config(run_name="overall_chain")
    for title in TITLES:
        overall.invoke({"title": title}, config={"callbacks": [tracer]})
    return overall


def langchain_agent(tracer: Any) -> Any:
    """A LangGraph agent whose scripted model calls real tools; the lookup of the second question fails."""
    from langchain.agents import create_agent

    from demo.scripted import ScriptedChatModel, calculator, lookup

    agent = create_agent(ScriptedChatModel(), tools=[calculator, lookup], name="fact_agent")
    for question in QUESTIONS:
        with contextlib.suppress(ValueError):
            agent.invoke({"messages": [{"role": "user", "content": question}]}, config={"callbacks": [tracer]})
    return agent


def llamaindex_rag(tracer: Any) -> Any:
    """A LlamaIndex query engine over a small vector index (instrumentation and legacy callbacks)."""
    from llama_index.core import Document, Settings, VectorStoreIndex
    from llama_index.core.callbacks import CallbackManager
    from llama_index.core.embeddings import MockEmbedding

    from demo.llamaindex_scenarios import cite
    from llamaindex_tracer.testing import ScriptedLLM

    saved = (Settings._callback_manager, Settings._embed_model)
    Settings.callback_manager = CallbackManager([tracer])
    Settings.embed_model = MockEmbedding(embed_dim=8)
    tracer.instrument()
    try:
        index = VectorStoreIndex.from_documents([Document(text=text) for text in DOCUMENTS])
        engine = index.as_query_engine(llm=ScriptedLLM(script=[cite], model="scripted-rag"), similarity_top_k=2)
        for question in RAG_QUESTIONS:
            engine.query(question)
    finally:
        tracer.uninstrument()
        Settings._callback_manager, Settings._embed_model = saved
    return engine


def otel_trace_id(trace_id: str) -> str:
    """The hex trace id a collector shows for one of ours (written here again, apart from the product)."""
    try:
        return uuid.UUID(trace_id).hex
    except ValueError:
        return hashlib.sha256(trace_id.encode()).hexdigest()[:32]


def otel_span_id(span_id: str) -> str:
    return hashlib.sha256(span_id.encode()).hexdigest()[:16]


def _value(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def expected_spans(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What a collector should hold for a stored session, by hex span id."""
    expected = {}
    for root in document["traces"]:
        for span in walk(root):
            tokens = (span["attributes"] or {}).get("tokens") or {}
            error = span["error"]
            expected[otel_span_id(span["span_id"])] = {
                "trace_id": otel_trace_id(span["trace_id"]),
                "parent_id": otel_span_id(span["parent_id"]) if span["parent_id"] else None,
                "name": span["name"],
                "kind": openinference_kind(span["kind"]),
                "status": {"ok": "OK", "error": "ERROR"}.get(span["status"], "UNSET"),
                "status_message": f"{error['type']}: {error['message']}" if error else "",
                "exception": (error["type"], error["message"]) if error else None,
                "tokens": (tokens.get("prompt"), tokens.get("completion"), tokens.get("total")),
                "input": _value(span["inputs"]),
                "output": _value(span["outputs"]),
                "session": document["session"]["id"],
            }
    return expected


def received_spans(spans: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The same view of the spans Phoenix returns, by hex span id."""
    received = {}
    for span in spans:
        attributes = span["attributes"]
        exceptions = [event for event in span["events"] if event["name"] == "exception"]
        exception = exceptions[0]["attributes"] if exceptions else None
        received[span["context"]["span_id"]] = {
            "trace_id": span["context"]["trace_id"],
            "parent_id": span["parent_id"],
            "name": span["name"],
            "kind": span["span_kind"],
            "status": span["status_code"],
            "status_message": span["status_message"],
            "exception": (exception["exception.type"], exception["exception.message"]) if exception else None,
            "tokens": tuple(attributes.get(f"llm.token_count.{key}") for key in ("prompt", "completion", "total")),
            "input": attributes.get("input.value"),
            "output": attributes.get("output.value"),
            "session": attributes.get("session.id"),
        }
    return received


def spans_per_trace(spans: dict[str, dict[str, Any]]) -> Counter[str]:
    return Counter(span["trace_id"] for span in spans.values())
