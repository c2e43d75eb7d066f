"""LangGraph graphs (subgraphs, interrupts, conditional loops), traced as LangChain's own tracer records them."""

# No "from __future__ import annotations": LangGraph reads the node functions' state annotations at run time.

import operator
from typing import Annotated, TypedDict

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt
from lc_fakes import chat, reply

from demo.scripted import ScriptedLLM


def test_subgraph_as_a_node(conformance):
    """A compiled subgraph added as a node nests its own nodes under that node."""

    # https://docs.langchain.com/oss/python/langgraph/use-subgraphs ("Add a graph as a node")
    class State(TypedDict):
        foo: str

    def subgraph_node_1(state: State) -> State:
        return {"foo": "hi! " + state["foo"]}

    subgraph_builder = StateGraph(State)
    subgraph_builder.add_node(subgraph_node_1)
    subgraph_builder.add_edge(START, "subgraph_node_1")
    subgraph = subgraph_builder.compile()

    builder = StateGraph(State)
    builder.add_node("node_1", subgraph)
    builder.add_edge(START, "node_1")
    graph = builder.compile()
    assert graph.invoke({"foo": "foo"}, config=conformance.config) == {"foo": "hi! foo"}
    conformance.check(traces=1)


def test_subgraph_invoked_from_a_node(conformance):
    """A node function that transforms its state and invokes a subgraph: the subgraph nests under the node."""

    # https://docs.langchain.com/oss/python/langgraph/use-subgraphs ("Invoke a graph from a node")
    class SubgraphState(TypedDict):
        bar: str

    def subgraph_node_1(state: SubgraphState) -> SubgraphState:
        writer = PromptTemplate.from_template("Say hi to {bar}") | ScriptedLLM(responses=["hi!"]) | StrOutputParser()
        return {"bar": writer.invoke({"bar": state["bar"]})}

    subgraph_builder = StateGraph(SubgraphState)
    subgraph_builder.add_node(subgraph_node_1)
    subgraph_builder.add_edge(START, "subgraph_node_1")
    subgraph = subgraph_builder.compile(name="greeter")

    class State(TypedDict):
        foo: str

    def call_subgraph(state: State) -> State:
        subgraph_output = subgraph.invoke({"bar": state["foo"]})
        return {"foo": subgraph_output["bar"]}

    builder = StateGraph(State)
    builder.add_node("node_1", call_subgraph)
    builder.add_edge(START, "node_1")
    graph = builder.compile()
    graph.invoke({"foo": "foo"}, config=conformance.config)
    conformance.check(traces=1)


def test_interrupt_and_resume(conformance):
    """An interrupted run and its ``Command(resume=...)`` are two traces, each as LangChain records it."""

    # https://docs.langchain.com/oss/python/langgraph/interrupts ("Pause using interrupt")
    class State(TypedDict):
        action: str
        approved: bool

    def approval_node(state: State) -> Command:
        approved = interrupt({"question": "Approve this action?", "details": state["action"]})
        return Command(goto="proceed" if approved else "cancel", update={"approved": approved})

    def proceed(state: State) -> State:
        return state

    def cancel(state: State) -> State:
        return state

    builder = StateGraph(State)
    builder.add_node("approval", approval_node, destinations=("proceed", "cancel"))
    builder.add_node("proceed", proceed)
    builder.add_node("cancel", cancel)
    builder.add_edge(START, "approval")
    builder.add_edge("proceed", END)
    builder.add_edge("cancel", END)
    graph = builder.compile(checkpointer=InMemorySaver())

    config = {"configurable": {"thread_id": "thread-1"}, **conformance.config}
    first = graph.invoke({"action": "Transfer $500", "approved": False}, config=config)
    assert first["__interrupt__"][0].value["question"] == "Approve this action?"
    assert graph.invoke(Command(resume=True), config=config)["approved"] is True
    conformance.check(traces=2)


def test_conditional_loop_with_a_reducer(conformance):
    """A graph that loops through a conditional edge: one node run per step, in order."""

    # https://docs.langchain.com/oss/python/langgraph/graph-api ("Conditional edges", "Reducers")
    class State(TypedDict):
        drafts: Annotated[list[str], operator.add]

    model = chat(reply("draft one"), reply("draft two"), reply("final draft"))

    def write(state: State) -> dict:
        return {"drafts": [str(model.invoke("write a better draft").content)]}

    def should_continue(state: State) -> str:
        return END if state["drafts"][-1].startswith("final") else "write"

    builder = StateGraph(State)
    builder.add_node("write", write)
    builder.add_edge(START, "write")
    builder.add_conditional_edges("write", should_continue, ["write", END])
    graph = builder.compile(name="drafting")
    assert len(graph.invoke({"drafts": []}, config=conformance.config)["drafts"]) == 3
    doc = conformance.check(traces=1)
    assert doc["session"]["summary"]["tokens"]["prompt"] == 30


def test_graph_stream_updates(conformance):
    """``stream(stream_mode="updates")`` of a two-node graph is one trace like ``invoke``."""

    # https://docs.langchain.com/oss/python/langgraph/streaming ("Stream graph state")
    class State(TypedDict):
        topic: str
        joke: str

    def refine_topic(state: State) -> dict:
        return {"topic": state["topic"] + " and cats"}

    def generate_joke(state: State) -> dict:
        return {"joke": f"This is a joke about {state['topic']}"}

    graph = (
        StateGraph(State)
        .add_node(refine_topic)
        .add_node(generate_joke)
        .add_edge(START, "refine_topic")
        .add_edge("refine_topic", "generate_joke")
        .add_edge("generate_joke", END)
        .compile()
    )
    updates = list(graph.stream({"topic": "ice cream"}, stream_mode="updates", config=conformance.config))
    assert [next(iter(update)) for update in updates] == ["refine_topic", "generate_joke"]
    conformance.check(traces=1)
