"""LlamaIndex tracing overhead: µs added per recorded span, end to end and on the hot path alone.

End to end: one query of a small VectorStoreIndex (MockLLM, MockEmbedding) under no handlers, a
no-op legacy callback handler, a no-op instrumentation event handler, LlamaDebugHandler,
OpenInference where installed, and our tracer on the legacy path
(callback manager), the instrumentation path, and both. The clock is the process's CPU time,
background encoding included (drained before the clock stops); each variant's cost over no
handlers (paired: the same round's untraced block) is divided by the spans (for
LlamaDebugHandler, the events) it records for one query. Rounds interleave the variants in a
rotating order; medians, with half the interquartile range.

Hot path: the dispatcher spans of one query (query, retrieve, embedding, synthesize, model call,
with the private methods and ``__call__`` wrappers LlamaIndex adds) replayed straight into our
span handler, and one query's callback events replayed straight into our callback handler:
each path's own cost per recorded span, CPU time, best of several rounds. This is what the
per-class decision cache and the fold rules cost. The same command measures an older
checkout: ``PYTHONPATH=<checkout> python bench/bench_llamaindex.py``.

Rerun: .venv/bin/python bench/bench_llamaindex.py [--quick]
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
import time
import uuid
from types import SimpleNamespace

from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.callbacks import CallbackManager, CBEventType, EventPayload, LlamaDebugHandler
from llama_index.core.callbacks.base_handler import BaseCallbackHandler
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.llms import MockLLM
from llama_index.core.tools import FunctionTool
from peers import openinference_llamaindex_callback, openinference_llamaindex_instrumentor
from workload import MachineLoad, median, table

from chaintracer.guard import ErrorCounter
from chaintracer.recorder import Recorder
from llamaindex_tracer import Tracer
from llamaindex_tracer.instrumentation import Bridge, SpanHandler
from llamaindex_tracer.lifecycle import Lifecycle

QUICK = "--quick" in sys.argv
ROUNDS, QUERIES = (8, 10) if QUICK else (30, 20)
REPLAYS = 300 if QUICK else 2000
DOCS = [Document(text=f"document {i} about topic {i % 3}. " * 5) for i in range(20)]
TMP = tempfile.mkdtemp(prefix="bench_llamaindex_")


class NoOpEvents(BaseEventHandler):
    def handle(self, event, **kwargs):
        return None


class NoOpCallbacks(BaseCallbackHandler):
    """A legacy callback handler that does nothing: the callback manager's own dispatch cost."""

    def __init__(self) -> None:
        super().__init__(event_starts_to_ignore=[], event_ends_to_ignore=[])

    def on_event_start(self, event_type, payload=None, event_id="", parent_id="", **kwargs):
        return event_id

    def on_event_end(self, event_type, payload=None, event_id="", **kwargs):
        return None

    def start_trace(self, trace_id=None):
        return None

    def end_trace(self, trace_id=None, trace_map=None):
        return None


def tracer(name: str) -> Tracer:
    return Tracer(store=os.path.join(TMP, f"{name}.db"))


def build(handlers: list) -> object:
    Settings.callback_manager = CallbackManager(handlers)
    # Settings keeps the node parser (and its callback manager) it first built: start afresh.
    Settings._node_parser = Settings._transformations = None
    return VectorStoreIndex.from_documents(DOCS).as_query_engine(similarity_top_k=2)


def spans_per_query(mode: str) -> int:
    """Spans our tracer records for one query on a path (what 'per span' divides by)."""
    ours = tracer(f"count-{mode}")
    engine = build([ours] if mode != "instrumentation" else [])
    if mode != "legacy":
        ours.instrument()
    engine.query("warm up")  # index construction and the first query are not counted
    ours.flush_tracker(name="warm")
    engine.query("topic 1")
    spans = ours.flush_tracker(name="count", finish=True).summary["spans"]
    ours.uninstrument()
    return spans


def debug_events_per_query() -> int:
    debug = LlamaDebugHandler(print_trace_on_end=False)
    engine = build([debug])
    engine.query("warm up")
    debug.flush_event_logs()
    engine.query("topic 1")
    return len(debug.get_event_pairs())


