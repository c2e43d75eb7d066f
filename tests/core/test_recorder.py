"""The recorder's lifecycle rules: late children, event snapshots, explicit span scopes."""

from __future__ import annotations

import pytest

from chaintracer import Tracer
from chaintracer.export import export_session
from chaintracer.testing import find, outline


def _flush(tracer: Tracer, name: str = "case") -> dict:
    info = tracer.flush_tracker(name=name)
    return export_session(tracer.store, info.id)


def test_a_child_that_ends_after_its_root_keeps_its_end_and_output(store_path):
    """A branch finishing after the root failed (async parallel branches) is stored ok with its output."""
    tracer = Tracer(store=store_path)
    rec = tracer.recorder
    rec.start("root", None, "chain", "parallel")
    rec.start("fast", "root", "chain", "fails fast")
    rec.start("slow", "root", "chain", "finishes later")
    rec.fail("fast", ValueError("boom"))
    rec.fail("root", ValueError("boom"))
    assert tracer.force_flush(10)
    assert tracer.store.sessions() == []  # the trace waits for its open branch
    rec.end("slow", outputs={"answer": 42})

    (root,) = _flush(tracer)["traces"]
    assert outline(root) == (
        "chain",
        "parallel",
        "error",
        [("chain", "fails fast", "error", []), ("chain", "finishes later", "ok", [])],
    )
    assert find(root, name="finishes later")[0]["outputs"] == {"answer": 42}


def test_a_child_that_never_ends_is_closed_at_flush(store_path):
    """A finished root whose child never ends is stored at flush with the child incomplete."""
    tracer = Tracer(store=store_path)
    rec = tracer.recorder
    rec.start("root", None, "chain", "root")
    rec.start("orphan", "root", "tool", "never ends")
    rec.end("root", outputs="done")

    (root,) = _flush(tracer)["traces"]
    assert outline(root) == ("chain", "root", "ok", [("tool", "never ends", "incomplete", [])])
    assert root["outputs"] == "done"


def test_an_event_payload_is_a_snapshot_of_the_moment(store_path):
    """One dict updated and sent three times is stored three times with the value it had each time."""
    tracer = Tracer(store=store_path)
    rec = tracer.recorder
    rec.start("run", None, "chain", "progress")
    progress = {"step": 0, "done": []}
    for step in (1, 2, 3):
        progress["step"] = step
        progress["done"].append(step)
        rec.add_event("run", "progress", progress)
    rec.end("run")

    (root,) = _flush(tracer)["traces"]
    payloads = [event["payload"] for event in root["attributes"]["events"]]
    assert payloads == [{"step": 1, "done": [1]}, {"step": 2, "done": [1, 2]}, {"step": 3, "done": [1, 2, 3]}]


def test_runs_inside_a_span_block_nest_under_it(store_path):
    """Parentless runs started inside `tracer.span(...)` are children of that span; outside they are roots."""
    tracer = Tracer(store=store_path)
    rec = tracer.recorder
    with tracer.span("example", inputs={"q": "2+2?"}, attributes={"example": {"index": 0}}) as scope:
        rec.start("a", None, "chain", "first call")
        rec.end("a", outputs=4)
        with tracer.span("inner", kind="tool"):
            rec.start("b", None, "llm", "second call")
            rec.end("b")
        scope.set_outputs(4)
        scope.annotate("note", "grouped")
    rec.start("c", None, "chain", "outside")
    rec.end("c")

    traces = _flush(tracer)["traces"]
    assert [outline(t) for t in traces] == [
        (
            "chain",
            "example",
            "ok",
            [("chain", "first call", "ok", []), ("tool", "inner", "ok", [("llm", "second call", "ok", [])])],
        ),
        ("chain", "outside", "ok", []),
    ]
    assert traces[0]["inputs"] == {"q": "2+2?"} and traces[0]["outputs"] == 4
    assert traces[0]["attributes"] == {"example": {"index": 0}, "note": "grouped"}
    assert scope.trace_id == traces[0]["trace_id"]


def test_an_exception_in_a_span_block_fails_the_span_and_propagates(store_path):
    """The error of a `span` block is recorded on the span and raised to the caller unchanged."""
    tracer = Tracer(store=store_path)
    with pytest.raises(ZeroDivisionError), tracer.span("divide"):
        1 / 0  # noqa: B018

    (root,) = _flush(tracer)["traces"]
    assert (root["status"], root["error"]["type"]) == ("error", "ZeroDivisionError")


@pytest.mark.parametrize(
    ("name", "kind", "attributes", "error"),
    [("", "chain", None, ValueError), ("x", "gizmo", None, ValueError), ("x", "chain", ["a"], TypeError)],
)
def test_span_rejects_bad_arguments(store_path, name, kind, attributes, error):
    """`tracer.span` raises ValueError/TypeError naming a bad name, kind or attributes."""
    tracer = Tracer(store=store_path)
    with pytest.raises(error), tracer.span(name, kind=kind, attributes=attributes):
        pass
