"""The seed's scenarios as W&B users see them: offline runs decoded from their run files.

``demo.langchain_scenarios`` (an LLM generating for several prompts, a chain over a list of
titles, an agent with tools) and ``demo.llamaindex_scenarios`` run once with the W&B backend;
each test reads the decoded runs. One test per line of issue 13's "done when".
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import wandb
from runfile import logged_table, read_run
from wbenv import hermetic_wandb, llama_settings_kept, offline_runs, outside_event_loop

from chaintracer.exporters.wandb_rows import ACTION_OLD_COLUMNS, ANALYSIS_OLD_COLUMNS
from demo import langchain_scenarios, llamaindex_scenarios

LANGCHAIN_SESSIONS = ("simple_sequential", "synopsis_chain", "agent")


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """The decoded W&B runs of the seed's LangChain and LlamaIndex scenarios, by run name."""
    base = tmp_path_factory.mktemp("seed-wandb")
    with pytest.MonkeyPatch.context() as patch:
        root = hermetic_wandb(patch, base)
        patch.setenv("CHAINTRACER_BACKENDS", "local,wandb")
        store = str(base / "chaintracer.db")
        with llama_settings_kept():
            names = langchain_scenarios.run(store) + outside_event_loop(llamaindex_scenarios.run, store)
        wandb.teardown()  # wandb keeps settings per process: the next test starts afresh
    runs = {}
    for run_dir in offline_runs(root):
        run = read_run(run_dir)
        run["dir"] = run_dir
        runs[run["run"]["name"]] = run
    assert sorted(runs) == sorted(names)
    return SimpleNamespace(runs=runs, store=store)


def trees(run):
    """The logged trace trees of a run: (history row, root span, model dict or None)."""
    found = []
    for row in run["history"]:
        if row.get("trace/_type") == "wb_trace_tree":
            model = json.loads(row["trace/model_dict_dumps"]) if "trace/model_dict_dumps" in row else None
            found.append((row, json.loads(row["trace/root_span_dumps"]), model))
    return found


def spans(root):
    stack = [root]
    while stack:
        span = stack.pop()
        yield span
        stack.extend(span["child_spans"] or ())


def test_traces_table_is_reachable_from_the_summary(seed):
    """The summary's ``traces`` entry is the logged table (W&B's panel for it), not a number."""
    for name, run in seed.runs.items():
        summary = run["summary"]
        assert summary["traces/_type"] == "table-file", name
        assert (run["dir"] / "files" / summary["traces/path"]).is_file()
        assert summary["trace_count"] == len(trees(run)), name
        for key in ("action_records", "session_analysis"):
            assert summary[f"{key}/_type"] == "table-file"


def test_no_model_dict_without_an_asset(wandb_env, store_path, run_dirs):
    """A session flushed without an asset logs traces without a model dict, hash, asset or artifact."""
    from demo.scripted import ScriptedLLM
    from langchain_tracer import Tracer

    tracer = Tracer(project="wb-scenarios", backends=["wandb"], store=store_path)
    ScriptedLLM(responses=["Hello."]).generate(["Say hello", "Say it again"], callbacks=[tracer])
    tracer.flush_tracker(name="no_asset")
    (run_dir,) = run_dirs()
    run = read_run(run_dir)
    found = trees(run)
    assert len(found) == 2
    assert all(model is None and "trace/model_hash" not in row for row, _, model in found)
    assert "asset" not in run["config"]
    assert not [artifact for artifact in run["artifacts"] if artifact["type"] == "model"]


def test_one_stable_model_hash_per_asset(seed):
    """Every trace of a flushed asset carries the same model hash, and different assets differ."""
    hashes = {}
    for name in LANGCHAIN_SESSIONS:
        found = {row["trace/model_hash"] for row, _, _ in trees(seed.runs[name])}
        assert len(found) == 1, name
        hashes[name] = found.pop()
    assert len(set(hashes.values())) == len(LANGCHAIN_SESSIONS)


def test_the_same_chain_flushed_twice_has_one_hash_and_one_artifact(wandb_env, store_path, run_dirs):
    """Fresh builds of one chain in two sessions: same hash, same asset config, same artifact version."""
    from test_wandb_builders import synopsis_chain

    from langchain_tracer import Tracer

    tracer = Tracer(project="wb-scenarios", backends=["wandb"], store=store_path)
    for name, temperature in (("first", 0.7), ("second", 0.7), ("changed", 0.1)):
        chain = synopsis_chain(temperature)
        chain.invoke({"title": "Hamlet"}, config={"callbacks": [tracer]})
        tracer.flush_tracker(chain, name=name)
    runs = {read_run(d)["run"]["name"]: read_run(d) for d in run_dirs()}
    hashes = {name: {row["trace/model_hash"] for row, _, _ in trees(run)} for name, run in runs.items()}
    assert hashes["first"] == hashes["second"] != hashes["changed"]
    assert runs["first"]["config"]["asset"] == runs["second"]["config"]["asset"] != runs["changed"]["config"]["asset"]
    models = {name: next(a for a in run["artifacts"] if a["type"] == "model") for name, run in runs.items()}
    # One artifact named after the asset; W&B versions it by content: equal digests are one version.
    assert {model["name"] for model in models.values()} == {"synopsis"}
    assert models["first"]["digest"] == models["second"]["digest"] != models["changed"]["digest"]
    assert models["changed"]["metadata"]["models"][0]["params"]["temperature"] == 0.1


