"""OTLP export: spans per second sent to a real Phoenix, and the hot path with the otlp backend on.

What it measures
    1. Hot path. The LangChain workload of ``workload.py`` (17 spans per invoke) under:
         none                  no callbacks
         local                 ``langchain_tracer.Tracer(backends=["local"])``
         local + otlp          ``backends=["local", "otlp"]`` (export happens at flush only)
         local + otlp, stream  the same with ``stream_logs=True``: each finished trace is
                               mapped and sent from the streaming worker, concurrently
       Rounds of interleaved blocks, "µs added per span" = median over rounds of (block −
       the same round's no-callback block) / spans, as in ``bench_langchain.py``. Expected:
       "local + otlp" equals "local" (no OTLP code runs in a callback); the streaming row
       shows what a background exporter competing for the GIL costs.
       A second table replays the callback events LangChain emitted for one invoke straight
       into each tracer (fresh run ids per replay, as in ``bench_langchain.py``): the
       callbacks' own µs per span, without LangChain's dispatch and most of its noise.
    2. Export. A session of the same workload's traces (``--traces`` invokes, 17 spans each)
       flushed to the local store, then sent with ``OtlpExporter.export`` to a Phoenix started
       for the bench (its own venv, temporary folder, loopback):
         mapping     stored document -> OpenTelemetry spans (``otlp_mapping``), no I/O
         export      mapping + protobuf + HTTP until Phoenix answered every request
         ingested    until Phoenix's own API returns every span (its write pipeline)
       Medians over ``--repeat`` sessions, in spans per second; each session is fully ingested
       before the next is sent. Phoenix's ingestion (SQLite, here) is far slower than the
       export: the "ingested" row measures Phoenix, not chaintracer.

How to rerun
    .venv/bin/python bench/bench_otlp.py            # full run (Phoenix start ~20-90 s, then a few minutes)
    .venv/bin/python bench/bench_otlp.py --quick    # fewer rounds and traces
    CHAINTRACER_PHOENIX_URL=http://127.0.0.1:6006 .venv/bin/python bench/bench_otlp.py   # a running Phoenix

Without Phoenix (``make .venv-phoenix/.installed``) part 2 is skipped. No timing is asserted
anywhere; this only prints.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "otlp"))

from bench_langchain import Variant, fresh_ids, paired_added, record_events, replay_block, run_block
from opentelemetry.sdk.trace import SpanLimits
from phoenix_server import Phoenix, PhoenixError, free_port, start_phoenix
from workload import MachineLoad, Workload, count_spans, median, spread, table

from chaintracer.export import export_session
from chaintracer.exporters.otlp import OtlpExporter, OtlpExportError
from chaintracer.exporters.otlp_mapping import session_resource, trace_spans
from langchain_tracer import Tracer

for _name in [name for name in os.environ if name.startswith("OTEL_")]:
    del os.environ[_name]  # the bench decides where spans go


def hot_path(rounds: int, block: int, warmup: int, store_dir: str, endpoint: str) -> list[list[str]]:
    workload = Workload()
    spans = count_spans(workload)

    def tracer(name: str, **kwargs: Any) -> Tracer:
        return Tracer(store=str(Path(store_dir) / f"{name}.db"), project="bench-otlp", **kwargs)

    otlp = {"backends": ["local", "otlp"], "otlp_endpoint": endpoint}
    variants = [
        Variant("none", "none"),
        Variant("local", "local", tracer("local")),
        Variant("otlp", "local + otlp", tracer("otlp", **otlp)),
        Variant("stream", "local + otlp, stream_logs", tracer("stream", stream_logs=True, **otlp)),
    ]
    for variant in variants:
        for _ in range(warmup):
            workload.invoke(variant.config)
    for round_index in range(rounds):
        shift = round_index % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            run_block(workload, variant, block)
    base = variants[0]
    rows = []
    for variant in variants:
        if variant is base:
            rows.append([variant.label, f"{median(variant.wall):,.0f}", "0", "", "0"])
            continue
        added = paired_added(variant.wall, base.wall, spans)
        added_cpu = paired_added(variant.cpu, base.cpu, spans)
        rows.append(
            [
                variant.label,
                f"{median(variant.wall):,.0f}",
                f"{median(added):.1f}",
                f"±{spread(added):.1f}",
                f"{median(added_cpu):.1f}",
            ]
        )
        variant.handler.flush_tracker(name=variant.key, finish=True)
    return rows


def replay(rounds: int, replays_per_block: int, store_dir: str, endpoint: str) -> list[list[str]]:
    events = record_events(Workload())
    spans = sum(1 for name, _, _ in events if name.endswith("_start"))
    otlp = {"backends": ["local", "otlp"], "otlp_endpoint": endpoint}
    handlers = [
        ("local", Tracer(store=str(Path(store_dir) / "r-local.db"), project="bench-otlp")),
        ("local + otlp", Tracer(store=str(Path(store_dir) / "r-otlp.db"), project="bench-otlp", **otlp)),
        (
            "local + otlp, stream_logs",
            Tracer(store=str(Path(store_dir) / "r-stream.db"), project="bench-otlp", stream_logs=True, **otlp),
        ),
    ]
    results: dict[str, list[float]] = {label: [] for label, _ in handlers}
    for _, handler in handlers:  # warm-up
        replay_block(handler, fresh_ids(events, 20), False)
    for round_index in range(rounds):
        shift = round_index % len(handlers)
        for label, handler in handlers[shift:] + handlers[:shift]:
            hot_ns, _ = replay_block(handler, fresh_ids(events, replays_per_block), False)
            results[label].append(hot_ns / 1000 / (replays_per_block * spans))
    for label, handler in handlers:
        handler.flush_tracker(name=label, finish=True)
    return [[label, f"{median(values):.1f}", f"±{spread(values):.1f}"] for label, values in results.items()]


EXPORT_ATTEMPTS = 3


def export_with_retries(exporter: OtlpExporter, document: dict[str, Any]) -> bool:
    """Exports, sending again what a busy Phoenix refused (it answers 503 under heavy load).

    The time of the refused attempts counts in the rate; after the last refusal the session is
    left out of the table (with a warning) rather than ending the whole ``make bench`` run.
    """
    for attempt in range(1, EXPORT_ATTEMPTS + 1):
        try:
            # final=False: the exporter remembers which traces went through, so a retry sends the rest.
            exporter.export(document, final=False)
            return True
        except OtlpExportError as exc:
            print(f"warning: export attempt {attempt} of {EXPORT_ATTEMPTS} refused: {exc}", file=sys.stderr)
    return False


def export_rates(phoenix: Phoenix, invokes: int, repeat: int, store_dir: str) -> tuple[list[list[str]], int]:
    workload = Workload()
    mapping, export, ingested = [], [], []
    spans = 0
    for index in range(repeat):
        project = f"bench-otlp-{uuid.uuid4().hex[:8]}"
        tracer = Tracer(store=str(Path(store_dir) / f"export-{index}.db"), project=project)
        for _ in range(invokes):
            workload.invoke({"callbacks": [tracer]})
        info = tracer.flush_tracker(name="export", finish=True)
        document = export_session(tracer.store, info.id)
        spans = info.summary["spans"]

        started = time.perf_counter()
        resource = session_resource(project, {})
        limits = SpanLimits()
        for root in document["traces"]:
            trace_spans(root, document["session"], resource, limits)
        mapping.append(spans / (time.perf_counter() - started))

        exporter = OtlpExporter(endpoint=phoenix.url)
        started = time.perf_counter()
        if not export_with_retries(exporter, document):
            exporter.shutdown()
            continue
        export.append(spans / (time.perf_counter() - started))
        # Polled every few seconds: Phoenix's API pages through every span on each poll.
        received = len(phoenix.spans(project, spans, budget_s=900, poll_s=5.0))
        ingested.append(spans / (time.perf_counter() - started))
        exporter.shutdown()
        if received != spans:
            print(f"warning: Phoenix holds {received} of {spans} spans of {project}", file=sys.stderr)
    rows = [
        ["mapping (no I/O)", f"{median(mapping):,.0f}", f"±{spread(mapping):,.0f}"],
        ["export to Phoenix (HTTP answered)", f"{median(export):,.0f}", f"±{spread(export):,.0f}"],
        ["until Phoenix's API returns them all", f"{median(ingested):,.0f}", f"±{spread(ingested):,.0f}"],
    ]
    return rows, spans


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (rougher numbers)")
    parser.add_argument("--rounds", type=int, help="rounds of interleaved blocks (hot path)")
    parser.add_argument("--block", type=int, help="invokes per block (hot path)")
    parser.add_argument("--traces", type=int, help="workload invokes per exported session (17 spans each)")
    parser.add_argument("--repeat", type=int, help="exported sessions")
    args = parser.parse_args(argv)
    rounds = args.rounds or (10 if args.quick else 40)
    block = args.block or (6 if args.quick else 10)
    invokes = args.traces or (30 if args.quick else 100)
    repeat = args.repeat or (2 if args.quick else 3)

    # A terminated bench still stops the Phoenix it started (the finally clause below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load = MachineLoad()
    with tempfile.TemporaryDirectory(prefix="chaintracer-bench-otlp-") as work:
        phoenix: Phoenix | None = None
        started = time.perf_counter()
        try:
            if os.environ.get("CHAINTRACER_PHOENIX_URL"):
                phoenix = Phoenix(os.environ["CHAINTRACER_PHOENIX_URL"])
            else:
                phoenix = start_phoenix(Path(work))
                print(f"Phoenix started in {time.perf_counter() - started:.0f} s")
        except PhoenixError as exc:
            print(f"no Phoenix, export rates skipped: {str(exc).splitlines()[0]}")
        try:
            endpoint = phoenix.url if phoenix else f"http://127.0.0.1:{free_port()}"
            rows = hot_path(rounds, block, 10 if args.quick else 30, work, endpoint)
            print()
            print(f"Hot path with the otlp backend — 17 spans per invoke, {rounds} rounds x {block} invokes (medians)")
            print(table(["variant", "µs/invoke", "µs added/span", "±", "added/span (CPU)"], rows))
            print()
            print("Callbacks alone (replayed events), µs per span")
            print(
                table(
                    ["tracer", "µs/span", "±"],
                    replay(20 if not args.quick else 8, 100 if not args.quick else 40, work, endpoint),
                )
            )
            if phoenix is not None:
                export_rows, spans = export_rates(phoenix, invokes, repeat, work)
                print()
                print(f"Export of a {spans:,}-span session ({invokes} invokes) to Phoenix, {repeat} sessions")
                print(table(["step", "spans/s", "±"], export_rows))
        finally:
            if phoenix is not None:
                phoenix.stop()
    print()
    print(load.report())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
