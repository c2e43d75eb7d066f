"""The evaluate() contract with a real LangChain runnable: sessions, summary, compare, the export."""

from __future__ import annotations

import pytest
from experiment_fixtures import ONE_WRONG, RIGHT
from export_contract import validate_export
from langchain_core.language_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import ConfigurableField

import chaintracer
from chaintracer import scorers
from chaintracer.export import export_session
from chaintracer.spantree import walk


@pytest.fixture
def experiment(chain, data, store_path):
    """Two variants of the chain: one answers every question right, one gets Italy wrong."""
    return chaintracer.evaluate(
        chain,
        data,
        scorers=[scorers.exact_match, scorers.contains, scorers.rouge_l],
        variants={"right": {"answers": RIGHT}, "one_wrong": {"answers": ONE_WRONG}},
        name="capitals",
        project="experiments",
        tags=["test"],
        store=store_path,
    )


def test_experiment_has_one_flushed_session_per_variant(experiment, store_path):
    """exp.id, exp.name and exp.sessions: one flushed session per variant, named after the experiment."""
    assert isinstance(experiment.id, str) and len(experiment.id) == 32
    assert experiment.name == "capitals"
    assert [type(s) for s in experiment.sessions] == [chaintracer.SessionInfo] * 2
    assert [s.name for s in experiment.sessions] == ["capitals:right", "capitals:one_wrong"]
    stored = {s["id"]: s for s in chaintracer.Store(store_path).sessions()}
    assert {stored[s.id]["status"] for s in experiment.sessions} == {"flushed"}
    assert all(s.summary["traces"] == 3 for s in experiment.sessions)


def test_summary_has_means_intervals_and_counts(experiment):
    """summary() gives each variant's scorer means with 95 % intervals over the three examples."""
    summary = experiment.summary()
    assert list(summary) == ["right", "one_wrong"]
    assert list(summary["right"]) == ["exact_match", "contains", "rouge_l"]
    assert summary["right"]["exact_match"] == {"mean": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 3}
    wrong = summary["one_wrong"]["exact_match"]
    assert set(wrong) == {"mean", "ci_low", "ci_high", "n"}
    assert wrong["mean"] == pytest.approx(2 / 3) and wrong["n"] == 3
    assert wrong["ci_low"] == 0.0 and wrong["ci_high"] == 1.0


def test_compare_pairs_by_example(experiment):
    """compare() reports candidate minus baseline with an interval, a p-value and wins/losses/ties."""
    comparison = experiment.compare("right", "one_wrong")
    entry = comparison["exact_match"]
    assert set(entry) == {"delta", "ci_low", "ci_high", "p_value", "wins", "losses", "ties"}
    assert entry["delta"] == pytest.approx(-1 / 3)
    assert (entry["wins"], entry["losses"], entry["ties"]) == (0, 1, 2)
    assert entry["p_value"] == 1.0  # one loss in three examples is no evidence
    assert entry["ci_low"] == pytest.approx(-1.0) and entry["ci_high"] == 0.0
    with pytest.raises(ValueError, match="no variant 'nope'"):
        experiment.compare("right", "nope")


def test_export_carries_scores_example_and_experiment(experiment, store_path):
    """The export: root scores, attributes.example, config.experiment and score means, per the contract."""
    document = export_session(chaintracer.Store(store_path), experiment.sessions[1].id)
    assert validate_export(document) == []
    session = document["session"]
    assert session["config"]["experiment"] == {
        "id": experiment.id,
        "name": "capitals",
        "variant": "one_wrong",
        "repetition": 0,
        "dataset_hash": session["config"]["experiment"]["dataset_hash"],
        "params": {"answers": ONE_WRONG},
    }
    assert session["summary"]["scores"]["exact_match"] == pytest.approx(2 / 3)
    by_id = {root["attributes"]["example"]["id"]: root for root in document["traces"]}
    italy = by_id["it"]
    assert italy["attributes"]["example"] == {"index": 2, "id": "it", "expected": "Rome"}
    assert italy["scores"] == {"exact_match": False, "contains": False, "rouge_l": 0.0}
    assert italy["outputs"] == "Milan"
    assert by_id["fr"]["scores"]["exact_match"] is True
    # The framework's runs nest under the example's root span: the whole run is one trace.
    kinds = [span["kind"] for span in walk(italy)]
    assert kinds[:2] == ["chain", "chain"] and "chat_model" in kinds
    assert all("scores" not in span for root in document["traces"] for span in list(walk(root))[1:])


