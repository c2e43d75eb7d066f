"""The manual span API: code written for ``wandb.sdk.data_types.trace_tree`` switches by its import."""

from __future__ import annotations

import pytest

from chaintracer import Result, Span, SpanKind, StatusCode, Tracer
from chaintracer.testing import find, flushed, outline, walk

T0 = 1_700_000_000_000  # 2023-11-14T22:13:20Z, in milliseconds


def _quickstart_tree() -> Span:
    """The span tree of W&B's Prompts quickstart, written against the trace_tree API."""
    root = Span(name="Agent", span_kind=SpanKind.AGENT, start_time_ms=T0, end_time_ms=T0 + 900)
    root.add_named_result({"query": "What is 2 + 2?"}, {"response": "4"})

    chain = Span(name="Chain", span_kind=SpanKind.CHAIN, start_time_ms=T0 + 10, end_time_ms=T0 + 800)
    chain.add_named_result({"query": "What is 2 + 2?"}, {"response": "4"})

    llm = Span(
        name="OpenAI",
        span_kind=SpanKind.LLM,
        status_code=StatusCode.SUCCESS,
        status_message=None,
        attributes={"model_name": "gpt-3.5-turbo", "temperature": 0.7},
        start_time_ms=T0 + 20,
        end_time_ms=T0 + 520,
        results=[Result(inputs={"system_prompt": "You are a calculator", "query": "2 + 2"}, outputs={"text": "4"})],
    )
    llm.add_attribute("token_usage", {"total_tokens": 12})

    tool = Span(
        name="Calculator",
        span_kind=SpanKind.TOOL,
        status_code=StatusCode.ERROR,
        status_message="division by zero",
        start_time_ms=T0 + 600,
        end_time_ms=T0 + 700,
    )
    tool.add_named_result({"expression": "1/0"}, {})

    chain.add_child_span(llm)
    chain.add_child_span(tool)
    root.add_child_span(chain)
    return root


def test_quickstart_tree_is_stored_with_its_shape(store_path):
    """A W&B-style tree logged with `log_trace` is exported with the same nesting, kinds and statuses."""
    tracer = Tracer(store=store_path)
    tracer.log_trace(_quickstart_tree())
    doc = flushed(tracer, name="quickstart")

    assert len(doc["traces"]) == 1
    root = doc["traces"][0]
    assert outline(root) == (
        "agent",
        "Agent",
        "ok",
        [("chain", "Chain", "ok", [("llm", "OpenAI", "ok", []), ("tool", "Calculator", "error", [])])],
    )
    assert root["inputs"] == {"query": "What is 2 + 2?"}
    assert root["outputs"] == {"response": "4"}


def test_span_ids_link_children_to_parents(store_path):
    """Every exported child names its parent's span id and shares the root's trace id."""
    tracer = Tracer(store=store_path)
    tracer.log_trace(_quickstart_tree())
    root = flushed(tracer, name="ids")["traces"][0]

    assert root["parent_id"] is None
    ids = set()
    stack = [root]
    while stack:
        span = stack.pop()
        ids.add(span["span_id"])
        assert span["trace_id"] == root["trace_id"]
        for child in span["children"]:
            assert child["parent_id"] == span["span_id"]
            stack.append(child)
    assert len(ids) == 4


def test_results_attributes_and_errors_are_exported(store_path):
    """`results=[Result(...)]`, attributes and an error's status message reach the export."""
    tracer = Tracer(store=store_path)
    tracer.log_trace(_quickstart_tree())
    root = flushed(tracer, name="details")["traces"][0]

    (llm,) = find(root, name="OpenAI")
    assert llm["inputs"] == {"system_prompt": "You are a calculator", "query": "2 + 2"}
    assert llm["outputs"] == {"text": "4"}
    assert llm["attributes"]["model_name"] == "gpt-3.5-turbo"
    assert llm["attributes"]["temperature"] == 0.7
    assert llm["attributes"]["token_usage"] == {"total_tokens": 12}
    assert llm["error"] is None

    (tool,) = find(root, name="Calculator")
    assert tool["status"] == "error"
    assert tool["error"]["message"] == "division by zero"
    assert isinstance(tool["error"]["type"], str) and tool["error"]["type"]


def test_millisecond_times_are_kept(store_path):
    """`start_time_ms`/`end_time_ms` become ISO-8601 UTC start and end times of the exported span."""
    tracer = Tracer(store=store_path)
    tracer.log_trace(_quickstart_tree())
    root = flushed(tracer, name="times")["traces"][0]

    assert root["start_time"] == "2023-11-14T22:13:20.000000+00:00"
    assert root["end_time"] == "2023-11-14T22:13:20.900000+00:00"
    (llm,) = find(root, name="OpenAI")
    assert llm["start_time"] == "2023-11-14T22:13:20.020000+00:00"
    assert llm["end_time"] == "2023-11-14T22:13:20.520000+00:00"


def test_string_kinds_and_statuses_are_accepted():
    """W&B's upper-case strings ("LLM", "SUCCESS", "ERROR") and our lower-case ones are both accepted."""
    assert Span(name="a", span_kind="LLM").span_kind is SpanKind.LLM
    assert Span(name="b", span_kind="retriever").kind == "retriever"
    assert Span(name="c", status_code="SUCCESS").status == "ok"
    assert Span(name="d", status_code="ERROR").status == "error"
    assert Span(name="e", status_code=StatusCode.SUCCESS).status_code == StatusCode.OK
    span = Span(name="f")
    span.span_kind = SpanKind.TOOL
    span.status_code = "error"
    assert (span.kind, span.status) == ("tool", "error")
    assert str(SpanKind.CHAT_MODEL) == "chat_model"


