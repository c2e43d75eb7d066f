"""Each flushed session becomes an offline W&B run with the Trace panel, tables, summary and model."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import wandb
from langchain.agents import create_agent
from runfile import logged_table, read_run

from chaintracer.encoding import EncodedTrace
from chaintracer.exporters.wandb_tree import model_dict
from chaintracer.session import Session
from chaintracer.settings import resolve
from chaintracer.spans import Span
from chaintracer.stats import TraceStats
from demo.scripted import ScriptedChatModel, calculator, lookup
from langchain_tracer import Tracer

QUESTIONS = ["What is 6 * 7?", "What is the capital of France?", "What is the moon?"]


def run_agent(tracer):
    agent = create_agent(ScriptedChatModel(), tools=[calculator, lookup], name="fact_agent")
    for question in QUESTIONS:
        # A failing tool ends that run with ValueError; the trace keeps the error.
        with contextlib.suppress(ValueError):
            agent.invoke({"messages": [{"role": "user", "content": question}]}, config={"callbacks": [tracer]})
    return agent


def table(run_dir: Path, key: str, history: list[dict]) -> dict:
    (row,) = [h for h in history if f"{key}/path" in h]
    return json.loads((run_dir / "files" / row[f"{key}/path"]).read_text())


def push_cli(store_path, *args):
    """``chaintracer push ARGS --store store_path`` in a subprocess."""
    command = [sys.executable, "-m", "chaintracer.cli", "push", *args, "--store", store_path]
    return subprocess.run(command, capture_output=True, text=True, env=os.environ.copy(), check=False)


def make_tracer(store_path, **kwargs):
    return Tracer(
        project="wb-tests",
        backends=["wandb"],
        store=store_path,
        tags=["t1"],
        group="g1",
        job_type="inference",
        notes="offline test",
        **kwargs,
    )


def test_flushed_session_is_an_offline_run_with_trace_trees(wandb_env, store_path, run_dirs):
    """The run carries the session's metadata, config, one trace tree per trace with W&B kinds."""
    tracer = make_tracer(store_path)
    agent = run_agent(tracer)
    assert run_dirs() == []  # nothing W&B happens on the hot path
    info = tracer.flush_tracker(agent, name="agent", temperature=0.2)

    assert info.exports["wandb"]["status"] == "pushed"
    assert info.exports["wandb"]["mode"] == "offline"
    (run_dir,) = run_dirs()
    run = read_run(run_dir)
    assert run["run"] == {
        "project": "wb-tests",
        "name": "agent",
        "tags": ["t1"],
        "group": "g1",
        "job_type": "inference",
        "notes": "offline test",
        "entity": "",
    }
    assert run["config"]["temperature"] == 0.2
    assert run["config"]["backends"] == ["local", "wandb"]
    assert run["config"]["asset"]["type"] == "CompiledStateGraph"

    trees = [h for h in run["history"] if h.get("trace/_type") == "wb_trace_tree"]
    assert len(trees) == 3
    roots = [json.loads(tree["trace/root_span_dumps"]) for tree in trees]
    assert [root["span_kind"] for root in roots] == ["AGENT"] * 3
    first = roots[0]
    assert [child["span_kind"] for child in first["child_spans"]] == ["CHAIN"] * 3
    assert first["child_spans"][0]["child_spans"][0]["span_kind"] == "LLM"
    assert first["child_spans"][1]["child_spans"][0]["span_kind"] == "TOOL"
    assert first["results"][0]["inputs"]["messages"][0]["content"] == "What is 6 * 7?"
    failed = roots[2]
    assert failed["status_code"] == "ERROR"
    assert failed["status_message"].startswith("ValueError: no fact about 'moon'")
    model = json.loads(trees[0]["trace/model_dict_dumps"])
    assert model == model_dict(tracer.store.session(info.id)["model"])


