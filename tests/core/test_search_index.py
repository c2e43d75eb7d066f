"""The full-text index built on write: what it reads from each stored tree."""

from __future__ import annotations

from chaintracer import Span, Tracer
from chaintracer.store import Store


def _search(path: str, text: str) -> list[tuple[str, str]]:
    store = Store(path, create=False)
    try:
        return sorted((hit["span_name"], hit["field"]) for hit in store.search(text)["hits"])
    finally:
        store.close()


def test_a_number_beyond_64_bits_is_found_by_all_its_digits(tmp_path):
    """An order id of 30 digits in an output is found by typing it (the index reads it exactly, not as a float)."""
    path = str(tmp_path / "traces.db")
    tracer = Tracer(project="search", store=path)
    span = Span("lookup", "tool")
    span.inputs = {"query": "order"}
    span.outputs = {"order_id": 123456789012345678901234567890, "ratio": 0.25}
    tracer.log_trace(span)
    tracer.flush_tracker(name="big-number", finish=True)
    assert _search(path, "123456789012345678901234567890") == [("lookup", "outputs")]
    assert _search(path, "order_id") == [("lookup", "outputs")]  # keys are words too


def test_words_in_strings_lists_and_nested_values_are_found(tmp_path):
    """Plain string payloads, list items and nested dict values of a child span are all searchable."""
    path = str(tmp_path / "traces.db")
    tracer = Tracer(project="search", store=path)
    root = Span("agent", "agent")
    root.inputs = "plain question about lisbon"
    child = Span("retrieve", "retriever")
    child.outputs = [{"text": "porto is north", "metadata": {"source": "atlas"}}, "faro"]
    root.add_child_span(child)
    tracer.log_trace(root)
    tracer.flush_tracker(name="words", finish=True)
    assert _search(path, "lisbon") == [("agent", "inputs")]
    assert _search(path, "porto atlas faro") == [("retrieve", "outputs")]
