"""Every runnable LangChain can draw is drawn in the flushed session's model architecture."""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.chat_history import InMemoryChatMessageHistory
from langchain_core.language_models import FakeListLLM
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder, PromptTemplate
from langchain_core.runnables import (
    ConfigurableField,
    RunnableBranch,
    RunnableGenerator,
    RunnableParallel,
    RunnablePassthrough,
    RunnablePick,
    chain,
)
from langchain_core.runnables.history import RunnableWithMessageHistory
from lc_fakes import chat, reply

from chaintracer.testing import flushed
from demo.scripted import ScriptedChatModel, calculator

LLM = FakeListLLM(responses=["x"])


def _history() -> RunnableWithMessageHistory:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Be brief."), MessagesPlaceholder("history"), ("human", "{q}")]
    )
    return RunnableWithMessageHistory(
        prompt | chat(reply("a")),
        lambda session_id: InMemoryChatMessageHistory(),
        input_messages_key="q",
        history_messages_key="history",
    )


def _passthrough(items: Any) -> Any:
    yield from items


# name -> a function building the asset (some warn when built: not at collection time)
ASSETS = {
    "sequence": lambda: PromptTemplate.from_template("{a}") | LLM,
    "parallel": lambda: RunnableParallel(a=LLM, b=RunnablePassthrough()),
    "fallbacks": lambda: LLM.with_fallbacks([LLM]),
    "retry": lambda: (PromptTemplate.from_template("{a}") | LLM).with_retry(),
    "branch": lambda: RunnableBranch((lambda x: bool(x), LLM), LLM),
    "alternatives": lambda: LLM.configurable_alternatives(ConfigurableField(id="llm"), default_key="d", o=LLM),
    "configurable fields": lambda: LLM.configurable_fields(responses=ConfigurableField(id="r")),
    "generator": lambda: RunnableGenerator(_passthrough),
    "assign": lambda: RunnablePassthrough.assign(x=lambda d: 1),
    "@chain": lambda: chain(lambda x: x),
    "map": lambda: LLM.map(),
    "pick": lambda: RunnablePick("a"),
    "bound": lambda: LLM.bind(stop=["x"]),
    "agent": lambda: create_agent(ScriptedChatModel(), tools=[calculator]),
    "message history": _history,
}
# What LangChain itself needs to draw an asset (RunnableWithMessageHistory: a session id).
DRAW_CONFIG = {"message history": {"configurable": {"session_id": "s1"}}}


@pytest.mark.filterwarnings(
    "ignore:RunnableWithMessageHistory is deprecated", "ignore:The class `InMemoryChatMessageHistory` was deprecated"
)
@pytest.mark.parametrize("name", list(ASSETS))
def test_asset_is_drawn_as_langchain_draws_it(name, tracer):
    """The architecture's nodes and edges are LangChain's drawing of the asset, never an error node."""
    # https://python.langchain.com/docs/how_to/inspect/ ("How to inspect runnables": get_graph)
    asset = ASSETS[name]()
    drawn = asset.get_graph(config=DRAW_CONFIG.get(name))
    model = flushed(tracer, name, asset=asset)["session"]["model"]
    assert [node["name"] for node in model["nodes"]] == [node.name for node in drawn.nodes.values()]
    assert len(model["edges"]) == len(drawn.edges)
    assert not [node for node in model["nodes"] if "error" in node]