def test_run_has_the_tables_summary_and_model_artifact(wandb_env, store_path, run_dirs):
    """traces, action_records and session_analysis tables, summary metrics and a model artifact."""
    tracer = make_tracer(store_path)
    agent = run_agent(tracer)
    info = tracer.flush_tracker(agent, name="agent")
    (run_dir,) = run_dirs()
    run = read_run(run_dir)

    traces = table(run_dir, "traces", run["history"])
    assert traces["columns"] == [
        "name",
        "kind",
        "status",
        "error",
        "start_time",
        "latency_ms",
        "tokens",
        "input",
        "output",
    ]
    assert [row[2] for row in traces["data"]] == ["ok", "ok", "error"]
    assert all(row[6] > 0 for row in traces["data"])

    actions = table(run_dir, "action_records", run["history"])
    columns = actions["columns"]
    assert {"action", "step", "starts", "ends", "errors", "chain_starts", "llm_starts", "tool_ends"} <= set(columns)
    last = dict(zip(columns, actions["data"][-1]))
    summary = info.summary
    assert (last["starts"], last["ends"], last["errors"]) == (summary["starts"], summary["ends"], summary["errors"])
    assert last["step"] == len(actions["data"]) == 2 * summary["spans"]

    analysis = logged_table(run, "session_analysis")
    assert len(analysis["data"]) == summary["llm_calls"] == 5
    row = analysis["records"][0]
    assert row["model"] == "scripted-chat"
    assert row["token_usage_total_tokens"] == row["token_usage_prompt_tokens"] + row["token_usage_completion_tokens"]

    assert run["summary"]["trace_count"] == 3
    assert run["summary"]["errors"] == summary["errors"]
    assert run["summary"]["tokens"]["total"] == run["summary"]["tokens_total"] == summary["tokens"]["total"]
    assert run["summary"]["latency_p50_ms"] == summary["latency_ms"]["p50"]
    assert run["summary"]["latency_p95_ms"] == summary["latency_ms"]["p95"]

    (model_artifact,) = [a for a in run["artifacts"] if a["type"] == "model"]
    assert model_artifact["name"] == "fact_agent"  # named after the asset, not the session
    assert model_artifact["files"] == ["model.json"]
    assert model_artifact["metadata"] == tracer.store.session(info.id)["model"]


def test_reset_gives_a_run_per_session_and_reset_false_continues_it(wandb_env, store_path, run_dirs):
    """reset=True finishes the session's run; reset=False keeps logging the same session into it."""
    tracer = make_tracer(store_path)
    agent = run_agent(tracer)
    tracer.flush_tracker(agent, name="first")
    run_agent(tracer)
    tracer.flush_tracker(agent, name="second", reset=False)
    run_agent(tracer)
    tracer.flush_tracker(agent, name="second", finish=True)

    # Run folders made within one second sort by their random id: find them by run name.
    runs = {read_run(d)["run"]["name"]: read_run(d) for d in run_dirs()}
    assert sorted(runs) == ["first", "second"]
    history = runs["second"]["history"]
    assert sum(h.get("trace/_type") == "wb_trace_tree" for h in history) == 6
    stored = tracer.store.session("second")
    assert stored["summary"]["traces"] == 6
    assert len(tracer.store.trees(stored["id"])) == 6


def test_finishing_after_a_flush_makes_no_empty_run(wandb_env, store_path, run_dirs):
    """The old handler's ending (flush, then finish) gives one run: the empty session is not exported."""
    tracer = make_tracer(store_path)
    agent = run_agent(tracer)
    tracer.flush_tracker(agent, name="agent")
    info = tracer.flush_tracker(finish=True)

    assert info.exports["wandb"] == {"status": "skipped", "reason": "the session is empty"}
    assert [read_run(d)["run"]["name"] for d in run_dirs()] == ["agent"]
    assert tracer.store.session(info.id)["summary"]["traces"] == 0  # still kept locally

    # Pushing everything later skips it too (it is never recorded as pushed, so --all meets it).
    done = push_cli(store_path, "--all", "--to", "wandb")
    assert done.returncode == 0, done.stderr
    assert "skipped the session is empty" in done.stderr
    assert "pushed 0, skipped 2, failed 0" in done.stderr
    assert [read_run(d)["run"]["name"] for d in run_dirs()] == ["agent"]


