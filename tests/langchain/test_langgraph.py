"""A hand-built LangGraph StateGraph traces as graph -> node -> inner runs, by run id."""

from __future__ import annotations

from typing import TypedDict

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate
from langgraph.graph import END, START, StateGraph

from chaintracer.testing import find, flushed, outline
from langchain_tracer.testing import ScriptedLLM


class State(TypedDict, total=False):
    question: str
    draft: str
    answer: str


def build_graph():
    writer = (
        PromptTemplate.from_template("Answer: {question}") | ScriptedLLM(responses=["draft answer"]) | StrOutputParser()
    )

    def draft(state: State) -> State:
        return {"draft": writer.invoke({"question": state["question"]})}

    def review(state: State) -> State:
        return {"answer": state["draft"].upper()}

    graph = StateGraph(State)
    graph.add_node("draft", draft)
    graph.add_node("review", review)
    graph.add_edge(START, "draft")
    # The path map lets LangGraph draw the branch (it cannot read a bare lambda's targets).
    graph.add_conditional_edges("draft", lambda state: "review" if state["draft"] else END, ["review", END])
    graph.add_edge("review", END)
    return graph.compile(name="review_graph")


def test_state_graph_nodes_and_their_inner_chains_nest(tracer):
    """Each node nests under the graph, and the chain a node runs nests under that node."""
    graph = build_graph()
    assert graph.invoke({"question": "why?"}, config={"callbacks": [tracer]})["answer"] == "DRAFT ANSWER"
    (root,) = flushed(tracer)["traces"]
    shape = outline(root)
    assert shape[:3] == ("chain", "review_graph", "ok")
    node_names = [child[1] for child in shape[3]]
    assert node_names[0] == "draft" and "review" in node_names
    (llm,) = find(root, kind="llm")
    draft_node = next(child for child in root["children"] if child["name"] == "draft")
    sequence = next(child for child in draft_node["children"] if child["name"] == "RunnableSequence")
    assert llm["parent_id"] == sequence["span_id"]
    assert root["outputs"]["answer"] == "DRAFT ANSWER"


def test_graph_architecture_has_its_nodes_and_conditional_edge(tracer):
    """Flushing the compiled graph stores its nodes and marks the conditional edge."""
    graph = build_graph()
    graph.invoke({"question": "why?"}, config={"callbacks": [tracer]})
    tracer.flush_tracker(graph, name="graph")
    model = tracer.store.session("graph")["model"]
    assert model["type"] == "CompiledStateGraph" and model["name"] == "review_graph"
    assert {node["id"] for node in model["nodes"]} == {"__start__", "draft", "review", "__end__"}
    assert {"source": "draft", "target": "review", "conditional": True} in model["edges"]
