"""The LangChain workload shared by the benchmarks, and small measuring helpers.

One *invoke* of the workload runs two traces, with the same callbacks config:

* ``answer``: ``PromptTemplate | FakeListLLM | StrOutputParser`` (4 spans);
* ``features``: a nested chain of 10 small ``RunnableLambda``s: a ``RunnableSequence`` holding a
  ``RunnableParallel`` whose branches include a nested ``RunnableSequence`` (13 spans).

So 17 spans per invoke (``count_spans`` checks it against LangChain itself). Not a benchmark by
itself: ``bench_langchain.py`` and ``bench_store.py`` import it.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# Runnable from a checkout without installing: `python bench/bench_langchain.py`.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# Never measure LangSmith by accident (a user's environment may enable it).
for _var in ("LANGCHAIN_TRACING_V2", "LANGSMITH_TRACING", "LANGCHAIN_TRACING", "LANGSMITH_TRACING_V2"):
    os.environ[_var] = "false"

from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402
from langchain_core.language_models import FakeListLLM  # noqa: E402
from langchain_core.output_parsers import StrOutputParser  # noqa: E402
from langchain_core.prompts import PromptTemplate  # noqa: E402
from langchain_core.runnables import RunnableLambda, RunnableParallel  # noqa: E402
from langchain_core.tracers.base import BaseTracer  # noqa: E402

INPUT = {"adjective": "funny", "topic": "  Cats and Dogs  "}


# Plain Python functions (LangChain inspects the signature of every lambda on every call;
# builtins such as ``len`` make that several times slower, which would only add noise).
def topic(inputs: dict[str, str]) -> str:
    return inputs["topic"]


def normalize(text: str) -> str:
    return text.strip().lower()


def length(text: str) -> int:
    return len(text)


def words(text: str) -> list[str]:
    return text.split()


def count(items: list[str]) -> int:
    return len(items)


def shout(text: str) -> str:
    return text.upper()


def merge(features: dict[str, Any]) -> dict[str, Any]:
    return {**features, "ok": True}


def keys(features: dict[str, Any]) -> list[str]:
    return sorted(features)


def join(names: list[str]) -> str:
    return ",".join(names)


def describe(text: str) -> str:
    return f"features: {text}"


class Workload:
    """The two chains; ``invoke(config)`` runs one invoke (two traces)."""

    def __init__(self) -> None:
        prompt = PromptTemplate.from_template("Tell me a {adjective} joke about {topic}.")
        llm = FakeListLLM(
            responses=[
                "Why did the cat sit on the computer? To keep an eye on the mouse.",
                "What do you call a dog magician? A labracadabrador.",
            ]
        )
        self.answer = prompt | llm | StrOutputParser()
        lam = RunnableLambda
        self.features = (
            lam(topic)
            | lam(normalize)
            | RunnableParallel(length=lam(length), count=lam(words) | lam(count), shout=lam(shout))
            | lam(merge)
            | lam(keys)
            | lam(join)
            | lam(describe)
        )

    def invoke(self, config: dict[str, Any]) -> tuple[str, str]:
        return self.answer.invoke(INPUT, config=config), self.features.invoke(INPUT, config=config)


class SpanCounter(BaseCallbackHandler):
    """Counts runs (spans) as LangChain starts them."""

    def __init__(self) -> None:
        self.spans = 0

    def _start(self, *args: Any, **kwargs: Any) -> None:
        self.spans += 1

    on_chain_start = on_llm_start = on_chat_model_start = on_tool_start = on_retriever_start = _start


def count_spans(workload: Workload) -> int:
    """Spans one invoke of the workload produces, as LangChain reports them."""
    counter = SpanCounter()
    workload.invoke({"callbacks": [counter]})
    return counter.spans


class NoopHandler(BaseCallbackHandler):
    """A callback handler that does nothing: the floor of LangChain's callback dispatch."""


class NoopTracer(BaseTracer):
    """LangChain's ``BaseTracer`` (a pydantic ``Run`` per run) that persists nothing."""

    def _persist_run(self, run: Any) -> None:
        pass


class CollectingTracer(BaseTracer):
    """LangChain's own tracer doing the least useful job: a ``BaseTracer`` keeping each finished root run.

    The benchmarks empty ``runs`` between timed blocks, so memory does not grow over a run.
    """

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[Any] = []

    def _persist_run(self, run: Any) -> None:
        self.runs.append(run)


class MachineLoad:
    """How much CPU other programs used while a benchmark ran (Linux ``/proc/stat``).

    Numbers measured while other programs compete for the cores are noisy; the scripts print
    this so that a reader can tell.
    """

    def __init__(self) -> None:
        self._start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        try:
            with open("/proc/stat") as stat:
                fields = [int(x) for x in stat.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        busy = sum(fields[:8]) - idle  # user nice system idle iowait irq softirq steal
        times = os.times()
        return busy / ticks, time.monotonic(), times.user + times.system

    def report(self) -> str:
        end = self._sample()
        if self._start is None or end is None:
            return "machine load: unknown (no /proc/stat)"
        busy = end[0] - self._start[0]
        wall = end[1] - self._start[1]
        own = end[2] - self._start[2]
        cpus = os.cpu_count() or 1
        other = max(0.0, busy - own) / (wall * cpus) if wall > 0 else 0.0
        text = f"other programs used {other:.0%} of the {cpus} CPUs during this run"
        if other > 0.10:
            text += " -- numbers are noisier than on a quiet machine; rerun when it is idle"
        return text


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: list[float]) -> float:
    """Half the interquartile range: a robust ± for a median of noisy blocks."""
    if len(values) < 4:
        return float("nan")
    q1, _, q3 = statistics.quantiles(values, n=4)
    return (q3 - q1) / 2


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table, first column left-aligned, the others right-aligned."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for index, row in enumerate([headers, *rows]):
        cells = [str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)
