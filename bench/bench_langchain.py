"""Cost of tracing a LangChain workload: µs added per span over running with no callbacks.

What it measures
    One process runs the same workload (see ``workload.py``: a ``PromptTemplate | FakeListLLM |
    StrOutputParser`` chain plus a nested chain of 10 ``RunnableLambda``s with a
    ``RunnableParallel``; 17 spans per invoke) under these callback variants:

    none            no callbacks
    noop handler    a no-op ``langchain_core.callbacks.BaseCallbackHandler``
    BaseTracer      LangChain's own tracer: a ``langchain_core.tracers.base.BaseTracer``
                    subclass collecting the finished runs (a pydantic ``Run`` per run)
    OpenInference   ``openinference-instrumentation-langchain``'s callback handler with the
                    OpenTelemetry SDK batching to an exporter that drops spans, timed until the
                    SDK's ``force_flush`` returns (only where it is installed: ``make bench``)
    ours            ``langchain_tracer.Tracer(store=<tmp file>)`` timed until ``force_flush()``
                    returns: the callbacks, the background encoding and the writes to the
                    store, end to end (the headline figure). Each block of 10 invokes ends
                    with ``force_flush``: a transaction per 170 spans, smaller than a
                    program's timed spills write; ``bench_spill.py`` times the same workload
                    in a long loop that never waits for the store, with the spill lag
    ours, callbacks the same blocks up to the last invoke: the encoder thread runs
                    concurrently and competes for the GIL, so its work is partly in this row
    ours hot path   diagnostic: finished traces are set aside instead of encoded, so this is
                    the callbacks alone; the set-aside traces are then encoded and timed
                    separately ("encoding" line)

    Method: warm-up, then rounds; each round runs one block of invokes per variant, the order
    rotating from round to round, ``gc.collect()`` before each block. A variant's "added per
    span" is the median over rounds of (its block − the same round's no-callback block) per
    span, so slow drift of the machine cancels out; "±" is half the interquartile range of
    those differences. Wall-clock time (what the user waits for); the CPU-time column uses the
    process CPU time (all threads), which is less disturbed by other programs on the machine.

    A second table replays the callback events LangChain emitted for one invoke straight into
    each handler (fresh run ids per replay): the handler's own cost per span, without
    LangChain's dispatch and without its noise.

    A third table streams a long message from ``GenericFakeChatModel`` (one callback per chunk)
    and replays ``on_llm_new_token`` into each handler: µs per streamed token.

    Targets (issue 17): ours ≤ 8 µs added per span end to end, ≤ 1 µs per streamed token; peers on
    the same kind of machine: no-op handler ≈ 5, BaseTracer ≈ 43, OpenInference ≈ 153.

How to rerun
    .venv/bin/python bench/bench_langchain.py            # full run (about a minute)
    .venv/bin/python bench/bench_langchain.py --quick    # a few seconds, rougher numbers
    options: --rounds N --block N (invokes per block) --replays N

No timing is asserted anywhere; this only prints.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from langchain_core.callbacks import BaseCallbackHandler
from peers import openinference_langchain
from workload import (
    CollectingTracer,
    MachineLoad,
    NoopHandler,
    Workload,
    count_spans,
    median,
    spread,
    table,
)

from langchain_tracer import Tracer

TARGET_US_PER_SPAN = 8.0  # issue 17
TARGET_US_PER_TOKEN = 1.0


# -- end-to-end --------------------------------------------------------------------------


class Variant:
    def __init__(
        self, key: str, label: str, handler: Any = None, drain: Any = None, deferred: bool = False, runs: Any = None
    ):
        self.key = key
        self.label = label
        self.handler = handler
        self.config = {"callbacks": [handler]} if handler is not None else {}
        self.drain = drain  # called after the block: the variant's background work, finished
        self.runs = runs  # a list the variant fills (emptied after each block, untimed)
        self.deferred = deferred
        self.set_aside: list[Any] = []
        self.wall: list[float] = []  # µs per invoke, per block
        self.cpu: list[float] = []
        self.wall_drained: list[float] = []
        self.cpu_drained: list[float] = []
        self.encode_us: list[float] = []  # encoding of the set-aside traces, µs per invoke
        if deferred:
            # Keep finished traces aside (encoded after the timed block) instead of queueing them.
            handler.recorder._sink = self.set_aside.append


def run_block(workload: Workload, variant: Variant, invokes: int) -> None:
    config = variant.config
    invoke = workload.invoke
    gc.collect()
    cpu0 = time.process_time_ns()
    t0 = time.perf_counter_ns()
    for _ in range(invokes):
        invoke(config)
    t1 = time.perf_counter_ns()
    cpu1 = time.process_time_ns()
    variant.wall.append((t1 - t0) / invokes / 1000)
    variant.cpu.append((cpu1 - cpu0) / invokes / 1000)
    if variant.drain is not None:
        variant.drain()
        t2 = time.perf_counter_ns()
        cpu2 = time.process_time_ns()
        variant.wall_drained.append((t2 - t0) / invokes / 1000)
        variant.cpu_drained.append((cpu2 - cpu0) / invokes / 1000)
    if variant.deferred:
        roots = list(variant.set_aside)
        variant.set_aside.clear()
        encode = variant.handler._core._encoder.encode
        t3 = time.perf_counter_ns()
        for root in roots:
            encode(root)
        variant.encode_us.append((time.perf_counter_ns() - t3) / invokes / 1000)
    if variant.runs is not None:
        variant.runs.clear()


def paired_added(series: list[float], base: list[float], spans: int) -> list[float]:
    return [(value - ref) / spans for value, ref in zip(series, base)]


def end_to_end(rounds: int, block: int, warmup: int, store_dir: str) -> tuple[list[list[str]], dict[str, Any]]:
    workload = Workload()
    spans = count_spans(workload)
    ours = Tracer(store=str(Path(store_dir) / "bench_langchain.db"), project="bench")
    hot = Tracer(store=str(Path(store_dir) / "bench_langchain_hot.db"), project="bench")
    collecting = CollectingTracer()
    variants = [
        Variant("none", "none"),
        Variant("noop", "no-op BaseCallbackHandler", NoopHandler()),
        Variant("basetracer", "LangChain BaseTracer subclass collecting runs", collecting, runs=collecting.runs),
    ]
    peer = openinference_langchain()
    if peer is not None:
        handler, provider = peer
        variants.append(
            Variant("openinference", "OpenInference (until its SDK flushed)", handler, provider.force_flush)
        )
    variants += [
        Variant("ours", "ours: langchain_tracer.Tracer", ours, drain=lambda: ours.force_flush(60.0)),
        Variant("hot", "ours, hot path only (diagnostic)", hot, deferred=True),
    ]
    for variant in variants:
        for _ in range(warmup):
            workload.invoke(variant.config)
        variant.set_aside.clear()
        if variant.runs is not None:
            variant.runs.clear()
    ours.force_flush(60.0)
    for round_index in range(rounds):
        shift = round_index % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            run_block(workload, variant, block)

    base = variants[0]
    rows: list[list[str]] = []

    def row(label: str, wall: list[float], cpu: list[float]) -> None:
        if wall is base.wall:
            added, added_cpu, plus = "0", "0", ""
        else:
            diffs = paired_added(wall, base.wall, spans)
            added = f"{median(diffs):.1f}"
            plus = f"±{spread(diffs):.1f}"
            added_cpu = f"{median(paired_added(cpu, base.cpu, spans)):.1f}"
        rows.append([label, str(spans), f"{median(wall):,.0f}", added, plus, added_cpu])

    for variant in variants:
        if variant.drain is not None:
            row(variant.label, variant.wall_drained, variant.cpu_drained)
            if variant.key == "ours":
                row("  ours, callbacks only (encoder running)", variant.wall, variant.cpu)
        else:
            row(variant.label, variant.wall, variant.cpu)

    hot_variant = variants[-1]
    ours_variant = variants[-2]
    extra = {
        "spans": spans,
        "encode_us_per_span": median(hot_variant.encode_us) / spans,
        "ours_added": median(paired_added(ours_variant.wall, base.wall, spans)),
        "ours_drained_added": median(paired_added(ours_variant.wall_drained, base.wall, spans)),
        "hot_added": median(paired_added(hot_variant.wall, base.wall, spans)),
    }
    # Sanity: everything we traced reached the store.
    info = ours.flush_tracker(name="bench-langchain")
    expected = spans * (warmup + rounds * block)
    extra["stored_spans"] = (info.summary.get("spans") if info is not None else None, expected)
    hot.flush_tracker(name="bench-langchain-hot")
    return rows, extra


# -- replay: the handler's own cost ------------------------------------------------------

_EVENTS = (
    "on_chain_start",
    "on_chain_end",
    "on_chain_error",
    "on_llm_start",
    "on_llm_end",
    "on_llm_error",
    "on_llm_new_token",
    "on_tool_start",
    "on_tool_end",
    "on_tool_error",
    "on_retriever_start",
    "on_retriever_end",
    "on_retriever_error",
    "on_text",
    "on_custom_event",
)


Event = tuple[str, tuple[Any, ...], dict[str, Any]]  # callback name, positional and keyword arguments


class EventRecorder(BaseCallbackHandler):
    """Records every callback LangChain makes, with its arguments."""

    def __init__(self) -> None:
        self.events: list[Event] = []


def _recording(name: str) -> Any:
    def method(self: EventRecorder, *args: Any, **kwargs: Any) -> None:
        self.events.append((name, args, kwargs))

    method.__name__ = name
    return method


for _name in _EVENTS:
    setattr(EventRecorder, _name, _recording(_name))


def record_events(workload: Workload) -> list[Event]:
    recorder = EventRecorder()
    workload.invoke({"callbacks": [recorder]})
    return recorder.events


def fresh_ids(events: list[Event], copies: int) -> list[list[Event]]:
    """``copies`` replays of the events, each with its own run ids (built before timing)."""
    replays = []
    for _ in range(copies):
        mapping: dict[Any, Any] = {}
        replay = []
        for name, args, kwargs in events:
            new = dict(kwargs)
            for key in ("run_id", "parent_run_id"):
                old = kwargs.get(key)
                if old is not None:
                    if old not in mapping:
                        mapping[old] = uuid.uuid4()
                    new[key] = mapping[old]
            replay.append((name, args, new))
        replays.append(replay)
    return replays


def replay_block(handler: Any, replays: list[list[Event]], drain: bool) -> tuple[float, float]:
    gc.collect()
    t0 = time.perf_counter_ns()
    for replay in replays:
        for name, args, kwargs in replay:
            getattr(handler, name)(*args, **kwargs)
    t1 = time.perf_counter_ns()
    if drain:
        handler.force_flush(60.0)
    t2 = time.perf_counter_ns()
    return (t1 - t0), (t2 - t0)


def replay(rounds: int, replays_per_block: int, store_dir: str) -> list[list[str]]:
    workload = Workload()
    events = record_events(workload)
    spans = sum(1 for name, _, _ in events if name.endswith("_start"))
    ours = Tracer(store=str(Path(store_dir) / "bench_replay.db"), project="bench")
    hot = Tracer(store=str(Path(store_dir) / "bench_replay_hot.db"), project="bench")
    set_aside: list[Any] = []
    hot.recorder._sink = set_aside.append
    collecting = CollectingTracer()
    handlers = [
        ("no-op BaseCallbackHandler", NoopHandler(), False),
        ("LangChain BaseTracer subclass collecting runs", collecting, False),
        ("ours, hot path only", hot, False),
        ("ours, end to end (until force_flush)", ours, True),
    ]
    results: dict[str, list[float]] = {label: [] for label, _, _ in handlers}
    for _, handler, drain in handlers:  # warm-up
        replay_block(handler, fresh_ids(events, 20), drain)
    for round_index in range(rounds):
        shift = round_index % len(handlers)
        for label, handler, drain in handlers[shift:] + handlers[:shift]:
            batch = fresh_ids(events, replays_per_block)
            hot_ns, drained_ns = replay_block(handler, batch, drain)
            results[label].append((drained_ns if drain else hot_ns) / 1000 / (replays_per_block * spans))
            set_aside.clear()
            collecting.runs.clear()
    ours.flush_tracker(name="bench-replay")
    rows = []
    for label, _, _ in handlers:
        values = results[label]
        rows.append([label, f"{median(values):.1f}", f"±{spread(values):.1f}"])
    return rows


# -- streaming: cost per token --------------------------------------------------------------


def streaming(rounds: int, words: int, store_dir: str) -> tuple[list[list[str]], int]:
    """µs per streamed chunk added by each handler: a real stream end to end, and the callback replayed."""
    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    text = " ".join(f"word{i % 50}" for i in range(words))

    def model() -> Any:
        return GenericFakeChatModel(messages=iter([AIMessage(content=text)] * (rounds + 2)))

    chunks = sum(1 for _ in model().stream("hi"))
    ours = Tracer(store=str(Path(store_dir) / "bench_stream.db"), project="bench")
    handlers: list[tuple[str, Any]] = [("none", None), ("no-op BaseCallbackHandler", NoopHandler()), ("ours", ours)]
    models = {label: model() for label, _ in handlers}
    times: dict[str, list[float]] = {label: [] for label, _ in handlers}
    # Ours twice: until the stream ends (the per-chunk path) and until its trace is written
    # (adds encoding, masking and indexing the whole answer once, spread over its chunks).
    written: list[float] = []
    for index in range(rounds + 1):
        for label, handler in handlers:
            config: Any = {"callbacks": [handler]} if handler is not None else {}
            gc.collect()
            t0 = time.perf_counter_ns()
            for _ in models[label].stream("hi", config=config):
                pass
            t1 = time.perf_counter_ns()
            if handler is ours:
                ours.force_flush(60.0)
            if index:  # the first round warms up
                times[label].append((t1 - t0) / 1000 / chunks)
                if handler is ours:
                    written.append((time.perf_counter_ns() - t0) / 1000 / chunks)
    rows = []
    base = times["none"]
    series = [(label, times[label]) for label, _ in handlers[1:]]
    series[-1] = ("ours, until the stream ends", times["ours"])
    series.append(("ours, until its trace is written", written))
    for label, values in series:
        added = [value - ref for value, ref in zip(values, base)]
        rows.append([f"stream of {chunks:,} chunks: {label}", f"{median(added):.2f}", f"±{spread(added):.2f}"])
    # The callback alone: on_llm_new_token on an open model run, ours against the no-op handler.
    run_id = uuid.uuid4()
    ours.on_llm_start({}, ["hi"], run_id=run_id)
    calls = 20_000
    for label, handler in handlers[1:]:
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter_ns()
            for _ in range(calls):
                handler.on_llm_new_token("word", run_id=run_id)
            best = min(best, (time.perf_counter_ns() - t0) / 1000 / calls)
        rows.append([f"on_llm_new_token replayed: {label}", f"{best:.2f}", "best of 5"])
    ours.on_llm_end(_empty_result(), run_id=run_id)
    ours.flush_tracker(name="bench-stream", finish=True)
    return rows, chunks


def _empty_result() -> Any:
    from langchain_core.outputs import Generation, LLMResult

    return LLMResult(generations=[[Generation(text="")]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (rougher numbers)")
    parser.add_argument("--rounds", type=int, help="rounds of interleaved blocks")
    parser.add_argument("--block", type=int, help="invokes per block")
    parser.add_argument("--replays", type=int, help="replayed invokes per replay block")
    args = parser.parse_args(argv)
    # Short blocks and many rounds: neighbouring blocks see the same machine, so the paired
    # differences cancel most of the disturbance from other programs.
    rounds = args.rounds or (12 if args.quick else 30)
    block = args.block or (6 if args.quick else 10)
    replays = args.replays or (40 if args.quick else 100)
    warmup = 10 if args.quick else 30

    started = time.perf_counter()
    load = MachineLoad()
    with tempfile.TemporaryDirectory(prefix="chaintracer-bench-") as store_dir:
        rows, extra = end_to_end(rounds, block, warmup, store_dir)
        replay_rows = replay(min(rounds, 20), replays, store_dir)
        stream_rows, _ = streaming(5 if args.quick else 15, 2000, store_dir)
    elapsed = time.perf_counter() - started

    spans = extra["spans"]
    print(
        f"LangChain tracing overhead — {spans} spans per invoke, {rounds} rounds x {block} invokes per variant"
        f" (medians; python {sys.version.split()[0]})"
    )
    print()
    print(table(["variant", "spans/invoke", "µs/invoke", "µs added/span", "±", "added/span (CPU)"], rows))
    print()
    verdict = "meets" if extra["ours_added"] <= TARGET_US_PER_SPAN else "MISSES"
    verdict_drained = "meets" if extra["ours_drained_added"] <= TARGET_US_PER_SPAN else "MISSES"
    print(
        f"target ours ≤ {TARGET_US_PER_SPAN:g} µs added/span: callbacks (encoder running) "
        f"{extra['ours_added']:.1f} -> {verdict}; including background encoding "
        f"{extra['ours_drained_added']:.1f} -> {verdict_drained}"
    )
    print(f"encoding a finished trace (worker thread): {extra['encode_us_per_span']:.1f} µs per span")
    stored, expected = extra["stored_spans"]
    print(f"check: ours stored {stored} spans of {expected} traced")
    print()
    print("Handler cost alone — one invoke's callback events replayed into the handler (µs per span)")
    print()
    print(table(["handler", "µs/span", "±"], replay_rows))
    print()
    print(f"Streaming — µs added per streamed chunk (target ≤ {TARGET_US_PER_TOKEN:g} µs: chunk counting only)")
    print()
    print(table(["measure", "µs/chunk", "±"], stream_rows))
    print()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak_mb:.0f} MB; bench took {elapsed:.0f} s; {load.report()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
