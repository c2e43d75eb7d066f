"""Agents and tools (``create_agent``, tool loops, artifacts), traced as LangChain's own tracer records them."""

from __future__ import annotations

import random

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import wrap_tool_call
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from lc_fakes import call, chat, reply, vector_store

from chaintracer.spantree import find
from demo.scripted import ScriptedChatModel, calculator, lookup

AGENT = ("agent",)  # create_agent's graph: the one run chaintracer reports as an agent


def _ask(question: str) -> dict:
    return {"messages": [{"role": "user", "content": question}]}


def test_agent_with_a_failing_tool(conformance):
    """``create_agent`` whose tool raises: the error runs up from the tool to the agent."""
    # https://docs.langchain.com/oss/python/langchain/agents ("Tools")
    agent = create_agent(ScriptedChatModel(), tools=[calculator, lookup], system_prompt="Use tools.", name="agent")
    with pytest.raises(ValueError, match="no fact about"):
        agent.invoke(_ask("What is the distance to the moon?"), config=conformance.config)
    conformance.check(traces=1, agents=AGENT)


def test_agent_handles_tool_errors_with_middleware(conformance):
    """A ``wrap_tool_call`` middleware turns the tool's error into a message; the agent answers."""

    # https://docs.langchain.com/oss/python/langchain/agents ("Tool error handling")
    @wrap_tool_call
    def handle_tool_errors(request, handler):
        try:
            return handler(request)
        except Exception as e:
            return ToolMessage(
                content=f"Tool error: Please check your input and try again. ({e})",
                tool_call_id=request.tool_call["id"],
            )

    agent = create_agent(ScriptedChatModel(), tools=[lookup], middleware=[handle_tool_errors], name="agent")
    result = agent.invoke(_ask("What is the distance to the moon?"), config=conformance.config)
    assert result["messages"][-1].content.startswith("The answer is Tool error")
    doc = conformance.check(traces=1, agents=AGENT)
    (failed,) = find(doc["traces"][0], kind="tool")
    assert failed["status"] == "error" and doc["traces"][0]["status"] == "ok"


def test_agent_with_parallel_tool_calls(conformance):
    """Two tool calls in one model turn: two tool runs, each counted once, tokens summed."""
    # https://docs.langchain.com/oss/python/langchain/agents ("ReAct loop": parallel tool calls)
    model = chat(
        reply(
            tool_calls=[
                call("calculator", {"expression": "2 + 2"}, "c1"),
                call("lookup", {"topic": "capital of france"}, "c2"),
            ],
            prompt_tokens=12,
        ),
        reply("4, and Paris.", prompt_tokens=30),
    )
    agent = create_agent(model, tools=[calculator, lookup], name="agent")
    agent.invoke(_ask("What is 2 + 2, and the capital of France?"), config=conformance.config)
    doc = conformance.check(traces=1, agents=AGENT)
    assert doc["session"]["summary"]["tool_calls"] == 2
    assert doc["session"]["summary"]["tokens"] == {"prompt": 42, "completion": 9, "total": 51}


async def test_async_agent(conformance):
    """``ainvoke`` of an unnamed agent traces like ``invoke``; its root is still an agent."""
    # https://docs.langchain.com/oss/python/langchain/agents ("Invocation")
    agent = create_agent(ScriptedChatModel(), tools=[calculator])
    result = await agent.ainvoke(_ask("What is 6 * 7?"), config=conformance.config)
    assert result["messages"][-1].content == "The answer is 42."
    conformance.check(traces=1, agents=("LangGraph",))


@tool(response_format="content_and_artifact")
def generate_random_ints(min: int, max: int, size: int) -> tuple[str, list[int]]:
    """Generate size random ints in the range [min, max]."""
    array = [random.randint(min, max) for _ in range(size)]
    content = f"Successfully generated array of {size} random ints in [{min}, {max}]."
    return content, array


def test_tool_artifact_is_kept(conformance):
    """A ``content_and_artifact`` tool invoked with a ToolCall keeps its artifact on the stored message."""
    # https://python.langchain.com/docs/how_to/tool_artifacts/
    message = generate_random_ints.invoke(
        {"name": "generate_random_ints", "args": {"min": 0, "max": 9, "size": 10}, "id": "123", "type": "tool_call"},
        config=conformance.config,
    )
    doc = conformance.check(traces=1)
    (span,) = doc["traces"]
    assert span["outputs"]["artifact"] == message.artifact
    assert span["outputs"]["content"] == message.content


