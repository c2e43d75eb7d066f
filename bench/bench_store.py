"""Memory held per finished span, and the time to flush 100,000 spans to the local store.

What it measures
    1. Memory (tracemalloc). The LangChain workload of ``workload.py`` (17 spans per invoke)
       runs N invokes with ``langchain_tracer.Tracer``, then ``tracer._worker.drain()`` and
       ``gc.collect()``; the bytes still allocated since the start, net of the same N invokes
       without callbacks (LangChain's own retention), divided by the spans traced:
         - "held": with the writer's background spills turned off (constants of
           ``chaintracer.writer``), so every finished span is still held in memory, encoded,
           waiting for the flush. This is the per-span cost of a finished span, and what
           piles up when the store cannot be written. Target: ≤ 500 B held per finished span.
         - "after spills": as shipped (finished traces are written to the store every
           256 traces or 2 s, then released).
       The largest holders (file:line) of the "held" run and the peak during it are listed.
    2. Flush. Traces totalling 100,000 spans (5,000 traces of 20 spans; payloads the size of
       the LangChain workload's) are built with the manual ``chaintracer.Span`` API and handed
       to ``tracer.log_trace``; the worker encodes them (and spills them to the store), timed
       until ``drain()`` returns: "encode". Then ``tracer.flush_tracker(name=...)`` is timed:
       "flush", what the user waits for. Two set-ups, medians over repetitions, fresh store
       each time:
         - as shipped (background spills): the flush writes only what the last spill left;
         - spills off: the flush writes all 100,000 spans in its one transaction.
       Target (issue 17): flush of 100,000 spans ≤ 0.5 s.
    3. Large payloads: peak memory (tracemalloc) beyond the payload itself while a trace with a
       20 MB text, a 200,000-item list or a 100,000-key dict is recorded, encoded and written.

How to rerun
    .venv/bin/python bench/bench_store.py           # full run (about a minute)
    .venv/bin/python bench/bench_store.py --quick   # one repetition, fewer invokes
    options: --invokes N (memory run) --spans N (flush size) --repeat N

No timing is asserted anywhere; this only prints.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import linecache
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import REPO_ROOT, MachineLoad, Workload, count_spans, median, table

import chaintracer
from chaintracer import Span, SpanKind
from langchain_tracer import Tracer

TARGET_BYTES_PER_SPAN = 500  # issue 17
TARGET_FLUSH_S = 0.5
SPANS_PER_TRACE = 20

try:  # background spills of finished traces (absent in older cores)
    from chaintracer import writer as _writer_module
except ImportError:  # pragma: no cover
    _writer_module = None


@contextlib.contextmanager
def spills_off() -> Iterator[bool]:
    """Turns the writer's background spills off (the bench's own patch); False if there are none."""
    module = _writer_module
    if module is None or not hasattr(module, "SPILL_EVERY_TRACES"):
        yield False
        return
    saved = module.SPILL_EVERY_TRACES, module.SPILL_EVERY_S, module.SPILL_EVERY_BYTES, module.SessionWriter.tick
    module.SPILL_EVERY_TRACES, module.SPILL_EVERY_S, module.SPILL_EVERY_BYTES = 10**12, 1e12, 10**15
    # A drain forces the writer's tick; with spills off it must write nothing before the flush.
    module.SessionWriter.tick = lambda self, force=False: False  # type: ignore[method-assign]
    try:
        yield True
    finally:
        module.SPILL_EVERY_TRACES, module.SPILL_EVERY_S, module.SPILL_EVERY_BYTES, module.SessionWriter.tick = saved


@contextlib.contextmanager
def store_refuses_writes() -> Iterator[None]:
    """Every ``Store.write_session`` fails as a locked or read-only store does (the bench's own patch)."""
    from chaintracer.store import Store, StoreError

    saved = Store.write_session

    def refuse(self: Any, *args: Any, **kwargs: Any) -> None:
        raise StoreError("bench: the store refuses writes")

    Store.write_session = refuse  # type: ignore[method-assign]
    try:
        yield
    finally:
        Store.write_session = saved  # type: ignore[method-assign]


# -- 1. memory ----------------------------------------------------------------------------


def _retained(workload: Workload, config: dict[str, Any], invokes: int, drain: Any = None) -> tuple[int, int, Any]:
    """Bytes still allocated after ``invokes`` invokes (and the drain); peak during them."""
    gc.collect()
    tracemalloc.start(1)
    before_snapshot = tracemalloc.take_snapshot()
    before, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    for _ in range(invokes):
        workload.invoke(config)
    if drain is not None:
        drain()
    gc.collect()
    after, peak = tracemalloc.get_traced_memory()
    after_snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    top = after_snapshot.compare_to(before_snapshot, "lineno")
    return after - before, peak - before, top


def _holders(top: Any, spans: int, count: int = 6) -> list[str]:
    lines = []
    for stat in top[:count]:
        if stat.size_diff <= 0:
            continue
        frame = stat.traceback[0]
        try:
            where = str(Path(frame.filename).resolve().relative_to(REPO_ROOT))
        except ValueError:
            where = frame.filename.split("site-packages/")[-1].split("/lib/python3")[-1]
        code = linecache.getline(frame.filename, frame.lineno).strip()[:60]
        lines.append(f"{stat.size_diff / spans:7.0f} B/span  {where}:{frame.lineno}  {code}")
    return lines


def memory(invokes: int, store_dir: str) -> tuple[list[list[str]], list[str], int]:
    workload = Workload()
    spans_per_invoke = count_spans(workload)
    spans = invokes * spans_per_invoke

    def tracer_for(name: str) -> Tracer:
        tracer = Tracer(store=str(Path(store_dir) / f"bench_memory_{name}.db"), project="bench")
        for _ in range(20):  # warm-up: LangChain's caches, the worker thread, the store file
            workload.invoke({})
            workload.invoke({"callbacks": [tracer]})
        tracer.force_flush(60.0)
        tracer.flush_tracker(name=f"bench-memory-{name}-warmup")
        return tracer

    base_bytes, base_peak, _ = _retained(workload, {}, invokes)
    rows = [["no callbacks: retained after the run (LangChain itself)", f"{base_bytes / spans:,.0f}", ""]]
    holders: list[str] = []
    with spills_off() as patched:
        tracer = tracer_for("held")
        held_bytes, held_peak, top = _retained(
            workload, {"callbacks": [tracer]}, invokes, lambda: tracer.force_flush(60.0)
        )
        held = (held_bytes - base_bytes) / spans
        label = "ours: held per finished span, spills off" if patched else "ours: held per finished span"
        verdict = "meets" if held <= TARGET_BYTES_PER_SPAN else "MISSES"
        rows.append([label, f"{held:,.0f}", f"≤ {TARGET_BYTES_PER_SPAN:,} -> {verdict}"])
        rows.append(["ours: peak during that run, per span", f"{(held_peak - base_peak) / spans:,.0f}", ""])
        holders = _holders(top, spans)
        tracer.flush_tracker(name="bench-memory-held", finish=True)
    tracer = tracer_for("refused")  # warmed up (and flushed) before the store refuses writes
    with store_refuses_writes():
        refused_bytes, _, _ = _retained(workload, {"callbacks": [tracer]}, invokes, lambda: tracer.force_flush(60.0))
    refused = (refused_bytes - base_bytes) / spans
    verdict = "meets" if refused <= TARGET_BYTES_PER_SPAN else "MISSES"
    rows.append(
        [
            "ours: held per finished span, store refusing writes (kept compressed)",
            f"{refused:,.0f}",
            f"≤ {TARGET_BYTES_PER_SPAN:,} -> {verdict}",
        ]
    )
    tracer.flush_tracker(name="bench-memory-refused", finish=True)
    if patched:
        tracer = tracer_for("spilled")
        spilled_bytes, _, _ = _retained(workload, {"callbacks": [tracer]}, invokes, lambda: tracer.force_flush(60.0))
        retained = (spilled_bytes - base_bytes) / spans
        rows.append(["ours: retained after the run, as shipped (spills)", f"{retained:,.0f}", ""])
        tracer.flush_tracker(name="bench-memory-spilled", finish=True)
    return rows, holders, spans


# -- 2. flush -----------------------------------------------------------------------------

_QUESTION = "Tell me a funny joke about cats and dogs, and explain why it is funny. "
_ANSWER = "Why did the cat sit on the computer? To keep an eye on the mouse. A pun on mouse."


def build_trace(index: int, start_ms: int) -> Span:
    """One trace of ``SPANS_PER_TRACE`` spans: an agent, chains, model and tool calls."""
    root = Span(name="agent", span_kind=SpanKind.AGENT, start_time_ms=start_ms)
    root.add_named_result({"input": f"{_QUESTION}#{index}"}, {"output": _ANSWER})
    at = start_ms
    for step in range((SPANS_PER_TRACE - 1) // 3):
        chain = Span(name=f"step_{step}", span_kind=SpanKind.CHAIN, start_time_ms=at)
        llm = Span(
            name="FakeListLLM",
            span_kind=SpanKind.LLM,
            start_time_ms=at,
            end_time_ms=at + 2,
            attributes={
                "model": "fake-list-llm",
                "invocation_params": {"temperature": 0.0},
                "tokens": {"prompt": 20, "completion": 18, "total": 38},
            },
        )
        llm.add_named_result({"prompts": [_QUESTION]}, {"text": _ANSWER})
        tool = Span(name="calculator", span_kind=SpanKind.TOOL, start_time_ms=at + 2, end_time_ms=at + 3)
        tool.add_named_result({"expression": f"{index} * {step}"}, {"result": str(index * step)})
        chain.add_named_result({"question": _QUESTION}, {"answer": _ANSWER})
        chain.add_child_span(llm)
        chain.add_child_span(tool)
        chain.end_time_ms = at + 3
        root.add_child_span(chain)
        at += 3
    while _size(root) < SPANS_PER_TRACE:
        parser = Span(name="StrOutputParser", span_kind=SpanKind.PARSER, start_time_ms=at, end_time_ms=at + 1)
        parser.add_named_result({"input": _ANSWER}, {"output": _ANSWER})
        root.add_child_span(parser)
        at += 1
    root.end_time_ms = at
    return root


def _size(span: Span) -> int:
    return 1 + sum(_size(child) for child in span.children)


def flush_once(total_spans: int, store_dir: str, label: str) -> dict[str, float]:
    traces = total_spans // SPANS_PER_TRACE
    store = Path(store_dir) / f"bench_flush_{label}.db"
    tracer = chaintracer.Tracer(store=str(store), project="bench", max_queue=traces + 16)
    start_ms = int(time.time() * 1000)
    gc.collect()
    t0 = time.perf_counter()
    roots = [build_trace(i, start_ms + i) for i in range(traces)]
    t1 = time.perf_counter()
    for root in roots:
        tracer.log_trace(root)
    del roots
    tracer.force_flush(600.0)
    t2 = time.perf_counter()
    gc.collect()
    t3, cpu3 = time.perf_counter(), time.thread_time()
    info = tracer.flush_tracker(name=f"bench-flush-{label}")
    t4, cpu4 = time.perf_counter(), time.thread_time()
    spans = info.summary.get("spans") if info is not None else None
    tracer.flush_tracker(finish=True)
    size = store.stat().st_size
    store.unlink()
    for extra in store.parent.glob(store.name + "-*"):
        extra.unlink()
    return {
        "build": t1 - t0,
        "encode": t2 - t1,
        "flush": t4 - t3,
        "flush_cpu": cpu4 - cpu3,  # the flush runs on this thread: its CPU time, which load disturbs least
        "spans": spans or 0,
        "bytes": size,
    }


# -- 3. large payloads -------------------------------------------------------------------


def large_payloads(store_dir: str) -> list[list[str]]:
    """Peak memory (tracemalloc) while traces with large payloads are recorded, encoded and written.

    Three shapes, each a trace of one span: a 20 MB text, a list of 200,000 short texts, a dict
    of 100,000 keys. ``max_payload_bytes`` (64 KiB) cuts them, so the peak is the converter's
    working memory, over the payload's own size (which the program holds anyway).
    """
    shapes = {
        "20 MB text": lambda: "lorem ipsum " * (20_000_000 // 12),
        "200,000 short texts": lambda: [f"item {i}" for i in range(200_000)],
        "dict of 100,000 keys": lambda: {f"key{i}": i for i in range(100_000)},
    }
    rows = []
    for label, make in shapes.items():
        tracer = chaintracer.Tracer(store=str(Path(store_dir) / "bench_large.db"), project="bench")
        tracer.force_flush(10.0)
        payload = make()
        gc.collect()
        tracemalloc.start(1)
        payload_bytes = _deep_size(payload)
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with tracer.span("large", inputs={"payload": payload}):
            pass
        tracer.force_flush(60.0)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del payload
        tracer.flush_tracker(name=f"bench-large-{label}", finish=True)
        extra = peak - before
        rows.append([label, f"{payload_bytes / 1e6:,.1f} MB", f"{extra / 1e6:,.2f} MB", f"{extra / payload_bytes:.2f}"])
    return rows


def _deep_size(value: Any) -> int:
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        size += sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in value.items())
    elif isinstance(value, list):
        size += sum(sys.getsizeof(item) for item in value)
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (rougher numbers)")
    parser.add_argument("--invokes", type=int, help="invokes of the memory run")
    parser.add_argument("--spans", type=int, default=100_000, help="spans per flushed session")
    parser.add_argument("--repeat", type=int, help="flush repetitions")
    args = parser.parse_args(argv)
    invokes = args.invokes or (100 if args.quick else 400)
    repeat = args.repeat or (1 if args.quick else 2)

    started = time.perf_counter()
    load = MachineLoad()
    with tempfile.TemporaryDirectory(prefix="chaintracer-bench-") as store_dir:
        mem_rows, holders, chain_spans = memory(invokes, store_dir)
        shipped, cold = [], []
        for index in range(repeat):
            shipped.append(flush_once(args.spans, store_dir, f"spills-{index}"))
            with spills_off() as patched:
                if patched:
                    cold.append(flush_once(args.spans, store_dir, f"nospill-{index}"))
        large_rows = large_payloads(store_dir)
    elapsed = time.perf_counter() - started

    print(f"Memory per finished span — {invokes} invokes of the LangChain workload ({chain_spans:,} spans)")
    print()
    print(table(["measure", "bytes/span", "target"], mem_rows))
    print()
    print("largest holders of the 'held' run (net bytes per span, file:line):")
    for line in holders:
        print("  " + line)
    print()

    spans = shipped[0]["spans"]
    rows = []
    for label, runs in (("as shipped (background spills)", shipped), ("spills off: all in the flush", cold)):
        if not runs:
            continue
        flush_s = median([r["flush"] for r in runs])
        flush_cpu = median([r["flush_cpu"] for r in runs])
        encode_s = median([r["encode"] for r in runs])
        scaled = flush_s * 100_000 / spans if spans else float("nan")
        verdict = "meets" if scaled <= TARGET_FLUSH_S else "MISSES"
        rows.append(
            [
                f"flush_tracker, {label}",
                f"{flush_s:.2f} s",
                f"{flush_s * 1e6 / spans:.1f}",
                f"{flush_cpu:.2f} s",
                f"≤ {TARGET_FLUSH_S:g} s -> {verdict}",
            ]
        )
        encode_label = "encode + spill writes" if runs is shipped else "encode only"
        rows.append(
            [
                f"  before it: {encode_label} (log_trace -> drain)",
                f"{encode_s:.2f} s",
                f"{encode_s * 1e6 / spans:.1f}",
                "",
                "",
            ]
        )
    build_s = median([r["build"] for r in shipped])
    rows.append(
        [
            "building the spans with chaintracer.Span (user code)",
            f"{build_s:.2f} s",
            f"{build_s * 1e6 / spans:.1f}",
            "",
            "",
        ]
    )
    size = shipped[0]["bytes"]
    print(
        f"Flush of {spans:,} spans to a fresh SQLite store — {spans // SPANS_PER_TRACE:,} traces x "
        f"{SPANS_PER_TRACE} spans, median of {len(shipped)}; store {size / 1e6:.0f} MB "
        f"({size / max(spans, 1):,.0f} B/span)"
    )
    print()
    print(table(["step", "time", "µs/span", "flush CPU", "target"], rows))
    print()
    each = "; ".join(
        label + ": " + ", ".join(f"{r['flush']:.2f}" for r in runs) + " s"
        for label, runs in (("shipped", shipped), ("spills off", cold))
        if runs
    )
    print(f"flush in each repetition — {each}")
    print()
    print("Large payloads — peak memory beyond the payload while one trace is recorded, encoded and written")
    print()
    print(table(["payload", "its size", "peak beyond it", "ratio"], large_rows))
    print()
    print(f"bench took {elapsed:.0f} s; {load.report()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
