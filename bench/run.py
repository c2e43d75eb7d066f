"""Runs every benchmark and prints their tables (``make bench``).

What it measures
    bench_langchain.py  µs added per span by our LangChain Tracer (and by a no-op handler and a
                        no-op BaseTracer, for comparison) over running with no callbacks.
    bench_store.py      bytes held per finished span; time to encode and to flush 100,000 spans
                        to the SQLite store.
    bench_llamaindex.py µs added per dispatcher span of a LlamaIndex RAG query, per event path.
    bench_metrics.py    complexity metrics throughput (fresh and cached 200-word texts) and the
                        callback cost with metrics on vs off (issue 5).
    bench_viewer.py     viewer API and browser latency on a 10,000-trace / 150,000-span session
                        (issue 6; the browser rows need /usr/bin/chromium).
    bench_evaluate.py   µs per example that chaintracer.evaluate adds over calling the target
                        directly (issue 14), and the time of summary()/compare() statistics.
    bench_otlp.py       the hot path with the otlp backend (must equal local-only) and spans/s
                        exported to a real Phoenix (issue 16; needs .venv-phoenix for the latter).
    Each runs in its own process, one after the other, so neither disturbs the other's memory
    or timings. Targets (issue 2): ≤ 12 µs added per span, ≤ 1 KB held per finished span,
    flush of 100,000 spans ≤ 1 s.

How to rerun
    .venv/bin/python bench/run.py           # both, full (about 3 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick   # both, short runs (rougher numbers)
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