def end_to_end() -> list[list[str]]:
    root = get_dispatcher()
    legacy, instrumented, both = tracer("legacy"), tracer("instrumentation"), tracer("both")
    # Settings.callback_manager is process-wide and some components read it at query time:
    # each variant keeps its handlers and installs them before its own timed block.
    variants: dict[str, tuple] = {
        "none": ([], None, None),
        "no-op legacy callback handler": ([NoOpCallbacks()], None, None),
        "no-op instrumentation event handler": ([], NoOpEvents(), None),
        "LlamaDebugHandler (legacy)": ([LlamaDebugHandler(print_trace_on_end=False)], None, None),
    }
    counts = {
        "none": 1,
        "no-op legacy callback handler": spans_per_query("legacy"),
        "no-op instrumentation event handler": spans_per_query("instrumentation"),
        "LlamaDebugHandler (legacy)": debug_events_per_query(),
    }
    # OpenInference, where installed (make bench): its legacy callback handler, and its
    # instrumentor (span and event handlers on the root dispatcher); each divided by our span
    # count on the same path, and timed until its SDK has flushed.
    oi_callback, oi_instrumentor = openinference_llamaindex_callback(), openinference_llamaindex_instrumentor()
    if oi_callback is not None:
        variants["OpenInference: legacy callback handler"] = ([oi_callback[0]], None, oi_callback[1])
        counts["OpenInference: legacy callback handler"] = spans_per_query("legacy")
    if oi_instrumentor is not None:
        variants["OpenInference: instrumentation"] = ([], oi_instrumentor, oi_instrumentor[1])
        counts["OpenInference: instrumentation"] = spans_per_query("instrumentation")
    variants.update(
        {
            "ours: legacy CallbackManager": ([legacy], None, legacy),
            "ours: instrumentation": ([], "instrument", instrumented),
            "ours: both paths": ([both], "instrument", both),
        }
    )
    counts.update(
        {
            "ours: legacy CallbackManager": spans_per_query("legacy"),
            "ours: instrumentation": spans_per_query("instrumentation"),
            "ours: both paths": spans_per_query("both"),
        }
    )
    engines = {name: build(handlers) for name, (handlers, _, _) in variants.items()}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for name, (handlers, _, _) in variants.items():
        Settings.callback_manager = CallbackManager(handlers)
        engines[name].query("warm up")
    names = list(variants)
    for round_index in range(ROUNDS):
        shift = round_index % len(names)  # the order rotates: no variant always follows the same one
        for name in names[shift:] + names[:shift]:
            handlers, extra, ours = variants[name]
            engine = engines[name]
            Settings.callback_manager = CallbackManager(handlers)
            if extra == "instrument":
                ours.instrument()
            elif isinstance(extra, tuple):  # OpenInference's instrumentor and its provider
                extra[0].instrument(tracer_provider=extra[1])
            elif extra is not None:
                root.add_event_handler(extra)
            gc.collect()
            # CPU time of the whole process: the queries, and our background encoding of their
            # traces (drained before the clock stops). Wall time on a shared machine measures
            # the other programs; CPU time measures the work.
            start = time.process_time()
            for _ in range(QUERIES):
                engine.query("what is topic 1 about?")
            if ours is not None:
                ours.force_flush(60) if isinstance(ours, Tracer) else ours.force_flush()
            times[name].append((time.process_time() - start) / QUERIES * 1e6)
            if isinstance(extra, tuple):
                extra[0].uninstrument()
            elif isinstance(ours, Tracer):
                ours.uninstrument()
            elif extra is not None:
                root.event_handlers = [h for h in root.event_handlers if h is not extra]
    rows = []
    for name in variants:
        per_query = median(times[name])
        spread = spread_of(times[name])
        if name == "none":
            added = "-"
        else:  # paired with the same round's untraced block: slow drift of the machine cancels out
            diffs = [(value - ref) / counts[name] for value, ref in zip(times[name], times["none"])]
            added = f"{median(diffs):.1f} ±{spread_of(diffs):.1f}"
        rows.append([name, str(counts[name]) if name != "none" else "-", f"{per_query:,.0f} ±{spread:,.0f}", added])
    for ours in (legacy, instrumented, both):
        ours.flush_tracker(name="bench", finish=True)
    return rows


