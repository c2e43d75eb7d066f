"""Corpus, part two: tools, function calling, workflow agents, workflows, concurrency."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from li_corpus import PAGES, program
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent, ReActAgent
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.tools import FunctionTool, QueryEngineTool
from llama_index.core.workflow import Event, StartEvent, StopEvent, Workflow, WorkflowTimeoutError, step

from llamaindex_tracer.testing import ToolCall


def tools(run) -> list[FunctionTool]:
    """An adder and a lookup that fails, each counting its invocations."""

    def add(a: int, b: int) -> int:
        """Add two integers."""
        run.tool_called()
        return a + b

    def population(city: str) -> int:
        """Population of a city."""
        run.tool_called()
        raise KeyError(f"no data for {city}")

    return [FunctionTool.from_defaults(add), FunctionTool.from_defaults(population)]


# Source: https://developers.llamaindex.ai/python/framework/module_guides/deploying/agents/tools/index.md
# (FunctionTool converts any user-defined function into a tool; a tool implements __call__).
@program(f"{PAGES}/framework/module_guides/deploying/agents/tools/index.md")
async def function_tool_calls(run):
    add, _ = tools(run)
    assert add(a=1, b=2).content == "3"
    assert add.call(a=2, b=2).content == "4"
    assert (await add.acall(a=3, b=2)).content == "5"


# Source: https://developers.llamaindex.ai/python/framework/module_guides/deploying/agents/tools/index.md
# (predict_and_call: the LLM picks a tool and LlamaIndex calls it).
@program(f"{PAGES}/framework/module_guides/deploying/agents/tools/index.md")
def predict_and_call(run):
    llm = run.scripted(ToolCall("add", {"a": 2, "b": 3}))
    assert llm.predict_and_call(tools(run), "What is 2 + 3?").response == "5"


# Source: https://developers.llamaindex.ai/python/framework/module_guides/loading/ingestion_pipeline/index.md
# with the nodes it returns handed out by a FunctionTool (the tools page): nodes that still
# carry their embeddings end up in the tool's output text.
@program(f"{PAGES}/framework/module_guides/loading/ingestion_pipeline/index.md")
def ingested_nodes_as_tool_output(run):
    pipeline = IngestionPipeline(
        transformations=[SentenceSplitter(chunk_size=64, chunk_overlap=0), MockEmbedding(embed_dim=8)]
    )
    nodes = pipeline.run(documents=run.documents())

    def find_chunks(word: str) -> dict:
        """Chunks that mention a word."""
        run.tool_called()
        return {"word": word, "matches": [node for node in nodes if word in node.get_content()]}

    output = FunctionTool.from_defaults(find_chunks)(word="Alpha")
    assert "embedding=[0.5" in output.content  # LlamaIndex's own text holds the vector


# Source: https://developers.llamaindex.ai/python/framework/module_guides/deploying/agents/index.md
# (FunctionAgent with a calculator tool), with a second tool that fails.
@program(f"{PAGES}/framework/module_guides/deploying/agents/index.md")
async def function_agent_with_failing_tool(run):
    llm = run.scripted(ToolCall("add", {"a": 2, "b": 3}), ToolCall("population", {"city": "Atlantis"}), "It is 5.")
    agent = FunctionAgent(tools=tools(run), llm=llm, system_prompt="You can add numbers.", streaming=False)
    assert str(await agent.run("What is 2 + 3?")) == "It is 5."


# Source: https://developers.llamaindex.ai/python/framework/module_guides/deploying/agents/index.md (streaming)
@program(f"{PAGES}/framework/module_guides/deploying/agents/index.md")
async def function_agent_streaming(run):
    llm = run.scripted(ToolCall("add", {"a": 4, "b": 5}), "The sum is 9.")
    agent = FunctionAgent(tools=tools(run)[:1], llm=llm)
    handler = agent.run("What is 4 + 5?")
    async for _ in handler.stream_events():
        pass
    assert str(await handler) == "The sum is 9."


# Source: https://developers.llamaindex.ai/python/framework/understanding/putting_it_all_together/agents
# (ReActAgent for LLMs without function calling: the model writes Thought/Action/Answer).
@program(f"{PAGES}/framework/understanding/putting_it_all_together/agents")
async def react_agent(run):
    llm = run.scripted(
        'Thought: I need to add.\nAction: add\nAction Input: {"a": 2, "b": 3}',
        "Thought: I can answer without using any more tools.\nAnswer: 5",
        chat_mode=True,
    )
    agent = ReActAgent(tools=tools(run)[:1], llm=llm, streaming=False)
    assert str(await agent.run("What is 2 + 3?")) == "5"


# Source: https://developers.llamaindex.ai/python/framework/understanding/agent/multi_agent (AgentWorkflow hand-off)
@program(f"{PAGES}/framework/understanding/agent/multi_agent")
async def agent_workflow_handoff(run):
    llm = run.scripted(
        ToolCall("handoff", {"to_agent": "calculator", "reason": "needs arithmetic"}),
        ToolCall("add", {"a": 20, "b": 22}),
        "The answer is 42.",
    )
    writer = FunctionAgent(
        name="writer", description="Writes answers", llm=llm, tools=[], can_handoff_to=["calculator"], streaming=False
    )
    calculator = FunctionAgent(
        name="calculator", description="Adds numbers", llm=llm, tools=tools(run)[:1], streaming=False
    )
    workflow = AgentWorkflow(agents=[writer, calculator], root_agent="writer")
    assert str(await workflow.run(user_msg="What is 20 + 22?")) == "The answer is 42."
    run.tool_called()  # the hand-off tool AgentWorkflow gives each agent ran once


# Source: https://developers.llamaindex.ai/python/framework/understanding/putting_it_all_together/agents
# (query engines as tools of an agent).
@program(f"{PAGES}/framework/understanding/putting_it_all_together/agents")
async def agent_with_query_engine_tool(run):
    llm = run.scripted(ToolCall("letters", {"input": "What is beta?"}), "Beta is a particle.")
    tool = QueryEngineTool.from_defaults(
        run.index().as_query_engine(llm=run.scripted()), name="letters", description="Greek letters"
    )
    assert str(await FunctionAgent(tools=[tool], llm=llm, streaming=False).run("Tell me about beta")) == (
        "Beta is a particle."
    )
    run.tool_called()  # the query engine tool ran once


class Summarised(Event):
    text: str


class SummariseThenShout(Workflow):
    """Two steps: one calls the model, the next transforms its answer."""

    llm: object = None

    @step
    async def summarise(self, ev: StartEvent) -> Summarised:
        return Summarised(text=str(await self.llm.acomplete(ev.topic)))

    @step
    async def shout(self, ev: Summarised) -> StopEvent:
        return StopEvent(result=ev.text.upper())


# Source: https://developers.llamaindex.ai/python/examples/workflow/workflows_cookbook/index.md ("Workflow basics")
@program(f"{PAGES}/examples/workflow/workflows_cookbook/index.md")
async def workflow_with_model_step(run):
    workflow = SummariseThenShout(timeout=10, verbose=False)
    workflow.llm = run.scripted("llamas are great")
    assert await workflow.run(topic="llamas") == "LLAMAS ARE GREAT"


class SlowWorkflow(Workflow):
    @step
    async def think(self, ev: StartEvent) -> StopEvent:
        await asyncio.sleep(5)
        return StopEvent(result="too late")


# Source: https://developers.llamaindex.ai/python/examples/workflow/workflows_cookbook/index.md (timeout=...),
# with a step slower than the timeout.
@program(f"{PAGES}/examples/workflow/workflows_cookbook/index.md")
async def workflow_timeout(run):
    with pytest.raises(WorkflowTimeoutError):
        await SlowWorkflow(timeout=0.2).run()


# Source: https://developers.llamaindex.ai/python/framework/getting_started/async_python/index.md
# (run several operations at the same time): three queries gathered on one event loop.
@program(f"{PAGES}/framework/getting_started/async_python/index.md")
async def concurrent_async_queries(run):
    engine = run.index().as_query_engine(similarity_top_k=1)
    questions = ["What is alpha?", "What is beta?", "What is gamma?"]
    answers = await asyncio.gather(*(engine.aquery(q) for q in questions))
    assert [str(a) for a in answers] == [f"Answer to {q}" for q in questions]


# Source: https://developers.llamaindex.ai/python/framework/module_guides/deploying/query_engine/index.md,
# one query engine shared by three threads.
@program(f"{PAGES}/framework/module_guides/deploying/query_engine/index.md")
def concurrent_thread_queries(run):
    engine = run.index().as_query_engine(similarity_top_k=1)
    questions = ["What is alpha?", "What is beta?", "What is gamma?"]
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(engine.query, questions))
    assert [str(a) for a in answers] == [f"Answer to {q}" for q in questions]
