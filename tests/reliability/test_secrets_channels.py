"""Secrets never leave the process, through any channel: store, W&B, OTLP, CLI, report, viewer, logs, experiments.

One traced program plants the corpus of ``secrets_corpus`` in every field a trace has (inputs,
outputs, names, tags, metadata, errors, tracebacks, tool arguments, session fields and config)
and sends the session to real offline W&B and to a real OTLP/HTTP receiver; then every byte
that left is searched for every needle.
"""

from __future__ import annotations

import json
import logging
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from langchain_core.tools import tool
from otlp_receiver import OtlpReceiver
from secrets_corpus import (
    KEYED,
    TEXTS,
    all_texts,
    bytes_on_disk,
    cli,
    leaks,
    planted_tracer_settings,
    run_planted_session,
    written,
)

from chaintracer import evaluate
from chaintracer.scorers import Score
from chaintracer.store import Store
from chaintracer.testing import walk
from chaintracer.viewer.server import ViewerServer
from langchain_tracer import Tracer

sys.path.insert(0, str(Path(__file__).parents[1] / "wandb"))

from runfile import finished_records
from wbenv import hermetic_wandb, offline_runs


def viewer_answers(store_path: str) -> str:
    """Every viewer API answer about the store's sessions, traces, searches and experiments, over HTTP."""
    store = Store(store_path, create=False)
    server = ViewerServer(store, "127.0.0.1", 0)
    server.start_background()
    base = server.url.rstrip("/")

    def get(path: str) -> str:
        try:
            with urllib.request.urlopen(base + path, timeout=30) as response:
                return response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{path}: {error.code} {error.read()[:300]!r}") from None

    try:
        answers = [get("/api/sessions"), get("/api/experiments")]
        for session in json.loads(answers[0])["sessions"]:
            sid = session["id"]
            answers += [get(f"/api/sessions/{sid}"), get(f"/api/sessions/{sid}/charts")]
            page = get(f"/api/sessions/{sid}/traces?limit=500")
            answers.append(page)
            for number in range(1, json.loads(page)["total"] + 1):
                trace = get(f"/api/sessions/{sid}/traces/{number}")
                answers.append(trace)
                for span in walk(json.loads(trace)["tree"]):
                    for ref in (span.get("attributes") or {}).get("visualizations", {}).values():
                        answers.append(get(f"/api/sessions/{sid}/artifacts/{ref}"))
        ids = [session["id"] for session in json.loads(answers[0])["sessions"]]
        if len(ids) > 1:
            answers.append(get(f"/api/compare?ids={','.join(ids)}"))
        for experiment in json.loads(answers[1])["experiments"]:
            answers.append(get(f"/api/experiments/{experiment['id']}"))
        answers += [get("/api/search?q=api_key"), get("/api/search?q=Bearer"), get("/api/search?q=rejected")]
    finally:
        server.shutdown()
        server.server_close()
        store.close()
    return "\n".join(answers)


@tool
def fetch_account(account: str, api_key: str, note: str) -> str:
    """Looks up an account (a tool whose arguments carry secrets)."""
    return f"account {account} fetched with api_key={api_key}; {note}"


def run_tool(tracer: Tracer) -> None:
    """A tool call whose arguments and output carry secrets."""
    fetch_account.invoke(
        {"account": "acme", "api_key": KEYED["api_key"], "note": all_texts()}, config={"callbacks": [tracer]}
    )


@pytest.fixture
def nlp():
    """A blank English spaCy pipeline (no download): sentences and one entity pattern."""
    import spacy

    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    pipeline.add_pipe("entity_ruler").add_patterns([{"label": "ORG", "pattern": "Acme"}])
    return pipeline


@pytest.fixture
def otlp_receiver():
    """An OTLP/HTTP receiver on loopback for one test."""
    receiver = OtlpReceiver()
    yield receiver
    receiver.close()


