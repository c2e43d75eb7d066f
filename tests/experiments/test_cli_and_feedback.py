"""The CLI (experiments, compare as a CI gate, feedback) and human feedback through the API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from export_contract import validate_export

import chaintracer
from chaintracer import scorers
from chaintracer.export import export_session

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
DATA = [{"inputs": {"word": word}, "expected": word.upper(), "id": word} for word in WORDS]


def shout(inputs, broken_on=()):
    """Upper-cases the word, except the words it is told to get wrong."""
    word = inputs["word"]
    return word if word in broken_on else word.upper()


@pytest.fixture
def gate_store(store_path):
    """An experiment with a baseline, a clearly worse candidate and a harmless one (one miss in eight)."""
    chaintracer.evaluate(
        shout,
        DATA,
        scorers=[scorers.exact_match],
        variants={
            "baseline": {},
            "broken": {"broken_on": tuple(WORDS)},
            "one_miss": {"broken_on": ("zeta",)},
        },
        name="shouting",
        store=store_path,
        framework="none",
    )
    return store_path


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    script = shutil.which("chaintracer", path=str(Path(sys.executable).parent))
    assert script, "the chaintracer console script is not installed"
    env = {key: value for key, value in os.environ.items() if key != "CHAINTRACER_STORE"}
    return subprocess.run([script, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_gate_fails_on_a_significant_regression(gate_store, tmp_path):
    """compare --fail-on-regression exits 1 when a scorer is significantly worse, 0 otherwise."""
    worse = run_cli(
        "compare", "shouting:baseline", "shouting:broken", "--fail-on-regression", "--store", gate_store, cwd=tmp_path
    )
    assert worse.returncode == 1, worse.stderr
    assert "significantly worse (p < 0.05): exact_match" in worse.stdout
    harmless = run_cli(
        "compare", "shouting:baseline", "shouting:one_miss", "--fail-on-regression", "--store", gate_store, cwd=tmp_path
    )
    assert harmless.returncode == 0, harmless.stdout + harmless.stderr
    better = run_cli(
        "compare", "shouting:broken", "shouting:baseline", "--fail-on-regression", "--store", gate_store, cwd=tmp_path
    )
    assert better.returncode == 0 and "better" in better.stdout
    without_flag = run_cli("compare", "shouting:baseline", "shouting:broken", "--store", gate_store, cwd=tmp_path)
    assert without_flag.returncode == 0


def test_compare_json_equals_the_api_and_accepts_session_names(gate_store, tmp_path):
    """compare --json prints what Experiment.compare returns; variant sessions can be named directly."""
    result = run_cli("compare", "shouting:baseline", "shouting:broken", "--json", "--store", gate_store, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    experiment = chaintracer.experiments.load_experiment("shouting", store=gate_store)
    assert printed == experiment.compare("baseline", "broken")
    assert printed["exact_match"]["p_value"] == 2 / 256 and printed["exact_match"]["losses"] == 8
    baseline_id = experiment.sessions[0].id
    by_session = run_cli("compare", baseline_id, "shouting:broken", "--json", "--store", gate_store, cwd=tmp_path)
    assert json.loads(by_session.stdout) == printed


def test_compare_errors_exit_2(gate_store, tmp_path):
    """An unknown variant or session is a one-line error with exit code 2."""
    unknown = run_cli("compare", "shouting:nope", "shouting:broken", "--store", gate_store, cwd=tmp_path)
    assert unknown.returncode == 2 and "no variant 'nope'" in unknown.stderr
    missing = run_cli("compare", "nothing", "shouting:broken", "--store", gate_store, cwd=tmp_path)
    assert missing.returncode == 2 and "no session" in missing.stderr


def test_experiments_lists_them(gate_store, tmp_path):
    """experiments --json lists id, name, variants, examples and creation time; the table shows them too."""
    result = run_cli("experiments", "--json", "--store", gate_store, cwd=tmp_path)
    (listed,) = json.loads(result.stdout)
    assert listed["name"] == "shouting" and listed["variants"] == ["baseline", "broken", "one_miss"]
    assert (listed["examples"], listed["repetitions"], listed["status"]) == (8, 1, "done")
    assert listed["created"].endswith("+00:00") and len(listed["id"]) == 32
    table = run_cli("experiments", "--store", gate_store, cwd=tmp_path)
    assert "shouting" in table.stdout and "baseline, broken, one_miss" in table.stdout


def test_feedback_from_the_cli_is_exported_and_counts_as_a_scorer(gate_store, tmp_path):
    """chaintracer feedback attaches a score to a trace; export shows it; summaries count it as a scorer."""
    experiment = chaintracer.experiments.load_experiment("shouting", store=gate_store)
    session = experiment.sessions[0]
    document = export_session(chaintracer.Store(gate_store), session.id)
    trace = document["traces"][0]["trace_id"]
    result = run_cli(
        "feedback",
        session.name,
        trace[:10],
        "--key",
        "helpful",
        "--score",
        "0.5",
        "--comment",
        "terse",
        "--store",
        gate_store,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    document = export_session(chaintracer.Store(gate_store), session.id)
    assert validate_export(document) == []
    (entry,) = document["traces"][0]["feedback"]
    assert (entry["key"], entry["score"], entry["comment"]) == ("helpful", 0.5, "terse")
    assert document["session"]["summary"]["scores"]["helpful"] == 0.5
    assert experiment.summary()["baseline"]["helpful"] == {"mean": 0.5, "ci_low": 0.5, "ci_high": 0.5, "n": 1}
    bad = run_cli(
        "feedback", session.name, trace, "--key", "helpful", "--score", "lots", "--store", gate_store, cwd=tmp_path
    )
    assert bad.returncode == 2 and "--score must be a number" in bad.stderr
    nowhere = run_cli(
        "feedback", session.name, "zzz", "--key", "k", "--score", "1", "--store", gate_store, cwd=tmp_path
    )
    assert nowhere.returncode == 2 and "no trace" in nowhere.stderr


def test_log_feedback_on_framework_and_core_tracers(store_path, chain):
    """tracer.log_feedback stores feedback on a trace (latest per key wins) for LangChain and core tracers."""
    from langchain_tracer import Tracer

    tracer = Tracer(store=store_path)
    chain.invoke({"country": "France"}, config={"callbacks": [tracer]})
    info = tracer.flush_tracker(name="chat")
    trace_id = export_session(tracer.store, info.id)["traces"][0]["trace_id"]
    tracer.log_feedback(trace_id, "thumbs_up", True)
    tracer.log_feedback(trace_id, "thumbs_up", False, comment="changed my mind")
    document = export_session(tracer.store, info.id)
    assert [(f["score"], f["comment"]) for f in document["traces"][0]["feedback"]] == [
        (1.0, None),
        (0.0, "changed my mind"),
    ]
    assert document["session"]["summary"]["scores"] == {"thumbs_up": 0.0}

    core = chaintracer.Tracer(store=store_path)
    with core.span("manual") as scope:
        scope.set_outputs("done")
    core.log_feedback(scope.trace_id, "rating", 4, span_id=scope.span_id)  # before the flush: written first
    info = core.flush_tracker(name="manual")
    assert export_session(core.store, info.id)["traces"][0]["feedback"][0]["score"] == 4.0


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        (("nope", "k", 1), ValueError, "no trace 'nope'"),
        (("{trace}", "", 1), ValueError, "feedback key"),
        (("{trace}", "k", "good"), TypeError, "feedback score must be a number"),
        (("{trace}", "k", float("inf")), ValueError, "finite"),
        (("{trace}", "k", 1, 5), TypeError, "comment"),
    ],
)
def test_log_feedback_checks_its_arguments(store_path, arguments, error, match):
    """Bad feedback raises TypeError/ValueError naming the value, and stores nothing."""
    tracer = chaintracer.Tracer(store=store_path)
    with tracer.span("t") as scope:
        pass
    info = tracer.flush_tracker(name="t")
    trace_id, *rest = arguments
    with pytest.raises(error, match=match):
        tracer.log_feedback(trace_id.format(trace=scope.trace_id), *rest)
    assert not tracer.store.annotations(info.id)["feedback"]
