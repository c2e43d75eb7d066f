"""How fast the viewer lists, opens and searches a session of 10,000 traces / 150,000 spans.

What it measures
    A store is built (rows written directly with ``Store.write_session`` and ``EncodedTrace``):
    one big session of 10,000 traces of 15 spans (150,000 spans; every 50th trace fails), a
    second session of 2,000 traces with the same inputs (for the comparison), and 500 small
    sessions so that the sessions list is not trivially short. Then ``chaintracer ui``'s
    server runs in a thread and each view's API calls are timed over HTTP (urllib, a new
    connection per call, as a browser's first visit): median, p95 and max of ``--runs`` calls
    after one warm-up, and the response size. "page" rows add up the calls a view makes to
    show itself. Target (issue 6): a view of the big session lists and opens in under 1 s.
    With Chromium at /usr/bin/chromium it also times the real pages: a first load (navigation
    until the rows or bars are there; includes Chromium starting a renderer process) and moving
    between views inside the app as a user clicks (hash change until the frame that shows them).
    Full-text search (SQLite FTS5 over every span's name, inputs, outputs, error and attributes)
    is timed over the whole store and inside the big session, for a rare word (one trace) and a
    common one (40,000 spans); and once, the upgrade of a store written before the index
    existed (indexing every stored span).

How to rerun
    .venv/bin/python bench/bench_viewer.py            # full (builds the store: ~30 s on 2 cores)
    .venv/bin/python bench/bench_viewer.py --quick    # 2,000 traces, fewer runs
    options: --traces N  --runs N  --store PATH (kept, and reused when it exists)  --no-browser

No timing is asserted; this only prints. Other programs using the CPU make the numbers noisy;
the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from chaintracer.encoding import EncodedTrace, iso  # noqa: E402
from chaintracer.stats import TraceStats  # noqa: E402
from chaintracer.store import Store, derived  # noqa: E402
from chaintracer.viewer.server import ViewerServer  # noqa: E402

SPANS_PER_TRACE = 15
TARGET_MS = 1000.0
CHROMIUM = "/usr/bin/chromium"


# -- the store -------------------------------------------------------------------------------


def _span(trace_id: str, parent: str | None, name: str, kind: str, start: int, end: int, **extra: Any) -> dict:
    span_id = uuid.uuid4().hex
    return {
        "span_id": span_id,
        "trace_id": trace_id,
        "parent_id": parent,
        "name": name,
        "kind": kind,
        "status": extra.pop("status", "ok"),
        "error": extra.pop("error", None),
        "start_time": iso(start),
        "end_time": iso(end),
        "inputs": extra.pop("inputs", None),
        "outputs": extra.pop("outputs", None),
        "attributes": extra.pop("attributes", {}),
        "metrics": {},
        "children": [],
    }


def make_trace(index: int, start_ns: int, question: str, answer_prefix: str) -> EncodedTrace:
    """An agent trace of 15 spans: root, 7 steps, each with a model or a tool call."""
    ms = 1_000_000
    trace_id = uuid.uuid4().hex
    failing = index % 50 == 49
    root = _span(trace_id, None, "agent", "agent", start_ns, start_ns + 70 * ms, inputs={"input": question})
    root["span_id"] = trace_id
    tokens_total = 0
    for step in range(7):
        s0 = start_ns + step * 10 * ms
        chain = _span(trace_id, trace_id, f"step_{step}", "chain", s0, s0 + 9 * ms, inputs={"step": step})
        if step % 2 == 0:
            tokens = {"prompt": 40 + step, "completion": 12, "total": 52 + step}
            tokens_total += tokens["total"]
            child = _span(
                trace_id, chain["span_id"], "ChatModel", "chat_model", s0 + ms, s0 + 8 * ms,
                inputs=[[{"role": "human", "content": question}]],
                outputs={"generations": [[{"text": f"thought {step} about {question}"}]]},
                attributes={"model": "bench-chat", "tokens": tokens, "invocation_params": {"temperature": 0.2}},
            )  # fmt: skip
        else:
            child = _span(
                trace_id, chain["span_id"], "search", "tool", s0 + ms, s0 + 8 * ms,
                inputs={"query": question}, outputs=f"result {index}-{step}",
            )  # fmt: skip
        if failing and step == 6:
            error = {
                "type": "ValueError",
                "message": f"tool failed on {index}",
                "traceback": "Traceback ...\nValueError",
            }
            for node in (child, chain, root):
                node["status"], node["error"] = "error", error
        chain["children"].append(child)
        root["children"].append(chain)
    output = None if failing else f"{answer_prefix} {question}"
    root["outputs"] = output
    return EncodedTrace(
        trace_id=trace_id,
        name="agent",
        kind="agent",
        status=root["status"],
        start_ns=start_ns,
        end_ns=start_ns + 70 * ms,
        input_preview=question,
        output_preview=output if output is not None else f"tool failed on {index}",
        stats=TraceStats(spans=SPANS_PER_TRACE, errors=3 if failing else 0, total_tokens=tokens_total),
        tree_json=json.dumps(root, separators=(",", ":")),
    )


def write_session(store: Store, name: str, traces: int, answer_prefix: str, project: str = "bench") -> str:
    session_id = uuid.uuid4().hex
    now = time.time_ns() - traces * 100_000_000
    encoded = [make_trace(i, now + i * 100_000_000, f"question number {i}?", answer_prefix) for i in range(traces)]
    failed = sum(trace.status == "error" for trace in encoded)
    record = {
        "id": session_id,
        "project": project,
        "name": name,
        "tags": ["bench", name.split("-")[0]],
        "group": "viewer",
        "started_at": iso(encoded[0].start_ns),
        "ended_at": iso(encoded[-1].end_ns),
        "config": {"project": project, "answer_prefix": answer_prefix},
        "summary": {
            "traces": traces,
            "spans": traces * SPANS_PER_TRACE,
            "errors": failed * 3,
            "trace_errors": failed,
            "tokens": {"total": sum(t.stats.total_tokens for t in encoded)},
            "latency_ms": {"p50": 70.0, "p95": 70.0, "max": 70.0},
        },
        "model": {"type": "Agent", "name": name, "nodes": [], "edges": []},
    }
    store.write_session(record, encoded)
    return session_id


def build_store(path: str, traces: int, small_sessions: int) -> dict[str, str]:
    store = Store(path)
    try:
        started = time.perf_counter()
        ids = {"big": write_session(store, "big-session", traces, "answer to")}
        ids["compare"] = write_session(store, "compare-session", max(2, traces // 5), "reply to")
        for index in range(small_sessions):
            write_session(store, f"small-{index}", 1, "answer to", project=f"project-{index % 7}")
        size = os.path.getsize(path) / 1e6
        print(f"built {path}: {traces:,} + {traces // 5:,} traces, {small_sessions} small sessions, {size:.0f} MB "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        return ids
    finally:
        store.close()


def existing_ids(path: str) -> dict[str, str]:
    store = Store(path, create=False)
    try:
        return {"big": store.resolve("big-session"), "compare": store.resolve("compare-session")}
    finally:
        store.close()


# -- measuring --------------------------------------------------------------------------------


def fetch(url: str) -> tuple[float, int]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        raise SystemExit(f"bench_viewer: {url} answered {error.code}: {error.read().decode()[:300]}") from None
    return (time.perf_counter() - started) * 1000, len(body)


def measure(base: str, paths: list[str], runs: int) -> tuple[list[float], int]:
    """Per run, the total time of the calls in ``paths`` (made one after the other)."""
    for path in paths:
        fetch(base + path)  # warm-up
    totals, size = [], 0
    for _ in range(runs):
        total, size = 0.0, 0
        for path in paths:
            ms, nbytes = fetch(base + path)
            total += ms
            size += nbytes
        totals.append(total)
    return totals, size


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(0.95 * len(ordered) + 0.5) - 1))]


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for index, row in enumerate([headers, *rows]):
        cells = [str(c).ljust(widths[i]) if i < 2 else str(c).rjust(widths[i]) for i, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


NAVIGATE = """async ([hash, ready]) => {
  const started = performance.now();
  location.hash = hash;
  while (!document.querySelector(ready)) await new Promise((resolve) => requestAnimationFrame(resolve));
  await new Promise((resolve) => requestAnimationFrame(resolve));  // the frame that shows it
  return performance.now() - started;
}"""


def browser_times(base: str, big: str, seq: int, runs: int) -> list[list[str]]:
    """Chromium: a first load of each view, and moving between views inside the app (clicks)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return []
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run"]  # fmt: skip
    views = [
        ("sessions list", "#/", "#sessions-table tbody tr"),
        ("session page (trace table)", f"#/session/{big}", "#trace-table tbody tr"),
        ("trace timeline", f"#/session/{big}/trace/{seq}", "#timeline .bar"),
        ("search in the session", f"#/session/{big}?q={seq}", "#trace-table tr.match-row"),
    ]
    first: dict[str, list[float]] = {label: [] for label, _, _ in views}
    inside: dict[str, list[float]] = {label: [] for label, _, _ in views}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        for run in range(runs + 1):
            for label, fragment, ready in views:
                page.goto("about:blank")
                started = time.perf_counter()
                page.goto(base + fragment)
                page.wait_for_selector(ready)
                if run:
                    first[label].append((time.perf_counter() - started) * 1000)
            for label, fragment, ready in views:  # list -> session -> trace, as a user clicks
                elapsed = page.evaluate(NAVIGATE, [fragment, ready])
                if run:
                    inside[label].append(elapsed)
        browser.close()
    rows = []
    for kind, times in (("browser: first load", first), ("browser: in-app navigation", inside)):
        for label, _, _ in views:
            values = times[label]
            median = statistics.median(values)
            rows.append([label, kind, f"{median:.0f}", f"{p95(values):.0f}", f"{max(values):.0f}", "",
                         "yes" if median < TARGET_MS else "NO"])  # fmt: skip
    return rows