def test_configurable_values_reach_the_model(experiment, store_path):
    """Variant params are LangChain configurable values: the model span shows the variant's responses."""
    document = export_session(chaintracer.Store(store_path), experiment.sessions[1].id)
    model = next(span for span in walk(document["traces"][0]) if span["kind"] == "chat_model")
    assert model["outputs"]["generations"][0][0]["message"]["content"] in ONE_WRONG.values()


def test_repetitions_make_one_session_each_and_average(chain, data, store_path):
    """With repetitions=2 each variant has two sessions; an example's score is its mean over them."""
    answers = iter(["Paris", "Paris", "Madrid", "Toledo", "Rome", "Rome"])

    def noisy(inputs):
        return next(answers)

    exp = chaintracer.evaluate(noisy, data, scorers=[scorers.exact_match], repetitions=2, name="reps", store=store_path)
    assert [s.name for s in exp.sessions] == ["reps:default#0", "reps:default#1"]
    # Repetition 0 answers Paris, Paris, Madrid; repetition 1 answers Toledo, Rome, Rome.
    # Per example: France (1 + 0) / 2, Spain (0 + 0) / 2, Italy (0 + 1) / 2.
    assert exp.summary()["default"]["exact_match"]["n"] == 3
    assert exp.summary()["default"]["exact_match"]["mean"] == pytest.approx(1 / 3)


def test_configurable_alternatives_pick_another_model(data, store_path):
    """A variant param can select a configurable_alternatives branch (another model)."""
    model = FakeListChatModel(responses=["Paris"]).configurable_alternatives(
        ConfigurableField(id="model"), default_key="paris", madrid=FakeListChatModel(responses=["Madrid"])
    )
    chain = ChatPromptTemplate.from_template("{country}?") | model | StrOutputParser()
    exp = chaintracer.evaluate(
        chain,
        data,
        scorers=[scorers.exact_match],
        variants={"paris": {"model": "paris"}, "madrid": {"model": "madrid"}},
        name="alternatives",
        store=store_path,
    )
    assert exp.summary()["paris"]["exact_match"]["mean"] == pytest.approx(1 / 3)
    assert exp.summary()["madrid"]["exact_match"]["mean"] == pytest.approx(1 / 3)
    assert exp.compare("paris", "madrid")["exact_match"]["delta"] == 0.0


def test_unknown_param_is_refused_before_running(chain, data, store_path):
    """A param that is no configurable field of the runnable raises ValueError naming it."""
    with pytest.raises(ValueError, match=r"\['top_p'\] are not configurable fields"):
        chaintracer.evaluate(chain, data, variants={"hot": {"top_p": 0.5}}, store=store_path)


def test_variant_may_be_a_whole_target(chain, data, store_path):
    """A variant given as another target runs that target (here a callable) instead."""

    def always_rome(inputs):
        return "Rome"

    exp = chaintracer.evaluate(
        chain,
        data,
        scorers=[scorers.exact_match],
        variants={"chain": {"answers": RIGHT}, "rome": always_rome},
        name="targets",
        store=store_path,
    )
    assert exp.summary()["rome"]["exact_match"]["mean"] == pytest.approx(1 / 3)
    assert exp.compare("chain", "rome")["exact_match"]["wins"] == 0


def test_callable_gets_params_as_keywords(data, store_path):
    """For a callable target, variant params are keyword arguments; an async callable is awaited."""
    seen = []

    async def answer(inputs, style):
        seen.append(style)
        return inputs["country"].upper() if style == "loud" else inputs["country"]

    exp = chaintracer.evaluate(
        answer,
        data,
        scorers=[scorers.exact_match],
        variants={"loud": {"style": "loud"}, "quiet": {"style": "quiet"}},
        name="callable",
        store=store_path,
    )
    assert sorted(seen) == ["loud"] * 3 + ["quiet"] * 3
    roots = export_session(exp.store, exp.sessions[0].id)["traces"]
    assert sorted(root["outputs"] for root in roots) == ["FRANCE", "ITALY", "SPAIN"]
    with pytest.raises(TypeError, match="cannot be called as target"):
        chaintracer.evaluate(answer, data, variants={"x": {"colour": "red"}}, store=store_path)


