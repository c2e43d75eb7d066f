"""The offline LlamaIndex demo scenarios trace into their own sessions."""

from __future__ import annotations

import pytest
from li_helpers import all_spans, of_kind

from chaintracer.export import export_session
from chaintracer.store import Store
from demo import llamaindex_scenarios

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # LlamaIndex's own, from workflows


def test_demo_writes_a_rag_and_an_agent_session(store_path):
    """run() flushes "rag" and "llamaindex_agent" into the store: queries with answers, an agent with tools."""
    assert llamaindex_scenarios.run(store_path) == ["rag", "llamaindex_agent"]
    store = Store(store_path)
    try:
        rag = export_session(store, "rag")
        agent = export_session(store, "llamaindex_agent")
    finally:
        store.close()

    assert rag["session"]["project"] == "llamaindex_demo"
    queries = [t for t in rag["traces"] if t["name"] == "RetrieverQueryEngine.query"]
    assert len(queries) == 3 and all(t["status"] == "ok" for t in queries)
    assert "growing up" in queries[0]["outputs"]["response"]
    assert queries[2]["outputs"]["response"].startswith("To 'When was Y Combinator started?'")  # the streamed one
    assert rag["session"]["model"]["retriever"]["params"]["top_k"] == 2
    assert rag["session"]["summary"]["tracer_errors"] == 0

    (trace,) = agent["traces"]
    assert trace["kind"] == "agent" and trace["status"] == "ok"
    tools = [(span["name"], span["status"]) for span in of_kind(all_spans(agent), "tool")]
    assert tools[0] == ("search_biography", "ok") and tools[-1] == ("multiply", "ok")
    assert sorted(tools[1:3]) == [("founding_year", "error"), ("founding_year", "ok")]  # called in parallel
    assert [tool["name"] for tool in agent["session"]["model"]["tools"]] == [
        "search_biography",
        "multiply",
        "founding_year",
    ]
    assert agent["session"]["summary"]["tracer_errors"] == 0
