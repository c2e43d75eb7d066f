"""Sessions and `flush_tracker`: names, overrides, reset, finish, open spans, summaries, errors, memory."""

from __future__ import annotations

import gc
import json
import logging
import threading
import tracemalloc
import warnings

import pytest

from chaintracer import SessionInfo, Span, SpanKind, StatusCode, Store, Tracer
from chaintracer.export import export_session
from chaintracer.guard import guarded
from chaintracer.testing import find, outline

T0 = 1_700_000_000_000  # milliseconds


def _log(tracer: Tracer, name: str, latency_ms: int = 1, start_ms: int = T0) -> None:
    tracer.log_trace(Span(name=name, start_time_ms=start_ms, end_time_ms=start_ms + latency_ms))


def _export(tracer: Tracer, info: SessionInfo) -> dict:
    return export_session(tracer.store, info.id)


# -- names and overrides ------------------------------------------------------------------


def test_flush_returns_the_stored_session(store_path):
    """`flush_tracker(name=...)` writes the session under that name and returns its id, name, project and store."""
    tracer = Tracer(project="proj", store=store_path)
    _log(tracer, "t1")
    info = tracer.flush_tracker(name="first")

    assert isinstance(info, SessionInfo)
    assert (info.name, info.project) == ("first", "proj")
    assert str(info) == info.id
    assert info.store == store_path
    assert info.summary["traces"] == 1
    stored = Store(store_path).session("first")
    assert stored["id"] == info.id and stored["project"] == "proj"


def test_session_names_default_to_the_tracer_name_then_are_distinct(store_path):
    """Without `name=`, a flush uses the tracer's `name`; a tracer without one gives each session its own name."""
    named = Tracer(name="nightly", store=store_path)
    assert named.flush_tracker().name == "nightly"
    assert named.flush_tracker(name="explicit").name == "explicit"

    unnamed = Tracer(store=store_path)
    first, second = unnamed.flush_tracker(), unnamed.flush_tracker()
    assert first.name and second.name and first.name != second.name


def test_run_overrides_replace_fields_and_extend_config(store_path):
    """Overrides tags/group/job_type/notes replace the flushed session's fields; other keys are added to config."""
    tracer = Tracer(project="p", tags=["base"], group="g0", job_type="j0", notes="n0", store=store_path)
    _log(tracer, "t")
    info = tracer.flush_tracker(
        name="overridden", tags=["x", "y"], group="g1", job_type="eval", notes="changed", temperature=0.2, seed=7
    )
    session = _export(tracer, info)["session"]

    assert session["tags"] == ["x", "y"]
    assert (session["group"], session["job_type"], session["notes"]) == ("g1", "eval", "changed")
    assert session["config"]["temperature"] == 0.2
    assert session["config"]["seed"] == 7
    assert session["config"]["project"] == "p"  # tracer settings stay in config
    assert "temperature" not in session and "seed" not in session


def test_run_overrides_apply_to_the_flushed_session_only(store_path):
    """After a flush with overrides, the next session starts again from the tracer's own settings."""
    tracer = Tracer(tags=["base"], group="g0", store=store_path)
    _log(tracer, "a")
    tracer.flush_tracker(name="one", tags=["special"], group="g1", temperature=0.9)
    _log(tracer, "b")
    session = _export(tracer, tracer.flush_tracker(name="two"))["session"]
    assert session["tags"] == ["base"]
    assert session["group"] == "g0"
    assert "temperature" not in session["config"]


def test_run_overrides_with_non_json_values_export_as_strict_json(store_path):
    """Override values such as NaN or infinity are stored so that the export is still strict JSON."""
    tracer = Tracer(store=store_path)
    _log(tracer, "t")
    info = tracer.flush_tracker(name="floats", temperature=float("nan"), budget=float("inf"))
    document = _export(tracer, info)
    json.dumps(document, allow_nan=False)
    assert document["session"]["config"]["temperature"] is not None