def test_rag_agent_retrieval_tool_sources(conformance):
    """The RAG agent's ``retrieve_context`` tool: the Documents it returns as artifact are stored as sources."""
    # https://docs.langchain.com/oss/python/langchain/rag ("RAG agents")
    store = vector_store()

    @tool(response_format="content_and_artifact")
    def retrieve_context(query: str) -> tuple[str, list]:
        """Retrieve information to help answer a query."""
        retrieved_docs = store.similarity_search(query, k=2)
        serialized = "\n\n".join(f"Source: {doc.metadata}\nContent: {doc.page_content}" for doc in retrieved_docs)
        return serialized, retrieved_docs

    model = chat(
        reply(tool_calls=[call("retrieve_context", {"query": "task decomposition"}, "r1")]),
        reply("It breaks tasks into steps."),
    )
    agent = create_agent(model, tools=[retrieve_context], name="agent")
    agent.invoke(_ask("What is task decomposition?"), config=conformance.config)
    doc = conformance.check(traces=1, agents=AGENT)
    (span,) = find(doc["traces"][0], kind="tool")
    sources = span["outputs"]["artifact"]
    assert len(sources) == 2 and all({"page_content", "metadata"} <= set(source) for source in sources)


def test_tool_calling_loop_by_hand(conformance):
    """The documented loop: model with tools, each tool invoked with its ToolCall, model again."""
    # https://python.langchain.com/docs/how_to/tool_results_pass_to_model/
    model = chat(
        reply(
            tool_calls=[
                call("calculator", {"expression": "3 * 12"}, "c1"),
                call("calculator", {"expression": "11 + 49"}, "c2"),
            ]
        ),
        reply("3 * 12 = 36 and 11 + 49 = 60."),
    )
    llm_with_tools = model.bind_tools([calculator])
    messages = [HumanMessage("What is 3 * 12? Also, what is 11 + 49?")]
    ai_msg = llm_with_tools.invoke(messages, config=conformance.config)
    messages.append(ai_msg)
    for tool_call in ai_msg.tool_calls:
        messages.append(calculator.invoke(tool_call, config=conformance.config))
    llm_with_tools.invoke(messages, config=conformance.config)
    conformance.check(traces=4)


def test_invalid_tool_calls_are_kept(conformance):
    """A model reply with a malformed tool call keeps it as ``invalid_tool_calls``."""
    # https://python.langchain.com/docs/how_to/tool_calling/ ("invalid_tool_calls")
    bad = {"name": "calculator", "args": '{"expression": "2 +', "id": "c9", "error": "Malformed args."}
    model = chat(reply(invalid_tool_calls=[bad]))
    model.bind_tools([calculator]).invoke("What is 2 + 2?", config=conformance.config)
    doc = conformance.check(traces=1)
    message = doc["traces"][0]["outputs"]["generations"][0][0]["message"]
    assert message["invalid_tool_calls"] == [{key: bad[key] for key in ("name", "args", "id", "error")}]


def test_model_response_metadata_is_kept(conformance):
    """The provider's finish reason and model name reach the stored message and the span."""
    # https://python.langchain.com/docs/how_to/response_metadata/
    chat(reply("Hello!", finish_reason="length")).invoke("Say hello", config=conformance.config)
    doc = conformance.check(traces=1)
    (span,) = doc["traces"]
    message = span["outputs"]["generations"][0][0]["message"]
    assert message["response_metadata"] == {"finish_reason": "length", "model_name": "fake-model-1"}
    assert span["attributes"]["response_model"] == "fake-model-1"
    assert span["attributes"]["finish_reason"] == "length"


def test_tool_receives_the_callers_config(conformance):
    """A model run with the config a tool received is a trace of its own, as LangChain records it."""

    # https://python.langchain.com/docs/how_to/tool_configure/
    @tool
    def summarize(text: str, config: RunnableConfig) -> str:
        """Summarize a text with a model."""
        return str(chat(reply("short")).invoke(f"Summarize: {text}", config=config).content)

    summarize.invoke({"text": "a long text"}, config=conformance.config)
    # LangChain passes the tool the caller's config, not a child config of the tool's run.
    conformance.check(traces=2)