def test_an_active_user_run_is_left_alone(wandb_env, store_path, run_dirs):
    """The user's own wandb.run stays the active run and is not finished by a flush."""
    user_run = wandb.init(project="mine", name="user-run", settings=wandb.Settings(silent=True, console="off"))
    try:
        tracer = make_tracer(store_path)
        agent = run_agent(tracer)
        tracer.flush_tracker(agent, name="agent")
        assert wandb.run is user_run
        user_run.log({"accuracy": 0.9})  # still usable
    finally:
        user_run.finish()
    names = sorted(read_run(d)["run"]["name"] for d in run_dirs())
    assert names == ["agent", "user-run"]
    user = next(read_run(d) for d in run_dirs() if read_run(d)["run"]["name"] == "user-run")
    assert not any("trace/_type" in h for h in user["history"])


def test_weave_is_disabled_once_at_construction_and_the_users_choice_wins(wandb_env, store_path, monkeypatch):
    """Building the tracer keeps Weave out (set on the caller's thread); flushing leaves the variable alone."""
    monkeypatch.delenv("WANDB_DISABLE_WEAVE", raising=False)
    tracer = make_tracer(store_path)
    assert os.environ["WANDB_DISABLE_WEAVE"] == "true"
    tracer.flush_tracker(run_agent(tracer), name="agent")  # wandb.init runs on the flushing thread
    assert os.environ["WANDB_DISABLE_WEAVE"] == "true"
    monkeypatch.setenv("WANDB_DISABLE_WEAVE", "false")
    make_tracer(store_path).flush_tracker(name="agent-2")
    assert os.environ["WANDB_DISABLE_WEAVE"] == "false"


def test_visualisations_are_cells_of_session_analysis(wandb_env, store_path, run_dirs):
    """A view a span references is an HTML cell of session_analysis, not a media key of its own."""
    html = "<div class='entities'>Paris <mark>GPE</mark></div>"
    settings = resolve(project="wb-tests", store=store_path, backends=["wandb"])
    session = Session(settings)
    span = Span("ChatModel", "chat_model")
    span.add_named_result({"prompt": "Where?"}, {"text": "Paris"})
    span.end()
    tree = {
        "span_id": span.span_id,
        "trace_id": span.span_id,
        "parent_id": None,
        "name": span.name,
        "kind": "chat_model",
        "status": "ok",
        "error": None,
        "start_time": "2026-01-01T00:00:00.000000+00:00",
        "end_time": "2026-01-01T00:00:01.000000+00:00",
        "inputs": {"prompt": "Where?"},
        "outputs": {"text": "Paris"},
        "attributes": {"visualizations": {"entities": "entities-abc.html"}},
        "metrics": {"flesch_reading_ease": 90.0},
        "children": [],
    }
    session.add(
        EncodedTrace(
            span.span_id,
            "ChatModel",
            "chat_model",
            "ok",
            span.start_ns,
            span.end_ns,
            "Where?",
            "Paris",
            TraceStats(spans=1),
            json.dumps(tree),
            {"entities-abc.html": ("text/html", html)},
        )
    )
    tracer = make_tracer(store_path)
    record = session.record("viz", {}, {}, None)
    tracer.store.write_session(record, session.pending())

    done = push_cli(store_path, "viz", "--to", "wandb")
    assert done.returncode == 0, done.stderr
    (run_dir,) = run_dirs()
    run = read_run(run_dir)
    (row,) = logged_table(run, "session_analysis")["records"]
    assert row["entities"] == {"html": html} and row["dependency_tree"] is None
    assert row["flesch_reading_ease"] == 90.0
    assert "Where?:" in row["chat_html"]["html"]  # no prompt_output view: the old prompt/answer card
    assert not [key for h in run["history"] for key in h if key.startswith("visualizations")]


