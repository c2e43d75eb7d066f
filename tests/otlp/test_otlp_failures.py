"""A collector that is down, refuses or never answers loses nothing and delays the program boundedly."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading

import pytest
from otlp_helpers import expected_spans, langchain_agent, langchain_chain, received_spans

from chaintracer.cli import main as cli
from chaintracer.export import export_session
from langchain_tracer import Tracer

# A hang guard, not a speed check: with a 1 s OTLP timeout every call here returns in seconds.
HANG_GUARD_S = 120


def warnings_of(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


def test_collector_down_keeps_the_session_and_push_sends_it_later(phoenix, store_path, refused_endpoint, caplog):
    """Nothing listens: one warning with the retry command, the session stays stored and unpushed; push later works."""
    project = "down-then-up"
    tracer = Tracer(project=project, store=store_path, backends=["local", "otlp"], otlp_endpoint=refused_endpoint)
    langchain_agent(tracer)
    with caplog.at_level(logging.WARNING):
        info = tracer.flush_tracker(name="offline")

    (warning,) = warnings_of(caplog)
    assert f"chaintracer push {info.id} --to otlp" in warning
    assert refused_endpoint in warning
    assert info.exports["otlp"]["status"] == "failed"
    stored = tracer.store.session(info.id)
    assert stored["exports"]["otlp"]["status"] == "failed"
    document = export_session(tracer.store, info.id)
    assert sum(1 for _ in expected_spans(document)) == info.summary["spans"] > 0

    tracer.store.close()
    assert cli(["push", "--all", "--to", "otlp", "--endpoint", phoenix.url, "--store", store_path]) == 0
    expected = expected_spans(document)
    assert received_spans(phoenix.spans(project, len(expected))) == expected
    assert tracer.store.session(info.id)["exports"]["otlp"]["status"] == "pushed"


def test_push_to_a_refusing_collector_fails_and_says_so(store_path, refused_endpoint, capsys):
    """`push` to a collector that is down exits 1, reports the session failed and keeps it unpushed."""
    tracer = Tracer(project="p", store=store_path)
    langchain_chain(tracer)
    info = tracer.flush_tracker(name="s")
    tracer.store.close()

    assert cli(["push", info.id, "--to", "otlp", "--endpoint", refused_endpoint, "--store", store_path]) == 1
    assert "failed 1" in capsys.readouterr().err
    assert tracer.store.session(info.id)["exports"]["otlp"]["status"] == "failed"


def test_silent_collector_bounds_the_flush(store_path, silent_collector, caplog):
    """A collector that accepts and never answers: streaming gives up after one try, the flush after one timeout."""
    tracer = Tracer(
        project="silent",
        store=store_path,
        backends=["local", "otlp"],
        otlp_endpoint=silent_collector.url,
        stream_logs=True,
    )
    langchain_chain(tracer)
    langchain_agent(tracer)
    outcome = {}
    with caplog.at_level(logging.WARNING):
        flush = threading.Thread(target=lambda: outcome.update(info=tracer.flush_tracker(name="silent", finish=True)))
        flush.start()
        flush.join(HANG_GUARD_S)
    assert not flush.is_alive(), "flush_tracker hung on a collector that never answers"

    info = outcome["info"]
    assert info.exports["otlp"]["status"] == "failed"
    assert "timed out" in info.exports["otlp"]["error"].lower() or "timeout" in info.exports["otlp"]["error"].lower()
    assert len(warnings_of(caplog)) == 1
    # Four traces were streamed: one attempt, then they waited for the flush's one attempt.
    assert len(silent_collector.connections) <= 2
    assert len(export_session(tracer.store, info.id)["traces"]) == 4


def test_silent_collector_does_not_hold_the_program_at_exit(tmp_path, silent_collector):
    """A program that streams to a silent collector and exits without flushing is not held at exit."""
    script = textwrap.dedent(
        f"""
        from langchain_core.language_models import FakeListLLM
        from langchain_tracer import Tracer

        tracer = Tracer(project="exit", store={str(tmp_path / "store.db")!r}, backends=["local", "otlp"],
                        otlp_endpoint={silent_collector.url!r}, stream_logs=True)
        for _ in range(5):
            FakeListLLM(responses=["hi"]).invoke("hello", config={{"callbacks": [tracer]}})
        print("done")
        """
    )
    # The child inherits OTEL_EXPORTER_OTLP_TIMEOUT=1 from the fixture.
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=HANG_GUARD_S
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"


def test_missing_packages_name_the_extra(monkeypatch, store_path):
    """Without the OpenTelemetry packages, backends=["otlp"] fails at construction naming chaintracer[otlp]."""
    monkeypatch.delitem(sys.modules, "chaintracer.exporters.otlp", raising=False)
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    with pytest.raises(ImportError, match=r"pip install 'chaintracer\[otlp\]'"):
        Tracer(store=store_path, backends=["local", "otlp"])


def test_nothing_is_sent_before_the_flush_without_stream_logs(store_path, silent_collector):
    """Without stream_logs the collector hears nothing while the program runs: OTLP work waits for the flush."""
    tracer = Tracer(project="quiet", store=store_path, backends=["local", "otlp"], otlp_endpoint=silent_collector.url)
    langchain_chain(tracer)
    tracer.force_flush()
    assert silent_collector.connections == []
    tracer.flush_tracker(name="quiet")
    assert len(silent_collector.connections) == 1
