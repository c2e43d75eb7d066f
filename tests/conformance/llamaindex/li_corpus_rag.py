"""Corpus, part one: query and chat engines, indexes, ingestion, structured output, rerankers."""

from __future__ import annotations

import json

import pytest
from li_corpus import PAGES, program
from llama_index.core import Document, SummaryIndex, TreeIndex
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.llms import ChatMessage
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.postprocessor import LLMRerank
from llama_index.core.postprocessor.structured_llm_rerank import StructuredLLMRerank
from llama_index.core.prompts import PromptTemplate
from llama_index.core.query_engine import RetrieverQueryEngine, RouterQueryEngine, SubQuestionQueryEngine
from llama_index.core.question_gen import LLMQuestionGenerator
from llama_index.core.selectors import LLMSingleSelector
from llama_index.core.tools import QueryEngineTool
from pydantic import BaseModel

from llamaindex_tracer.testing import ToolCall, echo


# Source: https://developers.llamaindex.ai/python/framework/module_guides/deploying/query_engine/index.md
@program(f"{PAGES}/framework/module_guides/deploying/query_engine/index.md")
def rag_query(run):
    engine = run.index().as_query_engine(similarity_top_k=2)
    assert str(engine.query("What are gamma rays?")) == "Answer to What are gamma rays?"


# Source: https://developers.llamaindex.ai/python/framework/getting_started/async_python/index.md
@program(f"{PAGES}/framework/getting_started/async_python/index.md")
async def rag_aquery(run):
    engine = run.index().as_query_engine(similarity_top_k=2)
    assert str(await engine.aquery("What is beta?")) == "Answer to What is beta?"


# Source: https://developers.llamaindex.ai/python/framework/module_guides/deploying/query_engine/index.md
# ("To stream response": query_engine = index.as_query_engine(streaming=True))
@program(f"{PAGES}/framework/module_guides/deploying/query_engine/index.md")
def rag_streaming(run):
    engine = run.index().as_query_engine(streaming=True, similarity_top_k=2)
    assert run.drain(engine.query("What is alpha?")) == "Answer to What is alpha?"


# Source: https://developers.llamaindex.ai/python/framework/getting_started/async_python/index.md, with
# streaming=True: aquery returns an AsyncStreamingResponse.
@program(f"{PAGES}/framework/getting_started/async_python/index.md")
async def rag_async_streaming(run):
    engine = run.index().as_query_engine(streaming=True, similarity_top_k=2)
    assert await run.adrain(await engine.aquery("What is gamma?")) == "Answer to What is gamma?"


# Source: https://developers.llamaindex.ai/python/framework/module_guides/deploying/query_engine/index.md
# (response_mode="tree_summarize" over a summary index)
@program(f"{PAGES}/framework/module_guides/deploying/query_engine/index.md")
def summary_index_tree_summarize(run):
    engine = SummaryIndex.from_documents(run.documents()).as_query_engine(response_mode="tree_summarize")
    assert str(engine.query("Summarise the letters")) == "Answer to Summarise the letters"


# Source: https://developers.llamaindex.ai/python/framework/module_guides/deploying/chat_engines/usage_pattern
# (streaming chat: chat_engine.stream_chat(...) and its response_gen)
@program(f"{PAGES}/framework/module_guides/deploying/chat_engines/usage_pattern")
def chat_context_streaming(run):
    chat = run.index().as_chat_engine(chat_mode="context")
    response = chat.stream_chat("What is alpha?")
    assert "".join(response.response_gen) == "Answer to What is alpha?"


# Source: https://developers.llamaindex.ai/python/framework/module_guides/deploying/chat_engines/usage_pattern
# (chat_mode="context": retrieve for every message, then answer with the context)
@program(f"{PAGES}/framework/module_guides/deploying/chat_engines/usage_pattern")
def chat_context(run):
    chat = run.index().as_chat_engine(chat_mode="context")
    chat.chat("What is alpha?")
    assert str(chat.chat("And beta?")) == "Answer to And beta?"


# Source: https://developers.llamaindex.ai/python/framework-api-reference/chat_engines/context
# (CondensePlusContextChatEngine: condense the conversation, retrieve, answer) — three turns.
@program(f"{PAGES}/framework-api-reference/chat_engines/context")
def chat_condense_plus_context(run):
    chat = run.index().as_chat_engine(chat_mode="condense_plus_context")
    for question in ("What is alpha?", "And beta?", "Which one is a particle?"):
        chat.chat(question)
    assert len(chat.chat_history) == 6