def time_upgrade(path: str) -> float:
    """Seconds to index every stored trace afresh, as upgrading a schema-4 store does (rolled back)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        started = time.perf_counter()
        derived.index_all(conn)
        return time.perf_counter() - started
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def figures(rows: list[list[str]], traces: int) -> str:
    """Issue 15's two figures, picked from the table: search latency and a big session's page load."""
    median = {row[0] + " | " + row[1]: row[2] for row in rows}

    def ms(label: str, call: str) -> str:
        value = median.get(f"{label} | {call}")
        return f"{value} ms" if value is not None else "not measured"

    spans = traces * SPANS_PER_TRACE
    return (
        f"\nsearch latency at {spans:,} spans (median): whole store"
        f" {ms('search whole store, rare word', 'GET /api/search?q=9999')} (rare word)"
        f" / {ms('search whole store, common', 'GET /api/search?q=thought')} (common word);"
        f" inside the session {ms('trace table: search, rare word', 'GET .../traces?q=9999')}"
        f" / {ms('trace table: search, common', 'GET .../traces?q=thought')}\n"
        f"page load of the {traces:,}-trace session (median): API"
        f" {ms('session page (both calls)', 'summary + first 50 traces')};"
        f" browser first load {ms('session page (trace table)', 'browser: first load')},"
        f" in-app navigation {ms('session page (trace table)', 'browser: in-app navigation')}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 traces and 5 runs")
    parser.add_argument("--traces", type=int, default=None, help="traces in the big session (default 10,000)")
    parser.add_argument("--runs", type=int, default=None, help="timed calls per row (default 20)")
    parser.add_argument("--store", default=None, help="store to build (kept; reused when it exists)")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium page timings")
    args = parser.parse_args(argv)
    traces = args.traces or (2000 if args.quick else 10_000)
    runs = args.runs or (5 if args.quick else 20)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.store or str(Path(tmp) / "bench-viewer.db")
        ids = existing_ids(path) if args.store and Path(path).exists() else build_store(path, traces, 500)
        store = Store(path, create=False)
        server = ViewerServer(store, "127.0.0.1", 0)
        server.start_background()
        base = server.url.rstrip("/")
        big, other = ids["big"], ids["compare"]
        middle = traces // 2
        rare = traces - 1  # "question number 9999?": the spans of one trace
        views = [
            ("sessions list", "GET /api/sessions", ["/api/sessions"]),
            ("sessions list, filtered", "GET /api/sessions?status=error&q=big", ["/api/sessions?status=error&q=big"]),
            ("session page: summary", "GET /api/sessions/ID", [f"/api/sessions/{big}"]),
            ("session page: first 50 traces", "GET .../traces?limit=50", [f"/api/sessions/{big}/traces?limit=50"]),
            ("session page (both calls)", "summary + first 50 traces",
             [f"/api/sessions/{big}", f"/api/sessions/{big}/traces?limit=50"]),
            ("trace table: last page", "GET .../traces?offset=9950",
             [f"/api/sessions/{big}/traces?limit=50&offset={max(0, traces - 50)}"]),
            ("trace table: errors only", "GET .../traces?status=error", [f"/api/sessions/{big}/traces?status=error"]),
            ("trace table: slowest first", "GET .../traces?sort=latency", [f"/api/sessions/{big}/traces?sort=latency"]),
            ("trace table: search, rare word", "GET .../traces?q=9999", [f"/api/sessions/{big}/traces?q={rare}"]),
            ("trace table: search, common", "GET .../traces?q=thought", [f"/api/sessions/{big}/traces?q=thought"]),
            ("search whole store, rare word", "GET /api/search?q=9999", [f"/api/search?q={rare}"]),
            ("search whole store, common", "GET /api/search?q=thought", ["/api/search?q=thought"]),
            ("session charts", "GET .../charts", [f"/api/sessions/{big}/charts"]),
            ("trace timeline (one tree)", f"GET .../traces/{middle}", [f"/api/sessions/{big}/traces/{middle}"]),
            ("compare big vs 2nd session", "GET /api/compare?ids=A,B", [f"/api/compare?ids={big},{other}"]),
        ]  # fmt: skip
        rows = []
        try:
            load_before = os.getloadavg()[0]
            for label, call, paths in views:
                times, size = measure(base, paths, runs)
                median = statistics.median(times)
                rows.append([label, call, f"{median:.1f}", f"{p95(times):.1f}", f"{max(times):.1f}",
                             f"{size / 1024:.1f}", "yes" if median < TARGET_MS else "NO"])  # fmt: skip
            if not args.no_browser and Path(CHROMIUM).exists():
                rows += browser_times(server.url, big, middle, max(3, runs // 4))
            load_after = os.getloadavg()[0]
            upgrade_s = time_upgrade(path)
        finally:
            server.shutdown()
            server.server_close()
            store.close()
    print()
    print(f"viewer API over HTTP, big session: {traces:,} traces / {traces * SPANS_PER_TRACE:,} spans; "
          f"{runs} runs per row; milliseconds")  # fmt: skip
    print(table(["view", "call", "median", "p95", "max", "KiB", "< 1 s"], rows))
    print(figures(rows, traces))
    print(f"\nupgrading a store written before the index (schema 4): {upgrade_s:.1f} s to index its "
          f"{(traces + max(2, traces // 5) + 500) * SPANS_PER_TRACE:,} spans (once, by the first writer)")  # fmt: skip
    print(f"load average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} cores (others' work adds noise)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