def test_every_span_has_a_width(seed):
    """No span of any logged trace has end == start, so the timeline never divides by zero."""
    for name, run in seed.runs.items():
        for _, root, _ in trees(run):
            for span in spans(root):
                assert span["end_time_ms"] > span["start_time_ms"], (name, span["name"])


def test_components_carry_kind(seed):
    """The Model Architecture tab gets ``_kind`` on the asset and its components."""
    models = {name: trees(run)[-1][2] for name, run in seed.runs.items()}
    assert models["simple_sequential"]["_kind"] == "llm"
    chain = models["synopsis_chain"]
    assert chain["_kind"] == "chain" and chain["name"] == "overall_chain"
    assert {node.get("_kind") for node in chain["nodes"]} >= {"prompt", "llm", "chain"}
    agent = models["agent"]
    assert [tool["_kind"] for tool in agent["tools"]] == ["tool", "tool"]
    assert agent["models"][0]["_kind"] == "chat_model"
    assert models["rag"]["_kind"] == "query_engine" and models["llamaindex_agent"]["_kind"] == "agent"
    assert all('"kind"' not in json.dumps(model) for model in models.values())


def test_old_column_names_with_plain_text(seed):
    """session_analysis and action_records have the old handler's columns, holding text, not JSON."""
    simple = seed.runs["simple_sequential"]
    analysis = logged_table(simple, "session_analysis")
    assert analysis["columns"][: len(ANALYSIS_OLD_COLUMNS) + 1] == [*ANALYSIS_OLD_COLUMNS, "chat_html"]
    rows = analysis["records"]
    assert [row["prompts"] for row in rows] == ["Tell me a joke", "Tell me a poem"] * 3
    assert rows[0]["output"] == "Why did the chicken cross the road? To trace the other side."
    assert "<blockquote>" in rows[0]["chat_html"]["html"]
    actions = logged_table(simple, "action_records")
    assert actions["columns"][: len(ACTION_OLD_COLUMNS)] == ACTION_OLD_COLUMNS
    assert actions["records"][0]["prompts"] == "Tell me a joke"
    agent = logged_table(seed.runs["agent"], "traces")["records"]
    assert [row["input"] for row in agent] == langchain_scenarios.QUESTIONS
    assert agent[0]["output"] == "The answer is 126."


def test_no_trace_less_last_row(seed):
    """The last history row of every run carries a trace (with the tables), where the Trace panel opens."""
    for name, run in seed.runs.items():
        last = run["history"][-1]
        assert last.get("trace/_type") == "wb_trace_tree", name
        assert last.get("session_analysis/_type") == "table-file", name


def test_agents_and_tools_keep_their_kinds_and_rows(seed):
    """The agent run: AGENT roots, LLM for the chat model, TOOL for tools; tool rows in action_records."""
    run = seed.runs["agent"]
    roots = [root for _, root, _ in trees(run)]
    assert [root["span_kind"] for root in roots] == ["AGENT"] * 3
    kinds = {span["span_kind"] for root in roots for span in spans(root)}
    assert kinds == {"AGENT", "CHAIN", "LLM", "TOOL"}
    assert roots[2]["status_code"] == "ERROR"
    actions = logged_table(run, "action_records")["records"]
    starts = [row for row in actions if row["action"] == "on_tool_start"]
    assert [row["input_str"] for row in starts][:1] == ["(17 + 25) * 3"]
    assert actions[-1]["tool_starts"] == len(starts)


def test_llamaindex_sessions_are_runs_like_the_others(seed):
    """LlamaIndex: retriever spans are TOOLs, the query engine is the model, text in the tables."""
    rag = seed.runs["rag"]
    kinds = {span["span_kind"] for _, root, _ in trees(rag) for span in spans(root)}
    assert {"TOOL", "LLM", "CHAIN"} <= kinds
    assert {row["trace/model_hash"] for row, _, _ in trees(rag)} == {trees(rag)[0][0]["trace/model_hash"]}
    traces = logged_table(rag, "traces")["records"]
    query = next(row for row in traces if row["input"] == llamaindex_scenarios.QUESTIONS[0])
    assert query["output"].startswith(f"To '{llamaindex_scenarios.QUESTIONS[0]}'")
    analysis = logged_table(rag, "session_analysis")["records"]
    assert analysis[0]["prompts"].startswith("System: You are an expert Q&A system")
    agent = seed.runs["llamaindex_agent"]
    roots = [root for _, root, _ in trees(agent)]
    assert roots[0]["span_kind"] == "AGENT"
    assert logged_table(agent, "traces")["records"][0]["output"].startswith("He co-founded Viaweb in 1995")
    (artifact,) = [a for a in agent["artifacts"] if a["type"] == "model"]
    assert artifact["name"] == "biographer"