# Source: https://developers.llamaindex.ai/python/examples/chat_engine/chat_engine_condense_question/index.md
@program(f"{PAGES}/examples/chat_engine/chat_engine_condense_question/index.md")
def chat_condense_question(run):
    chat = run.index().as_chat_engine(chat_mode="condense_question")
    chat.chat("What is gamma?")
    chat.chat("Is it energetic?")


# Source: https://developers.llamaindex.ai/python/framework/module_guides/deploying/chat_engines/usage_pattern
# (SimpleChatEngine: chat with the LLM, no data), with the documented CustomLLM as the model.
@program(f"{PAGES}/framework/module_guides/models/llms/usage_custom/index.md")
def chat_simple_custom_llm(run):
    chat = SimpleChatEngine.from_defaults(llm=run.custom())
    chat.chat("Tell me a joke.")
    assert str(chat.chat("Another one.")).startswith("Echo:")


# Source: https://developers.llamaindex.ai/python/framework-api-reference/llms/custom_llm
# (CustomLLM.chat builds a prompt and calls complete; stream_chat calls stream_complete)
@program(f"{PAGES}/framework-api-reference/llms/custom_llm")
def custom_llm_chat_calls_complete(run):
    llm = run.custom()
    assert llm.chat([ChatMessage(role="user", content="hi")]).message.content.startswith("Echo:")
    assert "".join(chunk.delta for chunk in llm.stream_chat([ChatMessage(role="user", content="yo")]))


# Source: https://developers.llamaindex.ai/python/examples/cookbooks/oreilly_course_cookbooks/module-6/router_and_subquestion_queryengine/index.md
@program(f"{PAGES}/examples/cookbooks/oreilly_course_cookbooks/module-6/router_and_subquestion_queryengine/index.md")
def sub_question_engine(run):
    questions = [
        {"sub_question": "What is alpha?", "tool_name": "letters"},
        {"sub_question": "What is beta?", "tool_name": "letters"},
    ]
    llm = run.scripted(f"```json\n{json.dumps(questions)}\n```", echo())
    tool = QueryEngineTool.from_defaults(
        run.index().as_query_engine(llm=llm), name="letters", description="Facts about Greek letters"
    )
    engine = SubQuestionQueryEngine.from_defaults(
        query_engine_tools=[tool], question_gen=LLMQuestionGenerator.from_defaults(llm=llm), llm=llm, use_async=False
    )
    engine.query("Compare alpha and beta")


# Source: https://developers.llamaindex.ai/python/examples/query_engine/routerqueryengine
@program(f"{PAGES}/examples/query_engine/routerqueryengine")
def router_query_engine(run):
    llm = run.scripted('[{"choice": 2, "reason": "a specific fact"}]', echo())
    documents = run.documents()
    summary = QueryEngineTool.from_defaults(
        SummaryIndex.from_documents(documents).as_query_engine(llm=llm), description="Summaries of all letters"
    )
    vector = QueryEngineTool.from_defaults(
        run.index().as_query_engine(llm=llm), description="Specific facts about one letter"
    )
    engine = RouterQueryEngine(selector=LLMSingleSelector.from_defaults(llm=llm), query_engine_tools=[summary, vector])
    assert str(engine.query("What is gamma?")) == "Answer to What is gamma?"


def _tree_turn(messages):
    text = str(messages[-1].content or "")
    return "ANSWER: 1" if "ANSWER:" in text else "A short summary of Greek letters."


# Source: https://developers.llamaindex.ai/python/framework/module_guides/indexing/index_guide ("Tree Index")
@program(f"{PAGES}/framework/module_guides/indexing/index_guide")
def tree_index_build_and_query(run):
    llm = run.scripted(_tree_turn)
    documents = [Document(text=f"{text} " * 30) for text in [*(d.text for d in run.documents())]]
    index = TreeIndex.from_documents(documents, llm=llm, num_children=2)
    index.as_query_engine(llm=llm).query("Which letter is first?")


