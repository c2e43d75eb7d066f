"""Two LlamaIndex scenarios traced offline: a RAG query engine and a FunctionAgent with tools.

The models are scripted stand-ins (``llamaindex_tracer.testing.ScriptedLLM``) and the
embeddings are ``MockEmbedding``: no network, no keys. Both event paths are on, as in the
README: the legacy ``CallbackManager`` handler and the instrumentation dispatcher.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.response.schema import StreamingResponse
from llama_index.core.callbacks import CallbackManager
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool, QueryEngineTool

from llamaindex_tracer import Tracer
from llamaindex_tracer.testing import ScriptedLLM, ToolCall

DOCUMENTS = [
    "Paul Graham grew up writing short programs on an IBM 1401 and building model rockets.",
    "In college he studied philosophy before switching to artificial intelligence.",
    "He later co-founded Viaweb, one of the first web applications, sold to Yahoo in 1998.",
    "Y Combinator, which he started in 2005, funds startups in batches twice a year.",
]
# The scripted models stand in for gpt-4o-mini: priced like it (USD per 1M tokens), so the demo shows costs.
PRICES = {name: {"input": 0.15, "output": 0.60} for name in ("scripted-1", "scripted-rag", "scripted-agent")}
QUESTIONS = ["What did the author do growing up?", "What did he study in college?"]


def cite(messages: list[ChatMessage]) -> str:
    """A scripted answer grounded in the prompt: the question and the first retrieved line."""
    prompt = str(messages[-1].content or "")
    lines = [line.strip() for line in prompt.splitlines() if line.strip()]
    question = next((line[len("Query:") :].strip() for line in lines if line.startswith("Query:")), "the question")
    context = next((line for line in lines if line.startswith(("Paul", "In college", "He later", "Y Comb"))), "")
    return f"To '{question}': {context or 'the documents do not say.'}"


def multiply(a: float, b: float) -> float:
    """Multiply two numbers."""
    return a * b


def founding_year(company: str) -> int:
    """The year a company was founded (only a few are known)."""
    years = {"viaweb": 1995, "y combinator": 2005}
    if company.lower() not in years:
        raise LookupError(f"no founding year known for {company!r}")
    return years[company.lower()]


def run(store: str) -> list[str]:
    """Runs both scenarios with one tracer, each flushed as its own session; returns their names."""
    tracer = Tracer(project="llamaindex_demo", tags=["demo"], store=store, prices=PRICES)
    saved: tuple[Any, ...] = (Settings._callback_manager, Settings._embed_model)
    Settings.callback_manager = CallbackManager([tracer])
    Settings.embed_model = MockEmbedding(embed_dim=8)
    tracer.instrument()
    try:
        # 1. RAG: retrieve from a small vector index, synthesize with a scripted model.
        index = VectorStoreIndex.from_documents([Document(text=text) for text in DOCUMENTS])
        engine = index.as_query_engine(llm=ScriptedLLM(script=[cite], model="scripted-rag"), similarity_top_k=2)
        for question in QUESTIONS:
            engine.query(question)
        streaming = index.as_query_engine(llm=ScriptedLLM(script=[cite]), similarity_top_k=1, streaming=True)
        streamed = streaming.query("When was Y Combinator started?")
        assert isinstance(streamed, StreamingResponse), streamed  # streaming=True answers with a stream
        streamed.get_response()  # the stream, read to its end
        tracer.flush_tracker(engine, name="rag")

        # 2. An agent: a scripted function-calling model calls real tools, one of them failing.
        tools = [
            QueryEngineTool.from_defaults(
                index.as_query_engine(llm=ScriptedLLM(script=[cite])),
                name="search_biography",
                description="Answers questions about the author's life from his biography.",
            ),
            FunctionTool.from_defaults(multiply),
            FunctionTool.from_defaults(founding_year),
        ]
        llm = ScriptedLLM(
            model="scripted-agent",
            script=[
                ToolCall("search_biography", {"input": "What company did he co-found?"}),
                [ToolCall("founding_year", {"company": "Viaweb"}), ToolCall("founding_year", {"company": "Yahoo"})],
                ToolCall("multiply", {"a": 2, "b": 1995}),
                "He co-founded Viaweb in 1995 (Yahoo's founding year is unknown to me); twice 1995 is 3990.",
            ],
        )
        agent = FunctionAgent(tools=tools, llm=llm, name="biographer", description="Answers biography questions.")
        asyncio.run(_ask(agent, "Which company did the author co-found, and what is twice its founding year?"))
        tracer.flush_tracker(agent, name="llamaindex_agent", finish=True)
    finally:
        tracer.uninstrument()
        Settings._callback_manager, Settings._embed_model = saved
    return ["rag", "llamaindex_agent"]


async def _ask(agent: FunctionAgent, question: str) -> Any:
    return await agent.run(question)


if __name__ == "__main__":
    print(run(sys.argv[1] if len(sys.argv) > 1 else "chaintracer.db"))
