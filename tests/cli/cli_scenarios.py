"""Sessions traced from real frameworks with scripted models, for the CLI tests.

- ``agent``: a ``langchain.agents.create_agent`` agent whose scripted chat model calls a real
  tool; the second question's tool fails (a failed trace). Priced by ``Tracer(prices=...)``.
- ``rag``: a LangChain RAG chain (in-memory vector store retriever | prompt | chat model | parser).
- ``li_rag``: a LlamaIndex query engine over a small vector index with the scripted LLM.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_index.core
from langchain.agents import create_agent
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_core.tools import tool
from langchain_core.vectorstores import InMemoryVectorStore
from llama_index.core import Document as LlamaDocument
from llama_index.core import Settings, VectorStoreIndex
from llama_index.core.callbacks import CallbackManager
from llama_index.core.embeddings import MockEmbedding

import llamaindex_tracer
from chaintracer.export import export_session
from chaintracer.store import Store
from langchain_tracer import Tracer
from langchain_tracer.testing import ScriptedChatModel, ToolCall
from llamaindex_tracer.testing import ScriptedLLM

QUESTIONS = ["What is 42 times 3?", "What is the distance to the moon?"]
ANSWER = "The answer is 126."
RAG_QUESTION = "Where is the Eiffel Tower?"
RAG_ANSWER = "The Eiffel Tower is in Paris."
LI_QUESTION = "What did the author study?"
LI_ANSWER = "He studied philosophy, then artificial intelligence."
# USD per 1M tokens for the scripted chat model: round numbers, so costs can be checked by hand.
AGENT_PRICES = {"scripted-chat": {"input": 2.0, "output": 10.0}}


@tool
def multiply(a: int, b: int) -> int:
    """Multiplies two integers."""
    return a * b


@tool
def distance(body: str) -> str:
    """The distance to a celestial body (none is known)."""
    raise ValueError(f"no distance known for {body!r}")


@dataclass
class Scenarios:
    store: str
    ids: dict[str, str]  # session name -> id
    documents: dict[str, dict[str, Any]]  # session name -> export document


def build_scenarios(base: Path) -> Scenarios:
    """Traces the three sessions into ``base/scenarios.db``."""
    store = str(base / "scenarios.db")
    ids = {"agent": _agent(store), "rag": _rag(store), "li_rag": _llamaindex(store)}
    reader = Store(store, create=False)
    try:
        documents = {name: export_session(reader, session_id) for name, session_id in ids.items()}
    finally:
        reader.close()
    return Scenarios(store, ids, documents)


def _agent(store: str) -> str:
    tracer = Tracer(project="cli", store=store, prices=AGENT_PRICES)
    model = ScriptedChatModel(
        script=[
            ToolCall("multiply", {"a": 42, "b": 3}),
            ANSWER,
            ToolCall("distance", {"body": "moon"}),
        ]
    )
    agent = create_agent(model, tools=[multiply, distance], name="calc_agent")
    agent.invoke({"messages": [{"role": "user", "content": QUESTIONS[0]}]}, config={"callbacks": [tracer]})
    with contextlib.suppress(ValueError):  # the failing tool ends the run; the trace keeps the error
        agent.invoke({"messages": [{"role": "user", "content": QUESTIONS[1]}]}, config={"callbacks": [tracer]})
    return _flush(tracer, "agent")


def _rag(store: str) -> str:
    tracer = Tracer(project="cli", store=store)
    vectors = InMemoryVectorStore(DeterministicFakeEmbedding(size=16))
    vectors.add_documents([Document(page_content="The Eiffel Tower stands in Paris."), Document(page_content="Rome.")])
    prompt = ChatPromptTemplate.from_template("Context: {context}\nQuestion: {question}")
    chain = (
        {"context": vectors.as_retriever(search_kwargs={"k": 1}), "question": RunnablePassthrough()}
        | prompt
        | ScriptedChatModel(script=[RAG_ANSWER], model_name="gpt-4o-mini")
        | StrOutputParser()
    )
    assert chain.invoke(RAG_QUESTION, config={"callbacks": [tracer]}) == RAG_ANSWER
    return _flush(tracer, "rag")


def _llamaindex(store: str) -> str:
    saved = (Settings._llm, Settings._embed_model, Settings._callback_manager, llama_index.core.global_handler)
    tracer = llamaindex_tracer.Tracer(project="cli", store=store)
    try:
        Settings.embed_model = MockEmbedding(embed_dim=8)
        Settings.callback_manager = CallbackManager([tracer])
        tracer.instrument()
        index = VectorStoreIndex.from_documents(
            [LlamaDocument(text="In college he studied philosophy, then artificial intelligence.")]
        )
        engine = index.as_query_engine(llm=ScriptedLLM(script=[LI_ANSWER]), similarity_top_k=1)
        assert str(engine.query(LI_QUESTION)) == LI_ANSWER
    finally:
        tracer.uninstrument()
        Settings._llm, Settings._embed_model, Settings._callback_manager, llama_index.core.global_handler = saved
    return _flush(tracer, "li_rag")


def _flush(tracer: Any, name: str) -> str:
    info = tracer.flush_tracker(name=name, finish=True)
    assert info is not None and info.summary.get("tracer_errors", 0) == 0, info
    return info.id
