"""A session as static HTML for Jupyter (``SessionInfo._repr_html_``): summary, trace table, one timeline.

No script (notebooks drop it) and no viewer: it reads the store's named methods only, so the
core never imports the viewer. The table shows each trace's question and answer as the store's
previews hold them (``chaintracer.previews``), numbered from 1 as the CLI and the viewer number
traces. Every text from a trace is escaped.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from chaintracer.store import Store
from chaintracer.terminal import format_usd

FRAGMENT_TRACES = 10
FRAGMENT_SPANS = 60
KIND_COLORS = {
    "agent": "#7c3aed",
    "chain": "#2563eb",
    "llm": "#059669",
    "chat_model": "#65a30d",
    "tool": "#ea580c",
    "retriever": "#ca8a04",
    "embedding": "#db2777",
    "reranker": "#c026d3",
    "parser": "#64748b",
    "prompt": "#0ea5e9",
}
OTHER_COLOR = "#6b7280"
ERROR_COLOR = "#dc2626"
WARN_COLOR = "#b45309"
_NOWRAP = "white-space:nowrap;overflow:hidden;text-overflow:ellipsis"


def session_html(store: Store, session_id: str) -> str:
    """A compact, static HTML view of a session for ``_repr_html_`` (no script: notebooks drop it).

    Summary line, the first traces as a table, and the span waterfall of the first failed trace
    (or the first trace). Every text from the trace is escaped.
    """
    session = store.session_detail(session_id)
    rows, _ = store.trace_page(session["id"], 0, FRAGMENT_TRACES, None, None, "seq")
    summary = session.get("summary") or {}
    tokens = (summary.get("tokens") or {}).get("total", 0)
    p50 = (summary.get("latency_ms") or {}).get("p50")
    e = html.escape
    tags = ", ".join(str(tag) for tag in session.get("tags") or [])
    # The headline is failed traces; errors inside traces that succeeded were handled (warnings).
    failed_traces = summary.get("trace_errors", 0)
    handled = session["handled_errors"]
    parts = [
        '<div class="chaintracer-session" style="font-family:system-ui,-apple-system,\'Segoe UI\',sans-serif;'
        'font-size:13px;line-height:1.4;max-width:1100px">',
        f'<div style="font-size:15px;font-weight:600">{e(str(session["name"]))} '
        f'<span style="font-weight:400;color:#6b7280">{e(str(session["project"]))}'
        f"{' · ' + e(tags) if tags else ''} · {e(session['id'])}</span></div>",
        '<div style="color:#374151;margin:2px 0 6px">'
        f"{summary.get('traces', 0)} traces · "
        f'<span style="color:{ERROR_COLOR if failed_traces else "inherit"}">'
        f"{failed_traces} failed</span>"
        + (f' <span style="color:{WARN_COLOR}">({handled} handled errors)</span>' if handled else "")
        + f" · {summary.get('spans', 0)} spans · {tokens} tokens · cost {e(_cost(summary))} · p50 {_ms(p50)}</div>",
        _fragment_table(rows),
    ]
    more = session["stored_traces"] - len(rows)
    if more > 0:
        parts.append(f'<div style="color:#6b7280">… and {more} more traces</div>')
    # The first failed trace shown, else the first: its number is its place in the table.
    failed = [(n, row) for n, row in enumerate(rows, 1) if row["status"] == "error"]
    number, shown = failed[0] if failed else (1, rows[0] if rows else None)
    if shown is not None:
        tree = store.tree(session["id"], shown["seq"])
        parts.append(
            f'<div style="margin-top:8px;font-weight:600">Trace {number} timeline'
            f"{' (first failed trace)' if shown['status'] == 'error' else ''}</div>"
        )
        parts.append(_fragment_waterfall(tree))
    parts.append(
        '<div style="color:#6b7280;margin-top:6px">Full view: <code>chaintracer ui</code> · '
        f"<code>chaintracer report {e(session['id'])} -o report.html</code></div></div>"
    )
    return "".join(parts)


def _fragment_table(rows: list[dict[str, Any]]) -> str:
    e = html.escape
    cell = "padding:3px 8px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top"
    head = "".join(
        f'<th style="{cell};color:#6b7280;font-weight:600">{name}</th>'
        for name in ("#", "name", "question", "answer", "status", "latency", "tokens", "cost")
    )
    body = []
    for number, row in enumerate(rows, 1):
        error = row["status"] == "error"
        background = "background:#fef2f2;" if error else ""
        status_color = ERROR_COLOR if error else ("#b45309" if row["status"] == "incomplete" else "#15803d")
        body.append(
            f'<tr style="{background}"><td style="{cell}">{number}</td>'
            f'<td style="{cell}">{e(str(row["name"]))}</td>'
            f'<td style="{cell}">{e(_clip(row["input"]))}</td>'
            f'<td style="{cell}">{e(_clip(row["output"]))}</td>'
            f'<td style="{cell};color:{status_color};font-weight:600">{e(str(row["status"]))}</td>'
            f'<td style="{cell}">{_ms(row["latency_ms"])}</td><td style="{cell}">{row["tokens"]}</td>'
            f'<td style="{cell}">{e(format_usd(row.get("cost")))}</td></tr>'
        )
    return f'<table style="border-collapse:collapse;width:100%"><tr>{head}</tr>{"".join(body)}</table>'


def _fragment_waterfall(root: dict[str, Any]) -> str:
    e = html.escape
    spans: list[tuple[int, dict[str, Any]]] = []
    stack = [(0, root)]
    while stack and len(spans) < FRAGMENT_SPANS:
        depth, span = stack.pop()
        spans.append((depth, span))
        stack.extend((depth + 1, child) for child in reversed(span.get("children") or []))
    start = _ts(root.get("start_time"))
    end = max((_ts(span.get("end_time")) or 0.0) for _, span in spans) or start
    total = max((end or 0) - (start or 0), 1e-9)
    lines = []
    for depth, span in spans:
        s = _ts(span.get("start_time")) or start or 0
        f = _ts(span.get("end_time")) or s
        left = 100 * (s - (start or 0)) / total
        width = max(100 * (f - s) / total, 0.4)
        color = KIND_COLORS.get(str(span.get("kind")), OTHER_COLOR)
        error = span.get("status") == "error"
        outline = f"outline:2px solid {ERROR_COLOR};outline-offset:1px;" if error else ""
        message = ""
        if error and isinstance(span.get("error"), dict):
            message = f' <span style="color:{ERROR_COLOR}">{e(_clip(str(span["error"].get("message", "")), 80))}</span>'
        lines.append(
            '<div style="display:flex;align-items:center;height:20px">'
            f'<div style="width:34%;padding-left:{depth * 12}px;{_NOWRAP}">'
            f'<span style="color:{color}">●</span> {e(str(span.get("name")))} '
            f'<span style="color:#9ca3af">{e(str(span.get("kind")))}</span>{message}</div>'
            '<div style="position:relative;flex:1;height:12px">'
            f'<div style="position:absolute;left:{left:.3f}%;width:{width:.3f}%;height:12px;background:{color};'
            f'border-radius:2px;{outline}"></div></div>'
            f'<div style="width:70px;text-align:right;color:#6b7280">{_ms((f - s) * 1000)}</div></div>'
        )
    return "".join(lines)


def _cost(summary: dict[str, Any]) -> str:
    cost = summary.get("cost")
    return format_usd(cost.get("total")) if isinstance(cost, dict) else "-"


def _ts(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return None


def _ms(ms: Any) -> str:
    if not isinstance(ms, (int, float)):
        return "-"
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.1f} ms"


def _clip(text: Any, limit: int = 120) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
