"""Memory is bounded in bytes: large payloads queued for encoding never pile up past the budget."""

from __future__ import annotations

import json

import pytest
from child import run, stored

PROGRAM = """
import json, resource, sys
from langchain_core.runnables import RunnableLambda

traced = TRACED
chain = RunnableLambda(lambda text: text[:100]) | RunnableLambda(lambda text: text.upper())
config = {}
if traced:
    from langchain_tracer import Tracer
    tracer = Tracer(project="memory", store=STORE)
    config = {"callbacks": [tracer]}
chain.invoke("warm-up", config=config)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for i in range(CALLS):
    chain.invoke(f"{i}:" + "x" * 200_000, config=config)   # 200 KB in, dropped by the program at once
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
summary = tracer.flush_tracker(name="big").summary if traced else {}
print(json.dumps({"growth_kb": peak - before, "summary": summary}))
"""
CALLS = 800


def _measure(tmp_path, traced: bool) -> dict:
    program = PROGRAM.replace("TRACED", str(traced)).replace("CALLS", str(CALLS))
    done = run(program, tmp_path / f"memory-{traced}.db", timeout_s=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_large_payloads_stay_within_the_byte_budget(tmp_path):
    """800 fast calls with 200 KB inputs grow peak RSS by under 100 MB more than untraced, and all are stored."""
    untraced = _measure(tmp_path, traced=False)
    traced = _measure(tmp_path, traced=True)

    extra_mb = (traced["growth_kb"] - untraced["growth_kb"]) / 1024
    assert extra_mb < 100, f"tracing added {extra_mb:.0f} MB of peak memory"
    assert traced["summary"]["traces"] == CALLS + 1
    _, names = stored(tmp_path / "memory-True.db")
    assert len(names) == 1  # every trace is named after the chain; all were stored (counted above)


HUGE_PROGRAM = """
import json, resource
from langchain_core.runnables import RunnableLambda

traced = TRACED
chain = RunnableLambda(lambda value: len(value["text"]) + len(value["rows"]))
config = {}
if traced:
    from langchain_tracer import Tracer
    tracer = Tracer(project="memory", store=STORE)
    config = {"callbacks": [tracer]}
chain.invoke({"text": "warm-up", "rows": []}, config=config)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for i in range(ROUNDS):
    # A fresh 200 MB text and a list of 10 million items each call, dropped by the program at once.
    chain.invoke({"text": f"{i}:" + "x" * 200_000_000, "rows": [i] * 10_000_000}, config=config)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = {"growth_kb": peak - before}
if traced:
    from chaintracer.export import export_session
    info = tracer.flush_tracker(name="huge")
    result["summary"] = info.summary
    result["inputs"] = export_session(tracer.store, info.id)["traces"][1]["inputs"]
print(json.dumps(result))
"""
ROUNDS = 4


def _measure_huge(tmp_path, traced: bool) -> dict:
    program = HUGE_PROGRAM.replace("TRACED", str(traced)).replace("ROUNDS", str(ROUNDS))
    done = run(program, tmp_path / f"huge-{traced}.db", timeout_s=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_huge_value_is_cut_when_queued_and_never_held_whole(tmp_path):
    """Calls handed a 200 MB text and a 10-million-item list: no whole copy kept (under +100 MB), each stored cut."""
    untraced = _measure_huge(tmp_path, traced=False)
    traced = _measure_huge(tmp_path, traced=True)

    extra_mb = (traced["growth_kb"] - untraced["growth_kb"]) / 1024
    assert extra_mb < 100, f"tracing added {extra_mb:.0f} MB of peak memory"
    assert traced["summary"]["traces"] == ROUNDS + 1
    inputs = traced["inputs"]
    assert inputs["_truncated"] is True  # the whole payload is over max_payload_bytes: a preview remains
    assert inputs["preview"].startswith('{"text": "0:xxx')