def test_stream_logs_runs_get_the_architecture_at_flush(wandb_env, store_path, run_dirs):
    """With stream_logs the last trace waits for the flush, which gives it the model and the tables."""
    import contextlib

    from langchain.agents import create_agent

    from demo.scripted import ScriptedChatModel, calculator, lookup
    from langchain_tracer import Tracer

    tracer = Tracer(project="wb-scenarios", backends=["wandb"], store=store_path, stream_logs=True)
    agent = create_agent(ScriptedChatModel(), tools=[calculator, lookup], name="fact_agent")
    for question in langchain_scenarios.QUESTIONS:
        with contextlib.suppress(ValueError):
            agent.invoke({"messages": [{"role": "user", "content": question}]}, config={"callbacks": [tracer]})
    assert tracer.force_flush(30)
    (run_dir,) = run_dirs()  # streaming started the run before any flush
    tracer.flush_tracker(agent, name="streamed")
    run = read_run(run_dir)
    found = trees(run)
    assert len(found) == len(langchain_scenarios.QUESTIONS)  # each trace once
    last_row, _, model = found[-1]
    assert last_row is run["history"][-1] and model["_kind"] == "chain" and model["name"] == "fact_agent"
    assert last_row["session_analysis/_type"] == "table-file"
    assert run["config"]["asset"]["name"] == "fact_agent"
    assert [a["name"] for a in run["artifacts"] if a["type"] == "model"] == ["fact_agent"]


def test_metrics_and_views_fill_the_old_analysis_columns(wandb_env, store_path, run_dirs):
    """complexity_metrics and visualize: textstat columns (text_standard a string) and HTML views."""
    import spacy

    from demo.scripted import ScriptedLLM
    from langchain_tracer import Tracer

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "GPE", "pattern": "Paris"}])
    tracer = Tracer(
        project="wb-scenarios", backends=["wandb"], store=store_path, complexity_metrics=True, visualize=True, nlp=nlp
    )
    llm = ScriptedLLM(responses=["Paris is the capital of France. It is a large city."])
    llm.generate(["What is the capital of France?", "Name a big city."], callbacks=[tracer])
    tracer.flush_tracker(llm, name="analysed")
    (run_dir,) = run_dirs()
    run = read_run(run_dir)
    analysis = logged_table(run, "session_analysis")
    old = [*ANALYSIS_OLD_COLUMNS, "flesch_reading_ease", "flesch_kincaid_grade"]
    assert analysis["columns"][: len(old)] == old
    assert analysis["columns"].index("osman") < analysis["columns"].index("dependency_tree")
    row = analysis["records"][0]
    assert row["text_standard"].endswith(" grade")
    assert "Paris" in row["entities"]["html"] and "needs-trained-parser" in row["dependency_tree"]["html"]
    assert "What is the capital of France?" in row["chat_html"]["html"]  # the prompt_output view
    assert not [key for h in run["history"] for key in h if key.startswith("visualizations")]
    assert logged_table(run, "action_records")["records"][-1]["text_standard"] == row["text_standard"]


STREAM_WITHOUT_FLUSH = """
import contextlib, sys
from langchain.agents import create_agent
from demo.scripted import ScriptedChatModel, calculator, lookup
from demo.langchain_scenarios import QUESTIONS
from langchain_tracer import Tracer

tracer = Tracer(project="wb-scenarios", backends=["wandb"], store=sys.argv[1], stream_logs=True)
agent = create_agent(ScriptedChatModel(), tools=[calculator, lookup], name="fact_agent")
for question in QUESTIONS:
    with contextlib.suppress(ValueError):
        agent.invoke({"messages": [{"role": "user", "content": question}]}, config={"callbacks": [tracer]})
assert tracer.force_flush(30)
"""  # and exits without flush_tracker


@pytest.mark.slow
def test_a_program_that_streams_and_never_flushes_logs_every_trace(wandb_env, store_path, run_dirs):
    """The trace held back for the flush is logged at exit when no flush comes."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", STREAM_WITHOUT_FLUSH, store_path], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    (run_dir,) = run_dirs()
    assert len(trees(read_run(run_dir))) == len(langchain_scenarios.QUESTIONS)
