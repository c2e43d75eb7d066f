"""One error path: internal errors in background threads are counted and kept, never fatal to the tracer."""

from __future__ import annotations

import pytest

from chaintracer import Span, Tracer
from chaintracer.adapter import ManualAdapter
from chaintracer.export import export_session


class _BrokenModelTexts(ManualAdapter):
    """An integration whose model-text reader has a bug (it runs in the encoding worker)."""

    def model_texts(self, span):
        if span.name == "bad":
            raise KeyError("model_texts bug")
        return super().model_texts(span)


def _model_trace(name: str) -> Span:
    span = Span(name=name, span_kind="llm")
    span.add_named_result({"prompt": "Say something long enough."}, {"text": "Here is a sentence to score."})
    return span


def test_a_background_error_under_the_test_kit_is_raised_from_the_flush(store_path, monkeypatch):
    """Under the test kit an encoder bug does not kill the worker: the flush stores the session, then raises it."""
    monkeypatch.setenv("CHAINTRACER_RAISE_INTERNAL_ERRORS", "1")
    tracer = Tracer(store=store_path, complexity_metrics=True, adapter=_BrokenModelTexts())
    tracer.log_trace(_model_trace("bad"))
    for index in range(3):
        tracer.log_trace(_model_trace(f"good{index}"))

    with pytest.raises(KeyError, match="model_texts bug"):
        tracer.flush_tracker(name="raised")
    (session,) = tracer.store.sessions()
    document = export_session(tracer.store, session["id"])
    assert sorted(t["name"] for t in document["traces"]) == ["bad", "good0", "good1", "good2"]
    # The worker survived: the next session is encoded and stored normally.
    tracer.log_trace(_model_trace("after"))
    info = tracer.flush_tracker(name="next")
    assert info.summary["traces"] == 1 and info.summary["tracer_errors"] == 0


def test_a_background_error_outside_tests_keeps_the_trace_and_counts_it(store_path, monkeypatch):
    """Outside the test kit the trace that failed to encode is kept as a described error, counted once."""
    monkeypatch.delenv("CHAINTRACER_RAISE_INTERNAL_ERRORS", raising=False)
    tracer = Tracer(store=store_path, complexity_metrics=True, adapter=_BrokenModelTexts())
    tracer.log_trace(_model_trace("bad"))
    tracer.log_trace(_model_trace("good"))
    info = tracer.flush_tracker(name="counted")

    assert info.summary["tracer_errors"] == 1
    traces = {t["name"]: t for t in export_session(tracer.store, info.id)["traces"]}
    assert set(traces) == {"bad", "good"}
    assert traces["bad"]["status"] == "error"
    assert traces["bad"]["error"]["type"] == "EncodingError"
    assert traces["good"]["status"] == "ok" and traces["good"]["metrics"]
