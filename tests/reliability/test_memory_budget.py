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