@pytest.mark.parametrize(
    ("kwargs", "error", "named"),
    [
        ({"name": ""}, ValueError, "name"),
        ({"name": 5}, (TypeError, ValueError), "5"),
        ({"reset": "yes"}, TypeError, "yes"),
        ({"finish": 1}, TypeError, "finish"),
        ({"tags": "solo"}, TypeError, "solo"),
        ({"group": 3}, TypeError, "group"),
    ],
)
def test_bad_flush_arguments_name_the_value(store_path, kwargs, error, named):
    """A wrong `flush_tracker` argument raises TypeError/ValueError naming it, and the session is kept."""
    tracer = Tracer(store=store_path)
    _log(tracer, "kept")
    with pytest.raises(error, match=named):
        tracer.flush_tracker(**kwargs)
    info = tracer.flush_tracker(name="after")
    assert info.summary["traces"] == 1


# -- reset and finish -----------------------------------------------------------------------


def test_reset_starts_a_fresh_session_with_the_same_settings(store_path):
    """`reset=True` gives later traces a new session id that keeps the tracer's project, tags and group."""
    tracer = Tracer(project="p", tags=["t"], group="g", store=store_path)
    first_id = tracer.session_id
    _log(tracer, "before")
    first = tracer.flush_tracker(name="first")
    assert first.id == first_id
    assert tracer.session_id != first_id

    _log(tracer, "after")
    second = tracer.flush_tracker(name="second")
    assert second.id != first.id
    one, two = _export(tracer, first), _export(tracer, second)
    assert [t["name"] for t in one["traces"]] == ["before"]
    assert [t["name"] for t in two["traces"]] == ["after"]
    for session in (one["session"], two["session"]):
        assert (session["project"], session["tags"], session["group"]) == ("p", ["t"], "g")


def test_reset_false_keeps_recording_into_the_same_session(store_path):
    """With `reset=False` later traces join the same session, and the next flush stores it with all its traces."""
    tracer = Tracer(store=store_path)
    _log(tracer, "first", latency_ms=10)
    first = tracer.flush_tracker(name="growing", reset=False)
    assert tracer.session_id == first.id

    _log(tracer, "second", latency_ms=20, start_ms=T0 + 100)
    second = tracer.flush_tracker(name="growing", reset=False)
    assert second.id == first.id
    document = _export(tracer, second)
    assert [t["name"] for t in document["traces"]] == ["first", "second"]
    assert document["session"]["summary"]["traces"] == 2
    assert document["session"]["summary"]["spans"] == 2
    assert len(Store(store_path).sessions()) == 1


def test_finish_ends_the_tracer_and_warns_once(store_path):
    """After `finish=True`, events, `log_trace` and flushes do nothing and warn once with a RuntimeWarning."""
    tracer = Tracer(store=store_path)
    _log(tracer, "last")
    info = tracer.flush_tracker(name="final", reset=False, finish=True)
    assert info.summary["traces"] == 1
    assert tracer.finished

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _log(tracer, "late")
        assert tracer.flush_tracker(name="ignored") is None
        tracer.recorder.start("late-run", None, "chain", "late")
        tracer.recorder.end("late-run")
        _log(tracer, "later")
        assert tracer.flush_tracker() is None
    runtime = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(runtime) == 1, [str(w.message) for w in caught]
    assert "finish" in str(runtime[0].message)
    assert [s["name"] for s in Store(store_path).sessions()] == ["final"]


# -- open spans ---------------------------------------------------------------------------------


def test_open_spans_are_closed_as_incomplete_at_flush(store_path):
    """Spans still open at flush are stored as `incomplete` (finished children keep `ok`) and counted."""
    tracer = Tracer(store=store_path)
    rec = tracer.recorder
    rec.start("root", None, "agent", "agent")
    rec.start("llm", "root", "llm", "model")
    rec.end("llm", outputs="partial")
    rec.start("stream", "root", "chat_model", "stream")
    info = tracer.flush_tracker(name="abandoned")
    root = _export(tracer, info)["traces"][0]

    assert outline(root) == (
        "agent",
        "agent",
        "incomplete",
        [("llm", "model", "ok", []), ("chat_model", "stream", "incomplete", [])],
    )
    assert root["error"] is None
    assert root["end_time"] >= root["start_time"]
    assert info.summary["spans"] == 3
    assert info.summary["incomplete"] == 2


