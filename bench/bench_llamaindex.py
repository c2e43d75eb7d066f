"""LlamaIndex tracing overhead: µs added per recorded span for one RAG query, per variant.

One query of a small VectorStoreIndex (MockLLM, MockEmbedding) under: no handlers, a no-op
instrumentation event handler, LlamaDebugHandler, and our tracer on the legacy path, the
instrumentation path, and both. Rounds interleave the variants; medians; the worker is drained
outside the timed region and its time reported apart ("drain").

Rerun: .venv/bin/python bench/bench_llamaindex.py [--quick]
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time

from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.callbacks import CallbackManager, LlamaDebugHandler
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.llms import MockLLM
from workload import MachineLoad, median, table

from llamaindex_tracer import Tracer

QUICK = "--quick" in sys.argv
ROUNDS, QUERIES = (8, 10) if QUICK else (30, 20)
DOCS = [Document(text=f"document {i} about topic {i % 3}. " * 5) for i in range(20)]


class NoOpEvents(BaseEventHandler):
    def handle(self, event, **kwargs):
        return None


def build(handlers):
    Settings.callback_manager = CallbackManager(handlers)
    return VectorStoreIndex.from_documents(DOCS).as_query_engine(similarity_top_k=2)


def recorded_spans() -> int:
    """Spans our tracer records for one query (what 'per span' divides by)."""
    tracer = Tracer(store=os.path.join(tempfile.mkdtemp(), "count.db"))
    engine = build([])
    tracer.instrument()
    engine.query("topic 1")
    tracer.uninstrument()
    return tracer.flush_tracker(name="count", finish=True).summary["spans"]


def main() -> None:
    load = MachineLoad()
    Settings.llm = MockLLM(max_tokens=8)
    Settings.embed_model = MockEmbedding(embed_dim=8)
    root = get_dispatcher()
    tmp = tempfile.mkdtemp()
    spans = recorded_spans()

    def tracer(name):
        return Tracer(store=os.path.join(tmp, f"{name}.db"))

    legacy, instrumented, both = tracer("legacy"), tracer("instrumentation"), tracer("both")
    # Settings.callback_manager is process-wide and some components read it at query time:
    # each variant keeps its handlers and installs them before its own timed block.
    variants = {
        "none": ([], None, None),
        "no-op instrumentation event handler": ([], NoOpEvents(), None),
        "LlamaDebugHandler (legacy)": ([LlamaDebugHandler(print_trace_on_end=False)], None, None),
        "ours: legacy CallbackManager": ([legacy], None, legacy),
        "ours: instrumentation": ([], "instrument", instrumented),
        "ours: both paths": ([both], "instrument", both),
    }
    engines = {name: build(handlers) for name, (handlers, _, _) in variants.items()}
    times: dict[str, list[float]] = {name: [] for name in variants}
    drains: dict[str, list[float]] = {name: [] for name in variants}
    for name, (handlers, _, _) in variants.items():
        Settings.callback_manager = CallbackManager(handlers)
        engines[name].query("warm up")
    for _ in range(ROUNDS):
        for name, (handlers, extra, ours) in variants.items():
            engine = engines[name]
            Settings.callback_manager = CallbackManager(handlers)
            if extra == "instrument":
                ours.instrument()
            elif extra is not None:
                root.add_event_handler(extra)
            gc.collect()
            start = time.perf_counter()
            for _ in range(QUERIES):
                engine.query("what is topic 1 about?")
            times[name].append((time.perf_counter() - start) / QUERIES * 1e6)
            if ours is not None:
                start = time.perf_counter()
                ours._worker.drain(60)
                drains[name].append((time.perf_counter() - start) / QUERIES * 1e6)
                ours.uninstrument()
            elif extra is not None:
                root.event_handlers.remove(extra)
    base = median(times["none"])
    rows = []
    for name in variants:
        per_query = median(times[name])
        drain = median(drains[name]) if drains[name] else 0.0
        rows.append(
            [name, f"{per_query:,.0f}", f"{(per_query - base) / spans:.1f}", f"{drain / spans:.1f}" if drain else "-"]
        )
    print(f"LlamaIndex tracing overhead — one RAG query, {spans} recorded spans, {ROUNDS}x{QUERIES} queries\n")
    print(table(["variant", "µs/query", "µs added/span", "drain µs/span"], rows))
    for ours in (legacy, instrumented, both):
        ours.flush_tracker(name="bench", finish=True)
    print(f"\n{load.report()}")


if __name__ == "__main__":
    main()