def test_failed_export_keeps_the_session_and_push_sends_it_later(wandb_env, store_path, run_dirs, monkeypatch, caplog):
    """With W&B unreachable the flush warns once and continues; ``chaintracer push`` sends it later."""
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setenv("WANDB_API_KEY", "a" * 40)
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("CHAINTRACER_WANDB_INIT_TIMEOUT_S", "2")
    tracer = make_tracer(store_path)
    agent = run_agent(tracer)
    with caplog.at_level(logging.WARNING, logger="chaintracer"):
        info = tracer.flush_tracker(agent, name="agent")
    assert info.exports["wandb"]["status"] == "failed"
    assert sum("could not export session" in r.getMessage() for r in caplog.records) == 1
    stored = tracer.store.session("agent")
    assert stored["exports"]["wandb"]["status"] == "failed"
    assert len(tracer.store.trees(stored["id"])) == 3  # nothing lost

    env = {**os.environ, "WANDB_MODE": "offline"}
    env.pop("WANDB_API_KEY")
    push = [sys.executable, "-m", "chaintracer.cli", "push", "agent", "--to", "wandb", "--store", store_path]
    first = subprocess.run(push, capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 0, first.stderr
    assert "1/1 agent" in first.stderr and "pushed" in first.stderr
    assert len(run_dirs()) == 1
    again = subprocess.run(push, capture_output=True, text=True, env=env, check=False)
    assert "pushed before, skipped" in again.stderr and len(run_dirs()) == 1
    forced = subprocess.run([*push, "--force"], capture_output=True, text=True, env=env, check=False)
    assert forced.returncode == 0 and len(run_dirs()) == 2


def test_push_all_sends_every_session_with_progress(wandb_env, store_path, run_dirs):
    """``push --all`` sends each stored session, oldest first, printing a progress line each."""
    tracer = Tracer(project="wb-tests", store=store_path)  # local only
    agent = run_agent(tracer)
    for name in ("one", "two", "three"):
        tracer.flush_tracker(agent, name=name)
    done = push_cli(store_path, "--all", "--to", "wandb")
    assert done.returncode == 0, done.stderr
    progress = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert [line.split()[1:3] for line in progress] == [["1/3", "one"], ["2/3", "two"], ["3/3", "three"]]
    assert sorted(read_run(d)["run"]["name"] for d in run_dirs()) == ["one", "three", "two"]


def test_missing_wandb_is_a_clear_error_at_construction(store_path, monkeypatch):
    """Asking for the W&B backend without wandb installed names the extra to install."""
    monkeypatch.setitem(sys.modules, "wandb", None)
    monkeypatch.delitem(sys.modules, "chaintracer.exporters.wandb", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'chaintracer\[wandb\]'"):
        Tracer(backends=["wandb"], store=store_path)


def test_unknown_backend_is_rejected(store_path):
    """A misspelt backend raises ValueError naming it."""
    with pytest.raises(ValueError, match="'wandbb'"):
        Tracer(backends=["wandbb"], store=store_path)


def test_no_credentials_means_offline_never_a_login_prompt(wandb_env, monkeypatch):
    """Without WANDB_MODE and without any API key the exporter chooses offline mode."""
    from chaintracer.exporters.wandb import run_mode

    monkeypatch.delenv("WANDB_MODE")
    assert run_mode() == "offline"
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    assert run_mode() == "online"


def test_stream_logs_sends_each_trace_before_the_flush(wandb_env, store_path, run_dirs):
    """With stream_logs=True traces reach the W&B run as they finish; the flush adds the rest once."""
    tracer = make_tracer(store_path, stream_logs=True)
    agent = run_agent(tracer)
    assert tracer.force_flush(30)
    (run_dir,) = run_dirs()  # the run exists before any flush
    info = tracer.flush_tracker(agent, name="streamed")
    run = read_run(run_dir)
    assert run["run"]["name"] == "streamed"
    roots = [json.loads(h["trace/root_span_dumps"]) for h in run["history"] if h.get("trace/_type") == "wb_trace_tree"]
    assert len(roots) == 3  # each trace once, not again at flush
    assert info.summary["stream_overflow"] == 0
    assert any(h.get("traces/_type") == "table-file" for h in run["history"])


def test_nothing_is_written_to_the_home_directory(wandb_env, store_path, tmp_path):
    """A flush with the W&B backend writes only where WANDB_DIR and the store say, not under ~."""
    tracer = make_tracer(store_path)
    agent = run_agent(tracer)
    tracer.flush_tracker(agent, name="agent", finish=True)
    wandb.teardown()  # let wandb finish writing whatever it writes at exit
    assert [str(p.relative_to(tmp_path)) for p in (tmp_path / "home").rglob("*")] == []