def test_no_secret_leaves_through_wandb_otlp_cli_report_viewer_or_logs(
    tmp_path, monkeypatch, caplog, otlp_receiver, nlp
):
    """Planted everywhere, sent to offline W&B and an OTLP receiver: no needle in any byte any channel carries."""
    monkeypatch.delenv("CHAINTRACER_RAISE_INTERNAL_ERRORS")  # production behaviour: log, do not raise
    wandb_dir = hermetic_wandb(monkeypatch, tmp_path)
    store = str(tmp_path / "channels.db")
    tracer = Tracer(
        store=store,
        project="channels",
        backends=["local", "wandb", "otlp"],
        otlp_endpoint=otlp_receiver.url,
        complexity_metrics=True,
        visualize=True,
        nlp=nlp,
        **planted_tracer_settings(),
    )
    try:
        with caplog.at_level(logging.DEBUG):
            run_tool(tracer)
            info = run_planted_session(tracer)
            tracer.flush_tracker(name="finished", finish=True)
    finally:
        import wandb

        wandb.teardown()
    assert info.exports["wandb"]["status"] == "pushed", info.exports
    assert info.exports["otlp"]["status"] == "pushed", info.exports

    # The channels carried the session (so an empty channel cannot pass for a clean one).
    exported = cli("export", info.id, "--store", store)
    doc = json.loads(exported)
    tool_span = next(s for t in doc["traces"] for s in walk(t) if s["kind"] == "tool" and "fetch_account" in s["name"])
    assert "api_key=***" in json.dumps(tool_span["inputs"]) or tool_span["inputs"].get("api_key") == "***"
    records = [record for run_dir in offline_runs(wandb_dir) for record in finished_records(*run_dir.glob("*.wandb"))]
    assert any("fetch_account" in str(record) for record in records)
    received = otlp_receiver.spans()
    assert len(received) == sum(1 for t in doc["traces"] for _ in walk(t))
    report = tmp_path / "report.html"
    cli("report", info.id, "-o", str(report), "--store", store)

    channels = {
        "store and WAL": written(store),
        "W&B run folder (every file)": bytes_on_disk(wandb_dir),
        "W&B run records": "\n".join(str(record) for record in records),
        "OTLP requests (bytes)": b"\n".join(otlp_receiver.bodies),
        "OTLP requests (parsed)": "\n".join(str(request) for request in otlp_receiver.requests()),
        "chaintracer export": exported,
        "chaintracer show": cli("show", info.id, "--store", store, "--color", "never"),
        "chaintracer sessions": cli("sessions", "--json", "--store", store),
        "report": bytes_on_disk(report),
        "viewer API": viewer_answers(store),
        "log records": caplog.text,
    }
    found = {channel: leaks(data) for channel, data in channels.items()}
    assert found == {channel: [] for channel in channels}, sorted(channel for channel in found if found[channel])


def failing_target(inputs: dict, api_key: str = "") -> str:
    """A target that answers, or fails quoting secrets, depending on the question."""
    if inputs["question"].startswith("fail"):
        raise PermissionError(f"rejected {inputs['question']}: {all_texts()} key={api_key}")
    return f"answer with api_key={api_key} and {TEXTS[6].text}"


def leaky_judge(output: str, expected: str) -> Score:
    """A scorer whose reasoning quotes the secrets it saw."""
    return Score(0.5, reasoning=f"compared {output} to {expected}: {all_texts()}")


def crashing_scorer(output: str) -> float:
    """A scorer that fails quoting secrets."""
    raise ValueError(f"cannot score {output}: {all_texts()}")


def test_experiment_errors_scores_and_params_are_masked(tmp_path, monkeypatch):
    """An experiment whose params, examples, target errors and scorer errors and reasoning carry secrets stores none."""
    wandb_dir = hermetic_wandb(monkeypatch, tmp_path)
    store = str(tmp_path / "experiments.db")
    data = [
        {"id": f"ex {TEXTS[0].text}", "inputs": {"question": f"ask {TEXTS[1].text}", **KEYED}, "expected": all_texts()},
        {"id": 2, "inputs": {"question": f"fail {TEXTS[2].text}"}, "expected": TEXTS[3].text},
    ]
    try:
        experiment = evaluate(
            failing_target,
            data,
            scorers=[leaky_judge, crashing_scorer],
            variants={"baseline": {"api_key": KEYED["api_key"]}, f"v {TEXTS[0].text}": {"api_key": "none"}},
            name=f"leaky {TEXTS[5].text}",
            store=store,
            backends=["local", "wandb"],
            framework="none",
            progress=False,
        )
    finally:
        import wandb

        wandb.teardown()

    rows = Store(store, create=False)
    try:
        (stored,) = rows.experiments()
        assert stored["variants"]["baseline"] == {"api_key": "***"}
        runs = [run for session in experiment.sessions for run in rows.example_runs(session.id)]
        assert any(run["error"] and run["error"].startswith("PermissionError: rejected fail") for run in runs)
        scores = rows.annotations(experiment.sessions[0].id)["scores"]
        details = [detail for named in scores.values() for detail in named.values()]
        assert any(isinstance(d, dict) and "export OPENAI_API_KEY=***" in (d.get("reasoning") or "") for d in details)
        assert any(
            isinstance(d, dict) and (d.get("error") or "").startswith("ValueError: cannot score") for d in details
        )
    finally:
        rows.close()
    channels = {
        "store and WAL": written(store),
        "W&B run folders (every file)": bytes_on_disk(wandb_dir),
        "chaintracer experiments": cli("experiments", "--store", store),
        "chaintracer experiments --json": cli("experiments", "--json", "--store", store),
        "chaintracer compare": cli(
            "compare", experiment.sessions[0].id, experiment.sessions[1].id, "--json", "--store", store
        ),
        "viewer API": viewer_answers(store),
    }
    for session in experiment.sessions:
        channels[f"export {session.id[:8]}"] = cli("export", session.id, "--store", store)
    found = {channel: leaks(data) for channel, data in channels.items()}
    assert found == {channel: [] for channel in channels}, sorted(channel for channel in found if found[channel])