def test_langchain_runs_inside_a_callable_are_traced(chain, data, store_path):
    """LangChain runs a callable target makes (without passing callbacks) nest in the example's trace."""

    def ask(inputs):
        return chain.invoke(inputs, config={"configurable": {"answers": RIGHT}})

    exp = chaintracer.evaluate(ask, data, scorers=[scorers.exact_match], name="wrapped", store=store_path)
    roots = export_session(exp.store, exp.sessions[0].id)["traces"]
    assert len(roots) == 3
    assert all(root["children"][0]["name"] == "RunnableSequence" for root in roots)
    assert exp.summary()["default"]["exact_match"]["mean"] == 1.0


def test_target_errors_are_recorded_and_scored_lowest(data, store_path):
    """An example whose target raises keeps its error trace and scores as a miss; the others go on."""

    def flaky(inputs):
        if inputs["country"] == "Spain":
            raise RuntimeError("model overloaded")
        return {"France": "Paris", "Italy": "Rome"}[inputs["country"]]

    exp = chaintracer.evaluate(flaky, data, scorers=[scorers.exact_match], name="flaky", store=store_path)
    assert exp.summary()["default"]["exact_match"]["mean"] == pytest.approx(2 / 3)
    roots = {r["attributes"]["example"]["id"]: r for r in export_session(exp.store, exp.sessions[0].id)["traces"]}
    assert roots["es"]["status"] == "error" and roots["es"]["error"]["message"] == "model overloaded"
    assert roots["es"]["scores"] == {"exact_match": False}
    grid = {row["id"]: row for row in exp.examples()}
    assert grid["es"]["runs"][0]["error"] == "RuntimeError: model overloaded"


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        ({"data": []}, ValueError, "no examples"),
        ({"data": [{"question": "x"}]}, ValueError, "unknown: \\['question'\\]"),
        ({"data": [{"inputs": "x"}]}, TypeError, "'inputs' must be a dict"),
        ({"data": [{"inputs": {}, "id": "a"}, {"inputs": {}, "id": "a"}]}, ValueError, "used by an earlier"),
        ({"repetitions": 0}, ValueError, "repetitions"),
        ({"max_concurrency": 0}, ValueError, "max_concurrency"),
        ({"name": ""}, ValueError, "name"),
        ({"variants": {"a:b": {}}}, ValueError, "without ':'"),
        ({"variants": {}}, TypeError, "non-empty dict"),
        ({"scorers": [lambda output: 1]}, ValueError, "no usable name"),
        ({"scorers": "exact_match"}, TypeError, "list of functions"),
        ({"target": 42}, TypeError, "target must be"),
    ],
)
def test_bad_arguments_raise_before_anything_runs(data, store_path, arguments, error, match):
    """Bad arguments raise TypeError/ValueError naming the problem, and nothing is recorded."""
    calls = []
    kwargs = {"target": lambda inputs: calls.append(inputs) or "x", "data": data, "store": store_path}
    kwargs.update(arguments)
    with pytest.raises(error, match=match):
        chaintracer.evaluate(**kwargs)
    assert calls == []


def test_a_runnables_architecture_is_kept_and_a_plain_function_has_none(experiment, data, store_path):
    """Each session holds its target's architecture: the chain's graph; a plain function has none to draw."""
    store = chaintracer.Store(store_path)
    chain_model = store.session(experiment.sessions[0].id)["model"]
    assert chain_model is not None and chain_model["type"] == "RunnableSequence"

    def answer(inputs):
        return "Paris"

    plain = chaintracer.evaluate(answer, data, scorers=[scorers.exact_match], name="plain", store=store_path)
    assert store.session(plain.sessions[0].id)["model"] is None