def test_child_spans_argument_and_property():
    """`child_spans=[...]` nests spans like `add_child_span`, and `child_spans` lists them in order."""
    a, b = Span(name="a"), Span(name="b")
    root = Span(name="root", child_spans=[a, b])
    assert root.child_spans == [a, b]
    assert a.parent_id == root.span_id and b.parent_id == root.span_id
    assert a.trace_id == root.trace_id


def test_adding_a_subtree_retraces_it(store_path):
    """A subtree built first and attached later gets the new root's trace id on every span."""
    leaf = Span(name="leaf", span_kind="tool")
    middle = Span(name="middle")
    middle.add_child_span(leaf)
    root = Span(name="root", span_kind="agent")
    root.add_child_span(middle)

    tracer = Tracer(store=store_path)
    tracer.log_trace(root)
    exported = flushed(tracer, name="retrace")["traces"][0]
    assert {span["trace_id"] for span in walk(exported)} == {exported["span_id"]}
    assert outline(exported) == ("agent", "root", "ok", [("chain", "middle", "ok", [("tool", "leaf", "ok", [])])])


def test_add_named_result_twice_merges():
    """A second `add_named_result` adds its keys to the first call's inputs and outputs."""
    span = Span(name="s")
    span.add_named_result({"a": 1}, {"x": 1})
    span.add_named_result({"b": 2}, None)
    assert span.inputs == {"a": 1, "b": 2}
    assert span.outputs == {"x": 1}


def test_span_without_end_time_is_closed_by_log_trace(store_path):
    """A manual span logged without end times is stored as finished (`ok`), ending no earlier than it started."""
    root = Span(name="root", start_time_ms=T0)
    root.add_child_span(Span(name="child", start_time_ms=T0 + 5, end_time_ms=T0 + 50))
    tracer = Tracer(store=store_path)
    tracer.log_trace(root)
    exported = flushed(tracer, name="open-manual")["traces"][0]
    assert exported["status"] == "ok"
    assert exported["end_time"] >= exported["children"][0]["end_time"]


def test_children_are_exported_in_start_order(store_path):
    """Children added out of order are exported in start order, as the export contract requires."""
    root = Span(name="root", start_time_ms=T0, end_time_ms=T0 + 100)
    root.add_child_span(Span(name="second", start_time_ms=T0 + 50, end_time_ms=T0 + 60))
    root.add_child_span(Span(name="first", start_time_ms=T0 + 10, end_time_ms=T0 + 20))
    tracer = Tracer(store=store_path)
    tracer.log_trace(root)
    exported = flushed(tracer, name="order")["traces"][0]
    assert [child["name"] for child in exported["children"]] == ["first", "second"]


def test_success_status_message_is_not_an_error(store_path):
    """A successful span's `status_message` does not make its exported `error` non-null."""
    span = Span(name="fine", status_code=StatusCode.SUCCESS, status_message="all good")
    tracer = Tracer(store=store_path)
    tracer.log_trace(span)
    exported = flushed(tracer, name="ok-message")["traces"][0]
    assert exported["status"] == "ok"
    assert exported["error"] is None


# -- wrong arguments ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "named"),
    [
        (lambda: Span(name=123), TypeError, "123"),
        (lambda: Span(name="s", span_kind="banana"), ValueError, "banana"),
        (lambda: Span(name="s", status_code="weird"), ValueError, "weird"),
        (lambda: Span(name="s", attributes=["not", "a", "dict"]), TypeError, "attributes"),
        (lambda: Span(name="s").add_named_result("just text", {}), TypeError, "just text"),
        (lambda: Span(name="s").add_named_result({}, ["list"]), TypeError, "outputs"),
        (lambda: Span(name="s").add_child_span("child"), TypeError, "str"),
        (lambda: Span(name="s").add_attribute(42, "v"), TypeError, "42"),
    ],
)
def test_wrong_arguments_name_the_bad_value(make, error, named):
    """A wrong argument raises TypeError/ValueError whose message names the bad value or argument."""
    with pytest.raises(error, match=named):
        make()


def test_span_cannot_be_its_own_child():
    """Adding a span under itself raises ValueError naming the span."""
    span = Span(name="loop")
    with pytest.raises(ValueError, match="loop"):
        span.add_child_span(span)


def test_span_cannot_become_its_own_ancestor():
    """Adding a span under one of its own descendants raises ValueError instead of building a cycle."""
    parent, child = Span(name="parent"), Span(name="child")
    parent.add_child_span(child)
    with pytest.raises(ValueError, match="parent"):
        child.add_child_span(parent)


def test_log_trace_rejects_non_spans(store_path):
    """`log_trace` with something other than a Span raises TypeError naming what it got."""
    tracer = Tracer(store=store_path)
    with pytest.raises(TypeError, match="dict"):
        tracer.log_trace({"name": "root"})


@pytest.mark.parametrize("field", ["start_time_ms", "end_time_ms"])
def test_non_numeric_time_names_the_argument(field):
    """A non-numeric `start_time_ms`/`end_time_ms` raises TypeError/ValueError naming that argument."""
    with pytest.raises((TypeError, ValueError), match=field):
        Span(name="s", **{field: "1700000000000"})


def test_results_must_be_result_objects():
    """`results=` holding something other than Result objects raises TypeError/ValueError naming `results`."""
    with pytest.raises((TypeError, ValueError), match="results"):
        Span(name="s", results=[{"inputs": {"q": 1}, "outputs": {"a": 2}}])
