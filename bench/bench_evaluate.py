"""What ``chaintracer.evaluate`` adds per example over calling the target directly.

What it measures
    The target is the workload's ``answer`` chain (``PromptTemplate | FakeListLLM |
    StrOutputParser``, 4 spans per call). For N examples, per example:
        direct          ``chain.invoke(inputs)`` in a loop, no callbacks
        traced          the same with ``langchain_tracer.Tracer`` (flushed at the end)
        evaluate        ``chaintracer.evaluate(chain, data, scorers=[exact_match])``: a root span
                        per example, the flush, scoring, the stored runs and scores, the
                        per-session bookkeeping (one variant, one repetition)
        evaluate x4     the same with ``max_concurrency=4``
    Each is the median of several blocks (wall time / N), ± half the interquartile range;
    "overhead" is evaluate minus direct. The summary() and compare() statistics are timed
    apart (they run when you ask for them, not per example).

How to rerun
    .venv/bin/python bench/bench_evaluate.py            # about half a minute
    .venv/bin/python bench/bench_evaluate.py --quick    # a few seconds, rougher numbers

No timing is asserted anywhere; this only prints.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from langchain_core.language_models import FakeListLLM
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate
from workload import MachineLoad, median, spread, table

import chaintracer
from chaintracer import scorers
from langchain_tracer import Tracer


def make_chain():
    return (
        PromptTemplate.from_template("Tell me a {adjective} joke about {topic}")
        | FakeListLLM(responses=["a joke"])
        | StrOutputParser()
    )


def dataset(size: int) -> list[dict]:
    return [{"inputs": {"adjective": "funny", "topic": f"topic {i}"}, "expected": "a joke"} for i in range(size)]


def per_example(run, size: int, blocks: int) -> list[float]:
    """Microseconds per example of ``run(size)`` over ``blocks`` blocks (the first one warms up)."""
    run(max(2, size // 10))
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        run(size)
        times.append((time.perf_counter() - start) / size * 1e6)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter blocks")
    args = parser.parse_args()
    size, blocks = (50, 3) if args.quick else (200, 5)
    load = MachineLoad()
    with tempfile.TemporaryDirectory(prefix="chaintracer-bench-evaluate-") as work:
        measure(Path(work), size, blocks)
    print(load.report())


def measure(folder: Path, size: int, blocks: int) -> None:
    """Times each way of running the examples (stores in ``folder``) and prints the tables."""
    chain = make_chain()
    counter = iter(range(10**9))

    def direct(n: int) -> None:
        for example in dataset(n):
            chain.invoke(example["inputs"])

    def traced(n: int) -> None:
        tracer = Tracer(store=str(folder / "traced.db"))
        for example in dataset(n):
            chain.invoke(example["inputs"], config={"callbacks": [tracer]})
        tracer.flush_tracker(name="traced", finish=True)

    def evaluated(concurrency: int):
        def run(n: int) -> None:
            chaintracer.evaluate(
                chain,
                dataset(n),
                scorers=[scorers.exact_match],
                name=f"bench-{next(counter)}",
                store=str(folder / "evaluate.db"),
                max_concurrency=concurrency,
                progress=False,
            )

        return run

    results = {
        "direct": per_example(direct, size, blocks),
        "traced": per_example(traced, size, blocks),
        "evaluate": per_example(evaluated(1), size, blocks),
        "evaluate x4": per_example(evaluated(4), size, blocks),
    }
    base = median(results["direct"])
    rows = [
        [name, f"{median(values):,.0f} ± {spread(values):,.0f}", f"{median(values) - base:+,.0f}"]
        for name, values in results.items()
    ]
    print(f"per example, {size} examples per block, {blocks} blocks (µs, median ± half IQR)")
    print(table(["", "µs/example", "overhead vs direct"], rows))

    from chaintracer.experiments import stats

    values = [(i * 7919 % 101) / 100 for i in range(size)]  # spread-out scores, not all equal
    start = time.perf_counter()
    stats.describe(values)
    describe_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    stats.compare_paired(dict(enumerate(values)), {i: 1 - v for i, v in enumerate(values)})
    compare_ms = (time.perf_counter() - start) * 1000
    print(f"one scorer's mean and bootstrap interval over {size} examples: {describe_ms:.0f} ms")
    print(f"one paired comparison over {size} examples (bootstrap + permutation test): {compare_ms:.0f} ms")


if __name__ == "__main__":
    main()
