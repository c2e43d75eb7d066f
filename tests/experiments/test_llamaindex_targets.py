"""evaluate() with real LlamaIndex targets: a query engine, a chat engine and a workflow agent."""

from __future__ import annotations

import llama_index.core
import pytest
from export_contract import validate_export
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import MessageRole
from llama_index.core.callbacks import CallbackManager
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.tools import FunctionTool

import chaintracer
from chaintracer import scorers
from chaintracer.export import export_session
from chaintracer.spantree import walk
from llamaindex_tracer.testing import ScriptedLLM, ToolCall

GREEK = [
    {"inputs": {"question": "Which letter comes first?"}, "expected": "Alpha", "id": "first"},
    {"inputs": {"question": "Which letter comes second?"}, "expected": "Beta", "id": "second"},
]


@pytest.fixture(autouse=True)
def llama_settings():
    """LlamaIndex's process-wide settings, offline, restored after each test."""
    saved = (Settings._llm, Settings._embed_model, Settings._callback_manager, llama_index.core.global_handler)
    Settings.embed_model = MockEmbedding(embed_dim=8)
    Settings.callback_manager = CallbackManager([])
    yield
    Settings._llm, Settings._embed_model, Settings._callback_manager, llama_index.core.global_handler = saved


def answer_by_question(messages):
    """A scripted turn: "Alpha" when asked which letter comes first, else "Beta"."""
    question = " ".join(str(m.content) for m in messages if m.role == MessageRole.USER)
    return "Alpha" if "comes first" in question else "Beta"


def test_query_engines_as_whole_target_variants(store_path):
    """Two query engines as variants: each example is one trace with the engine's retrieval and model calls."""
    index = VectorStoreIndex.from_documents(
        [Document(text="Alpha is the first letter."), Document(text="Beta is the second letter.")]
    )
    good = index.as_query_engine(llm=ScriptedLLM(script=[answer_by_question]))
    stubborn = index.as_query_engine(llm=ScriptedLLM(script=["Alpha"]))
    exp = chaintracer.evaluate(
        good,
        GREEK,
        scorers=[scorers.exact_match, scorers.embedding_similarity(MockEmbedding(embed_dim=8))],
        variants={"good": good, "stubborn": stubborn},
        name="greek",
        store=store_path,
    )
    summary = exp.summary()
    assert summary["good"]["exact_match"]["mean"] == 1.0
    assert summary["stubborn"]["exact_match"]["mean"] == 0.5
    assert summary["good"]["embedding_similarity"]["mean"] == pytest.approx(1.0)
    document = export_session(chaintracer.Store(store_path), exp.sessions[0].id)
    assert validate_export(document) == []
    assert len(document["traces"]) == 2  # one trace per example, nothing else (scoring is not traced)
    root = document["traces"][0]
    kinds = {span["kind"] for span in walk(root)}
    assert {"retriever", "llm"} <= kinds or {"retriever", "chat_model"} <= kinds
    assert root["scores"]["exact_match"] is True
    assert document["session"]["config"]["experiment"]["variant"] == "good"


def test_llamaindex_targets_take_no_params(store_path):
    """A LlamaIndex engine given variant params is refused with the way to do it instead."""
    engine = SimpleChatEngine.from_defaults(llm=ScriptedLLM(script=["x"]))
    with pytest.raises(TypeError, match="give each variant as its own engine"):
        chaintracer.evaluate(engine, GREEK, variants={"hot": {"temperature": 1.0}}, store=store_path)


def test_chat_engine_starts_every_example_afresh(store_path):
    """A chat engine answers each example with an empty history (examples do not leak into each other)."""
    llm = ScriptedLLM(script=[lambda messages: f"{len(messages)} messages"])
    engine = SimpleChatEngine.from_defaults(llm=llm)
    exp = chaintracer.evaluate(engine, GREEK, scorers=[scorers.json_valid], name="chat", store=store_path)
    roots = export_session(chaintracer.Store(store_path), exp.sessions[0].id)["traces"]
    assert [scorers.as_text(root["outputs"]) for root in roots] == ["1 messages", "1 messages"]


def test_workflow_agent_calls_its_tool_inside_the_example_trace(store_path):
    """A FunctionAgent (instrumentation only) runs per example; its tool call nests in the example's trace."""

    def letter(position: int) -> str:
        """The Greek letter at a position."""
        return ["Alpha", "Beta"][position - 1]

    llm = ScriptedLLM(
        script=[ToolCall("letter", {"position": 1}), "Alpha", ToolCall("letter", {"position": 2}), "Beta"]
    )
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(letter)], llm=llm)
    exp = chaintracer.evaluate(agent, GREEK, scorers=[scorers.exact_match], name="agent", store=store_path)
    assert exp.summary()["default"]["exact_match"]["mean"] == 1.0
    document = export_session(chaintracer.Store(store_path), exp.sessions[0].id)
    assert validate_export(document) == []
    for root, expected in zip(document["traces"], ("Alpha", "Beta")):
        tools = [span for span in walk(root) if span["kind"] == "tool"]
        assert tools and expected in str(tools[0]["outputs"])
