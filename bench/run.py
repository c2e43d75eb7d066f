"""Runs every benchmark and prints their tables (``make bench``).

What it measures
    bench_langchain.py  µs added per span by our LangChain Tracer end to end (and by a no-op
                        handler, LangChain's BaseTracer and OpenInference, for comparison) over
                        running with no callbacks; µs per streamed token.
    bench_store.py      bytes held per finished span; time to encode and to flush 100,000 spans
                        to the SQLite store; peak memory encoding large payloads.
    bench_spill.py      spill throughput (spans/s encoded and written on one core) and spill lag
                        (age of the oldest finished trace not yet on disk, CPU-bound loop), with
                        the µs added per span in that same loop (both figures of issue 17).
    bench_llamaindex.py µs added per span of a LlamaIndex RAG query, per event path, against
                        LlamaDebugHandler and OpenInference.
    bench_metrics.py    complexity metrics throughput (fresh and cached 200-word texts) and the
                        callback cost with metrics on vs off (issue 5).
    bench_viewer.py     viewer API and browser latency on a 10,000-trace / 150,000-span session
                        (issue 6; the browser rows need /usr/bin/chromium).
    bench_evaluate.py   µs per example that chaintracer.evaluate adds over calling the target
                        directly (issue 14), and the time of summary()/compare() statistics.
    bench_otlp.py       the hot path with the otlp backend (must equal local-only) and spans/s
                        exported to a real Phoenix (issue 16; needs .venv-phoenix for the latter).
    Each runs in its own process, one after the other, so neither disturbs the other's memory
    or timings. Targets (issue 17): ≤ 8 µs added per span (LangChain, LlamaIndex
    instrumentation), ≤ 6 (LlamaIndex callback manager), ≤ 500 B held per finished span, flush
    of 100,000 spans ≤ 0.5 s, spill ≥ 50,000 spans/s, ≤ 1 µs per streamed token. Results and
    what each optimisation gave: docs/performance.md.

How to rerun
    make bench                              # installs the bench extra (OpenInference), runs all
    .venv/bin/python bench/run.py           # all, full (about 10 minutes on 2 busy cores)
    .venv/bin/python bench/run.py --quick   # all, short runs (rougher numbers)
    or one of them: .venv/bin/python bench/bench_langchain.py [--quick]

Other programs running at the same time make the numbers noisy; the scripts say how busy the
machine was. No timing is asserted anywhere; this only prints.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = (
    "bench_langchain.py",
    "bench_store.py",
    "bench_spill.py",
    "bench_llamaindex.py",
    "bench_metrics.py",
    "bench_viewer.py",
    "bench_evaluate.py",
    "bench_otlp.py",
)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if any(arg in ("-h", "--help") for arg in args):
        print(__doc__)
        return 0
    unknown = [arg for arg in args if arg != "--quick"]
    if unknown:
        print(f"run.py: unknown argument(s) {' '.join(unknown)}; only --quick is accepted", file=sys.stderr)
        return 2
    started = time.perf_counter()
    status = 0
    for script in BENCHES:
        print(f"==> {script} {' '.join(args)}".rstrip(), flush=True)
        result = subprocess.run([sys.executable, str(HERE / script), *args], check=False)
        if result.returncode != 0:
            print(f"{script} failed with exit code {result.returncode}", file=sys.stderr)
            status = result.returncode
        print(flush=True)
    print(f"all benchmarks took {time.perf_counter() - started:.0f} s")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