def test_late_events_after_flush_do_not_leak_into_the_next_session(store_path):
    """An end or failure arriving after its span was closed at flush changes nothing in the next session."""
    tracer = Tracer(store=store_path)
    tracer.recorder.start("slow", None, "chain", "slow")
    tracer.flush_tracker(name="cut")
    assert tracer.recorder.end("slow", outputs="too late") is None
    assert tracer.recorder.fail("slow", RuntimeError("too late")) is None
    info = tracer.flush_tracker(name="next")
    assert info.summary["traces"] == 0
    assert _export(tracer, info)["traces"] == []


def test_unknown_parent_starts_a_new_trace(store_path):
    """A span whose parent id is unknown becomes the root of its own trace instead of being dropped."""
    tracer = Tracer(store=store_path)
    tracer.recorder.start("orphan", "never-started", "tool", "orphan")
    tracer.recorder.end("orphan")
    traces = _export(tracer, tracer.flush_tracker(name="orphans"))["traces"]
    assert [(t["name"], t["parent_id"]) for t in traces] == [("orphan", None)]


# -- summary -----------------------------------------------------------------------------------


def _counted_session(tracer: Tracer) -> None:
    # Trace 1 (manual): agent > chain > [llm, chat_model, tool ok, tool error].
    root = Span(name="agent", span_kind=SpanKind.AGENT, start_time_ms=T0, end_time_ms=T0 + 100)
    chain = Span(name="plan", span_kind=SpanKind.CHAIN, start_time_ms=T0 + 1, end_time_ms=T0 + 90)
    llm = Span(name="llm", span_kind=SpanKind.LLM, start_time_ms=T0 + 2, end_time_ms=T0 + 20)
    llm.add_attribute("tokens", {"prompt": 10, "completion": 5, "total": 15})
    chat = Span(name="chat", span_kind="chat_model", start_time_ms=T0 + 21, end_time_ms=T0 + 40)
    chat.add_attribute("tokens", {"prompt": 1, "completion": 2, "total": 3})
    calc = Span(name="calc", span_kind=SpanKind.TOOL, start_time_ms=T0 + 41, end_time_ms=T0 + 50)
    search = Span(
        name="search",
        span_kind=SpanKind.TOOL,
        status_code=StatusCode.ERROR,
        status_message="offline",
        start_time_ms=T0 + 51,
        end_time_ms=T0 + 60,
    )
    for child in (llm, chat, calc, search):
        chain.add_child_span(child)
    root.add_child_span(chain)
    tracer.log_trace(root)
    # Trace 2 (recorder): chain > retriever, the chain fails.
    tracer.recorder.start("c", None, "chain", "rag")
    tracer.recorder.start("r", "c", "retriever", "docs")
    tracer.recorder.end("r", outputs=["doc"])
    tracer.recorder.fail("c", RuntimeError("no answer"))


def test_summary_counts_spans_by_kind_and_outcome(store_path):
    """The session summary counts traces, spans, errors, model and tool calls, tokens, and starts/ends per kind."""
    tracer = Tracer(store=store_path)
    _counted_session(tracer)
    info = tracer.flush_tracker(name="counted")
    summary = info.summary

    expected = {
        "traces": 2,
        "spans": 8,
        "errors": 2,
        "llm_calls": 2,
        "tool_calls": 2,
        "starts": 8,
        "ends": 6,
        "agent_starts": 1,
        "agent_ends": 1,
        "chain_starts": 2,
        "chain_ends": 1,
        "llm_starts": 2,
        "llm_ends": 2,
        "tool_starts": 2,
        "tool_ends": 1,
    }
    assert {key: summary.get(key) for key in expected} == expected
    assert summary["tokens"] == {"prompt": 11, "completion": 7, "total": 18}
    # What the store returns is the same summary.
    assert _export(tracer, info)["session"]["summary"] == json.loads(json.dumps(summary))


def test_summary_latency_percentiles(store_path):
    """Summary `latency_ms` gives the median (p50), p95 and max of the traces' durations."""
    tracer = Tracer(store=store_path)
    for index, latency in enumerate([30, 10, 50, 20, 40]):
        _log(tracer, f"odd{index}", latency_ms=latency, start_ms=T0 + 1000 * index)
    odd = tracer.flush_tracker(name="odd").summary["latency_ms"]
    assert odd == {"p50": 30.0, "p95": 50.0, "max": 50.0}

    for index in range(10):
        _log(tracer, f"even{index}", latency_ms=10 * (index + 1), start_ms=T0 + 1000 * index)
    even = tracer.flush_tracker(name="even").summary["latency_ms"]
    # Nearest rank gives 50, linear interpolation 55: anything else is not a median of 10..100.
    assert 50.0 <= even["p50"] <= 55.0, even
    assert 95.0 <= even["p95"] <= 100.0, even
    assert even["max"] == 100.0