# Source: https://developers.llamaindex.ai/python/framework/module_guides/loading/ingestion_pipeline/index.md
@program(f"{PAGES}/framework/module_guides/loading/ingestion_pipeline/index.md")
def ingestion_pipeline(run):
    pipeline = IngestionPipeline(
        transformations=[SentenceSplitter(chunk_size=64, chunk_overlap=0), MockEmbedding(embed_dim=8)]
    )
    nodes = pipeline.run(documents=run.documents())
    assert len(nodes) == 3 and all(len(node.embedding) == 8 for node in nodes)


class LineItem(BaseModel):
    """A line item in an invoice."""

    item_name: str
    price: float


class Invoice(BaseModel):
    """A representation of information from an invoice."""

    invoice_id: str
    line_items: list[LineItem]


INVOICE = {"invoice_id": "Uber-2024-10-10", "line_items": [{"item_name": "Trip fare", "price": 12.18}]}


# Source: https://developers.llamaindex.ai/python/framework/understanding/extraction/structured_llms
@program(f"{PAGES}/framework/understanding/extraction/structured_llms")
def structured_llm_complete(run):
    llm = run.scripted(ToolCall("Invoice", INVOICE))
    response = llm.as_structured_llm(Invoice).complete("Uber receipt: trip fare 12.18, Oct 10 2024")
    assert Invoice.model_validate_json(response.text).invoice_id == "Uber-2024-10-10"
    run.tool_called()  # the output class, called once as a tool (FunctionCallingProgram)


# Source: https://developers.llamaindex.ai/python/framework/understanding/extraction/structured_prediction
@program(f"{PAGES}/framework/understanding/extraction/structured_prediction")
def structured_predict(run):
    llm = run.scripted(ToolCall("Invoice", INVOICE))
    prompt = PromptTemplate("Extract an invoice from the following text ({company_name}): {text}")
    invoice = llm.structured_predict(Invoice, prompt, text="trip fare 12.18", company_name="Uber")
    assert invoice.line_items[0].price == 12.18
    run.tool_called()  # the output class, called once as a tool


# Source: https://developers.llamaindex.ai/python/framework-api-reference/postprocessor/keyword (LLMRerank)
@program(f"{PAGES}/framework-api-reference/postprocessor/keyword")
def llm_rerank(run):
    reranker = LLMRerank(llm=run.scripted("Doc: 1, Relevance: 9\nDoc: 3, Relevance: 7"), top_n=2, choice_batch_size=5)
    engine = run.index().as_query_engine(similarity_top_k=3, node_postprocessors=[reranker])
    assert len(engine.query("Which letter is energetic?").source_nodes) == 2


# Source: https://developers.llamaindex.ai/python/framework/module_guides/models/rerankers/index.md
@program(f"{PAGES}/framework/module_guides/models/rerankers/index.md")
def structured_llm_rerank(run):
    ranking = {"documents": [{"document_number": 2, "relevance": 9}, {"document_number": 1, "relevance": 4}]}
    reranker = StructuredLLMRerank(llm=run.scripted(ToolCall("DocumentRelevanceList", ranking)), top_n=2)
    engine = run.index().as_query_engine(similarity_top_k=3, node_postprocessors=[reranker])
    assert len(engine.query("Which letter is a particle?").source_nodes) == 2
    run.tool_called()  # the ranking's output class, called once as a tool


class UnreachableStore(BaseRetriever):
    """A retriever whose vector store is down."""

    def _retrieve(self, query_bundle):
        raise ConnectionError("vector store unreachable")


# Source: https://developers.llamaindex.ai/python/framework/module_guides/querying/retriever/index.md
# (a retriever "can also be defined independently"), failing.
@program(f"{PAGES}/framework/module_guides/querying/retriever/index.md")
def retriever_error(run):
    engine = RetrieverQueryEngine.from_args(UnreachableStore())
    with pytest.raises(ConnectionError):
        engine.query("anything")


# Source: https://developers.llamaindex.ai/python/framework/module_guides/deploying/query_engine/index.md, with a
# model that fails.
@program(f"{PAGES}/framework/module_guides/deploying/query_engine/index.md")
def llm_error(run):
    engine = run.index().as_query_engine(llm=run.scripted(RuntimeError("model overloaded")))
    with pytest.raises(RuntimeError, match="model overloaded"):
        engine.query("What is alpha?")