def spread_of(samples: list[float]) -> float:
    """Half the interquartile range: how much one round's figure moves."""
    ordered = sorted(samples)
    return (ordered[(3 * len(ordered)) // 4] - ordered[len(ordered) // 4]) / 2


def replay_plan() -> list[tuple[object, str, int]]:
    """The dispatcher spans of one RAG query: (instance, method, depth), as LlamaIndex opens them."""
    engine = build([])
    retriever, synthesizer = engine.retriever, engine._response_synthesizer
    embedding, llm = Settings.embed_model, MockLLM(max_tokens=8)
    tool = FunctionTool.from_defaults(lambda x: x, name="echo")
    return [
        (engine, "query", 0),
        (engine, "_query", 1),  # folded: private method
        (retriever, "retrieve", 2),
        (retriever, "_retrieve", 3),  # folded
        (embedding, "get_query_embedding", 4),
        (embedding, "_get_query_embedding", 5),  # folded
        (synthesizer, "synthesize", 2),
        (synthesizer, "get_response", 3),
        (llm, "predict", 4),
        (llm, "complete", 5),
        (tool, "__call__", 2),
        (tool, "call", 3),  # folded: under __call__
    ]


def hot_path() -> list[str]:
    """Replays the plan into our span handler: CPU µs per recorded span (enter + exit), best round.

    The handler writes to a recorder whose finished traces are only collected, not encoded:
    the figure is the caller's-thread cost alone, without the background encoder competing
    for the GIL (the end-to-end table includes that).
    """
    plan = replay_plan()
    finished: list = []
    core = SimpleNamespace(recorder=Recorder(finished.append), _errors=ErrorCounter())
    lifecycle = Lifecycle(core)
    try:  # the same command measures a checkout from before the legacy module existed
        from llamaindex_tracer.legacy import Legacy

        bridge = Bridge(core, lifecycle, Legacy(core, lifecycle))
    except ImportError:
        bridge = Bridge(core, lifecycle)  # type: ignore[call-arg]
    handler = SpanHandler(bridge)
    bound = SimpleNamespace(arguments={"query": "topic 1"})

    def replay(ids: list[list[str]]) -> None:
        for span_ids in ids:
            stack: list[str] = []
            for (instance, _, depth), span_id in zip(plan, span_ids, strict=True):
                while len(stack) > depth:
                    handler.span_exit(stack.pop(), bound, result="ok")
                handler.span_enter(span_id, bound, instance=instance, parent_id=stack[-1] if stack else None)
                stack.append(span_id)
            while stack:
                handler.span_exit(stack.pop(), bound, result="ok")

    def fresh_ids() -> list[list[str]]:
        return [[f"{type(inst).__name__}.{method}-{uuid.uuid4()}" for inst, method, _ in plan] for _ in range(REPLAYS)]

    best, recorded = best_cpu(replay, fresh_ids, finished)
    return [f"dispatcher: {len(plan)} spans of a query, {recorded} recorded", f"{best:.2f}"]


def legacy_hot_path() -> list[str]:
    """One query's callback events replayed into our handler: CPU µs per recorded span, best round.

    The events are those a ``CallbackManager`` sends for a RAG query (query, retrieve,
    embedding, synthesize, two chunkings, templating, a completion), inside one trace window.
    """
    ours = tracer("legacy-hot-path")
    finished: list = []
    ours._core.recorder = Recorder(finished.append)  # collected, not encoded (see hot_path)
    model = {"class_name": "MockLLM", "model": "mock"}
    root = "root"
    # (start?, event type, key, parent key, payload)
    plan = [
        (True, CBEventType.QUERY, "q", root, {EventPayload.QUERY_STR: "q"}),
        (True, CBEventType.RETRIEVE, "r", "q", {EventPayload.QUERY_STR: "q"}),
        (True, CBEventType.EMBEDDING, "e", "r", {EventPayload.SERIALIZED: model}),
        (False, CBEventType.EMBEDDING, "e", None, {EventPayload.CHUNKS: ["q"], EventPayload.EMBEDDINGS: [[0.5] * 8]}),
        (False, CBEventType.RETRIEVE, "r", None, {EventPayload.NODES: []}),
        (True, CBEventType.SYNTHESIZE, "s", "q", {EventPayload.QUERY_STR: "q"}),
        (True, CBEventType.CHUNKING, "c1", "s", {EventPayload.CHUNKS: ["a"]}),
        (False, CBEventType.CHUNKING, "c1", None, {EventPayload.CHUNKS: ["a"]}),
        (True, CBEventType.CHUNKING, "c2", "s", {EventPayload.CHUNKS: ["a"]}),
        (False, CBEventType.CHUNKING, "c2", None, {EventPayload.CHUNKS: ["a"]}),
        (True, CBEventType.TEMPLATING, "t", "s", {EventPayload.TEMPLATE: "t"}),
        (False, CBEventType.TEMPLATING, "t", None, None),
        (True, CBEventType.LLM, "l", "s", {EventPayload.PROMPT: "p", EventPayload.SERIALIZED: model}),
        (False, CBEventType.LLM, "l", None, {EventPayload.COMPLETION: "x"}),
        (False, CBEventType.SYNTHESIZE, "s", None, {EventPayload.RESPONSE: "x"}),
        (False, CBEventType.QUERY, "q", None, {EventPayload.RESPONSE: "x"}),
    ]

    def replay(queries: list[dict[str, str]]) -> None:
        for ids in queries:
            ours.start_trace("query")
            for starts, event_type, key, parent, payload in plan:
                if starts:
                    ours.on_event_start(event_type, payload, event_id=ids[key], parent_id=ids.get(parent, parent))
                else:
                    ours.on_event_end(event_type, payload, event_id=ids[key])
            ours.end_trace("query")

    def fresh_ids() -> list[dict[str, str]]:
        keys = ("q", "r", "e", "s", "c1", "c2", "t", "l")
        return [{key: str(uuid.uuid4()) for key in keys} for _ in range(REPLAYS)]

    best, recorded = best_cpu(replay, fresh_ids, finished)
    ours.flush_tracker(name="legacy-hot-path", finish=True)
    return [f"callback events: {recorded} recorded spans a query", f"{best:.2f}"]


def best_cpu(replay, prepare, finished: list, queries: int = REPLAYS) -> tuple[float, int]:
    """The best round's CPU µs per recorded span of ``replay(prepare())``, and spans per query."""
    best, recorded = float("inf"), 0
    for _ in range(5 if QUICK else 15):
        work = prepare()
        finished.clear()
        gc.collect()
        start = time.process_time()  # CPU time: this thread alone does the work, other programs don't count
        replay(work)
        elapsed = time.process_time() - start
        spans = sum(count_spans(root) for root in finished)
        recorded = spans // queries if spans else recorded
        best = min(best, elapsed / (queries * (recorded or 8)) * 1e6)
    return best, recorded


def encoding(queries: int) -> str:
    """µs of thread CPU to encode one query's finished trace (instrumentation path), per span.

    The traces are set aside as they finish, then encoded on this thread, best of 5: the
    background work a query leaves behind besides its write (converting and masking every
    payload: the retrieved nodes' texts pass through several spans).
    """
    ours = tracer("encoding")
    engine = build([])
    ours.instrument()
    engine.query("warm up")
    finished: list = []
    ours._core.recorder._sink = finished.append
    for index in range(queries):
        engine.query(f"what is topic {index % 3} about?")
    ours.uninstrument()
    encode = ours._core._encoder.encode
    spans = sum(count_spans(root) for root in finished)
    best = float("inf")
    for _ in range(5):
        gc.collect()
        start = time.thread_time()
        for root in finished:
            encode(root)
        best = min(best, (time.thread_time() - start) / spans * 1e6)
    ours.flush_tracker(name="encoding", finish=True)
    return f"encoding a finished query's trace (instrumentation, {spans // queries} spans): {best:.1f} µs per span"


def count_spans(span) -> int:
    return 1 + sum(count_spans(child) for child in span.children)


def main() -> None:
    load = MachineLoad()
    Settings.llm = MockLLM(max_tokens=8)
    Settings.embed_model = MockEmbedding(embed_dim=8)
    rows = end_to_end()
    print(f"LlamaIndex tracing overhead — one RAG query, {ROUNDS}x{QUERIES} queries per variant\n")
    print(table(["variant", "spans/query", "CPU µs/query", "CPU µs added/span"], rows))
    print("\nHot path — one query replayed into our handlers, no encoding\n")
    print(table(["replay", "CPU µs/recorded span"], [hot_path(), legacy_hot_path()]))
    print(f"\n{encoding(50 if QUICK else 200)}")
    print(f"\n{load.report()}")
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