def test_empty_session_has_a_zero_summary(store_path):
    """Flushing with nothing recorded stores an empty session with zero counts and no latency."""
    tracer = Tracer(store=store_path)
    info = tracer.flush_tracker(name="empty")
    assert (info.summary["traces"], info.summary["spans"], info.summary["errors"]) == (0, 0, 0)
    assert info.summary["tokens"] == {"prompt": 0, "completion": 0, "total": 0}
    assert info.summary["latency_ms"]["p50"] is None
    assert _export(tracer, info)["traces"] == []


def test_traces_from_many_threads_all_arrive(store_path):
    """Traces logged from several threads at once all reach the flushed session, each intact."""
    tracer = Tracer(store=store_path)

    def work(worker: int) -> None:
        for index in range(50):
            root = Span(name=f"w{worker}-{index}")
            root.add_child_span(Span(name="child", span_kind="tool"))
            tracer.log_trace(root)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    info = tracer.flush_tracker(name="threads")
    traces = _export(tracer, info)["traces"]
    assert info.summary["traces"] == 400 and info.summary["spans"] == 800
    assert len({t["name"] for t in traces}) == 400
    assert all(len(find(t, name="child")) == 1 for t in traces)


# -- internal errors ---------------------------------------------------------------------------


class _FlakyTracer(Tracer):
    """An integration whose callback has a bug."""

    @guarded
    def on_custom_event(self, payload):
        raise KeyError(payload)


def test_internal_errors_are_swallowed_and_counted(store_path, monkeypatch, caplog):
    """Outside the test kit a failing guarded callback returns normally, is logged once and counted as tracer_errors."""
    monkeypatch.delenv("CHAINTRACER_RAISE_INTERNAL_ERRORS", raising=False)
    tracer = _FlakyTracer(store=store_path)
    with caplog.at_level(logging.WARNING, logger="chaintracer"):
        for index in range(3):
            assert tracer.on_custom_event(f"event-{index}") is None
    _log(tracer, "still traced")
    info = tracer.flush_tracker(name="flaky")

    warnings_logged = [r for r in caplog.records if r.name == "chaintracer" and r.levelno >= logging.WARNING]
    assert len(warnings_logged) == 1
    assert "on_custom_event" in warnings_logged[0].getMessage()
    assert info.summary["tracer_errors"] == 3
    assert info.summary["traces"] == 1
    assert _export(tracer, info)["session"]["summary"]["tracer_errors"] == 3
    assert tracer.flush_tracker(name="clean").summary["tracer_errors"] == 0


def test_internal_errors_raise_under_the_test_kit(store_path, monkeypatch):
    """With CHAINTRACER_RAISE_INTERNAL_ERRORS=1 a failing guarded callback raises, so bugs fail tests."""
    monkeypatch.setenv("CHAINTRACER_RAISE_INTERNAL_ERRORS", "1")
    tracer = _FlakyTracer(store=store_path)
    with pytest.raises(KeyError, match="boom"):
        tracer.on_custom_event("boom")


# -- memory ------------------------------------------------------------------------------------


@pytest.mark.parametrize("reset", [True, False])
def test_flushed_traces_are_released(store_path, reset):
    """Once a session is flushed the tracer no longer holds its traces' payloads in memory."""
    tracer = Tracer(store=store_path, max_payload_bytes=1_000_000)
    _log(tracer, "warm-up")  # starts the worker and opens the store before measuring
    tracer.flush_tracker(name="warm-up", reset=reset)
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        for index in range(20):
            span = Span(name=f"big-{index}")
            span.add_named_result({"text": f"{index}:" + "x" * 120_000}, {"ok": True})
            tracer.log_trace(span)
        del span
        info = tracer.flush_tracker(name="big", reset=reset)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert info.summary["traces"] >= 20
    # 20 traces x 120 KB = 2.4 MB passed through; at most one raw span may still be referenced.
    assert held < 1_000_000, f"{held} bytes still held after flush"
