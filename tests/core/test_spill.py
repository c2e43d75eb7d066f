"""Finished traces reach the store while the program runs: visible live, kept after a crash."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import chaintracer.writer
from chaintracer import Span, Store, Tracer
from chaintracer.export import export_session


def log(tracer: Tracer, name: str) -> None:
    span = Span(name, "chain")
    span.add_named_result({"q": name}, {"a": name.upper()})
    tracer.log_trace(span)


def test_running_session_is_visible_as_live_before_the_flush(store_path, monkeypatch):
    """A session still recording appears in the store, marked live, with its finished traces."""
    monkeypatch.setattr(chaintracer.writer, "SPILL_EVERY_S", 0.0)
    tracer = Tracer(project="spill", name="running", store=store_path)
    for index in range(3):
        log(tracer, f"t{index}")
    assert tracer.force_flush(10)

    (live,) = Store(store_path, create=False).sessions()
    assert (live["name"], live["status"], live["summary"]["traces"]) == ("running", "live", 3)
    assert [t["name"] for t in export_session(Store(store_path), live["id"])["traces"]] == ["t0", "t1", "t2"]

    log(tracer, "t3")
    info = tracer.flush_tracker(name="done")
    (final,) = Store(store_path).sessions()
    assert (final["id"], final["name"], final["status"]) == (info.id, "done", "flushed")
    assert [t["name"] for t in export_session(Store(store_path), info.id)["traces"]] == ["t0", "t1", "t2", "t3"]


def test_traces_survive_a_crash_before_the_flush(store_path):
    """A program killed before flush_tracker keeps every trace that finished before the last spill."""
    script = textwrap.dedent(
        f"""
        import os
        import chaintracer.writer
        chaintracer.writer.SPILL_EVERY_S = 0.0
        from chaintracer import Span, Tracer
        tracer = Tracer(project="crash", store={store_path!r})
        for index in range(5):
            span = Span(f"step{{index}}", "tool")
            tracer.log_trace(span)
        tracer.force_flush(10)
        os._exit(1)  # no flush, no atexit: a crash
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    (session,) = Store(store_path, create=False).sessions()
    assert session["status"] == "crashed"  # stored "live", but its process is gone
    assert sorted(t["name"] for t in export_session(Store(store_path), session["id"])["traces"]) == [
        f"step{i}" for i in range(5)
    ]


def test_every_trace_is_stored_once_across_spills_and_flushes(store_path, monkeypatch):
    """Spills, a reset=False flush and a final flush store each trace exactly once, in start order."""
    monkeypatch.setattr(chaintracer.writer, "SPILL_EVERY_TRACES", 2)
    tracer = Tracer(project="spill", store=store_path)
    for index in range(5):
        log(tracer, f"a{index}")
    first = tracer.flush_tracker(name="long", reset=False)
    for index in range(5):
        log(tracer, f"b{index}")
    second = tracer.flush_tracker(name="long")
    log(tracer, "next")
    third = tracer.flush_tracker(name="next")

    assert first.id == second.id != third.id
    names = [t["name"] for t in export_session(Store(store_path), second.id)["traces"]]
    assert names == [f"a{i}" for i in range(5)] + [f"b{i}" for i in range(5)]
    assert second.summary["traces"] == 10
    assert [t["name"] for t in export_session(Store(store_path), third.id)["traces"]] == ["next"]
