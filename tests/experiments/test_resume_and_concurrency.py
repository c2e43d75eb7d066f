"""Resume after an interruption, and concurrent examples kept in their own traces."""

from __future__ import annotations

import threading
import time

import pytest
from export_contract import validate_export

import chaintracer
from chaintracer import scorers
from chaintracer.export import export_session
from chaintracer.spantree import walk

DATA = [{"inputs": {"n": n}, "expected": str(n * 2), "id": f"n{n}"} for n in range(6)]


def test_interrupted_experiment_resumes_where_it_stopped(store_path):
    """Ctrl+C mid-run keeps the scored examples; resume=True runs only the rest, one session per variant."""
    calls: list[tuple[str, int]] = []
    interrupt = [True]

    def double(inputs, style):
        calls.append((style, inputs["n"]))
        if style == "b" and inputs["n"] == 3 and interrupt[0]:
            interrupt[0] = False
            raise KeyboardInterrupt
        return str(inputs["n"] * 2)

    arguments = {
        "target": double,
        "data": DATA,
        "scorers": [scorers.exact_match],
        "variants": {"a": {"style": "a"}, "b": {"style": "b"}},
        "name": "doubling",
        "store": store_path,
        "framework": "none",
    }
    with pytest.raises(KeyboardInterrupt):
        chaintracer.evaluate(**arguments)
    assert calls == [("a", n) for n in range(6)] + [("b", n) for n in range(4)]
    store = chaintracer.Store(store_path)
    (interrupted,) = store.experiments()
    assert interrupted["status"] == "interrupted"

    calls.clear()
    exp = chaintracer.evaluate(**arguments, resume=True)
    assert calls == [("b", 3), ("b", 4), ("b", 5)]  # a: all done; b: 0-2 were scored before the interruption
    assert exp.id == interrupted["id"] and exp.status == "done"
    assert [s.name for s in exp.sessions] == ["doubling:a", "doubling:b"]
    assert exp.summary()["b"]["exact_match"] == {"mean": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 6}
    document = export_session(store, exp.sessions[1].id)
    assert validate_export(document) == []  # the merged session's summary counts its traces
    assert sorted(root["attributes"]["example"]["index"] for root in document["traces"]) == list(range(6))
    assert len(store.sessions()) == 2  # the partial session was absorbed, not left behind

    calls.clear()
    again = chaintracer.evaluate(**arguments, resume=True)
    assert calls == [] and again.id == exp.id


def test_resume_refuses_a_different_experiment(store_path):
    """Resuming with other data, variants or scorers raises ValueError instead of mixing experiments."""
    arguments = {"target": lambda inputs: "x", "data": DATA, "name": "fixed", "store": store_path, "framework": "none"}
    chaintracer.evaluate(**arguments, scorers=[scorers.exact_match])
    with pytest.raises(ValueError, match="the dataset changed"):
        chaintracer.evaluate(**{**arguments, "data": DATA[:3]}, scorers=[scorers.exact_match], resume=True)
    with pytest.raises(ValueError, match="the scorers changed"):
        chaintracer.evaluate(**arguments, scorers=[scorers.contains], resume=True)
    fresh = chaintracer.evaluate(**arguments, scorers=[scorers.contains])  # without resume: a new experiment
    assert len(chaintracer.Store(store_path).experiments()) == 2 and fresh.name == "fixed"


def test_concurrent_examples_keep_their_traces_apart(chain, data, store_path):
    """With max_concurrency=3 examples overlap in time, yet each trace holds only its own example's runs."""
    from experiment_fixtures import RIGHT

    running = []
    lock = threading.Lock()
    overlap = []

    def slow(inputs):
        with lock:
            running.append(inputs["country"])
            overlap.append(len(running))
        time.sleep(0.2)
        answer = chain.invoke(inputs, config={"configurable": {"answers": RIGHT}})
        with lock:
            running.remove(inputs["country"])
        return answer

    exp = chaintracer.evaluate(
        slow, data * 1, scorers=[scorers.exact_match], max_concurrency=3, name="parallel", store=store_path
    )
    assert max(overlap) > 1  # the examples really ran at the same time
    document = export_session(chaintracer.Store(store_path), exp.sessions[0].id)
    assert validate_export(document) == []
    for root in document["traces"]:
        country = root["inputs"]["country"]
        prompts = [span["outputs"] for span in walk(root) if span["kind"] == "prompt"]
        assert len(prompts) == 1 and country in str(prompts[0])
        assert root["outputs"] == RIGHT[country]
    assert exp.summary()["default"]["exact_match"]["mean"] == 1.0
