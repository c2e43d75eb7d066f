"""``chaintracer report``: sessions as one self-contained HTML file, and a Jupyter fragment.

The report is the viewer's own page with its data embedded: the same JSON the API serves, in a
``<script type="application/json">`` whose ``<`` are escaped, and the same JS and CSS inline.
Its Content-Security-Policy allows that one script (by hash) and no network at all.
"""

from __future__ import annotations

import base64
import hashlib
import html
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from chaintracer import __version__
from chaintracer.export import annotate_tree
from chaintracer.store import ExperimentNotFound, SessionNotFound, Store
from chaintracer.viewer import api
from chaintracer.viewer.server import SCRIPTS

DEFAULT_MAX_TRACES = 1000
MAX_COMPARE_GROUPS = 500
MAX_EXPERIMENT_EXAMPLES = 1000
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


def _static(name: str) -> str:
    return resources.files("chaintracer.viewer").joinpath("static", name).read_text(encoding="utf-8")


def embed_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>``, ``&`` or line separators left raw."""
    text = api.dumps(value)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


def report_data(store: Store, refs: list[str], max_traces: int = DEFAULT_MAX_TRACES) -> dict[str, Any]:
    """Everything the report's views read, for the given sessions (ids or names) and experiments (ids or names).

    An experiment brings its page and every session of its variants. Sessions are listed as
    the viewer lists them: newest first.
    """
    ids, experiments = _resolve(store, refs)
    ids = _newest_first(store, ids)
    details, traces, artifacts, charts = {}, {}, {}, {}
    for session_id in ids:
        details[session_id] = api.session_detail(store, session_id)
        charts[session_id] = api.session_charts(store, session_id)
        page = api.trace_page(store, session_id, offset=0, limit=max_traces) if max_traces else None
        rows = page["rows"] if page else []
        annotations = store.annotations(session_id)
        trees = {}
        refs_used: set[str] = set()
        for number, (_, root) in enumerate(store.first_trees(session_id, max_traces), start=1):
            trees[str(number)] = annotate_tree(root, annotations)
            refs_used.update(_visualization_refs(root))
        traces[session_id] = {"rows": rows, "total": details[session_id]["stored_traces"], "trees": trees}
        artifacts[session_id] = {}
        for ref in sorted(refs_used):
            try:
                media_type, content = store.artifact(session_id, ref)
            except LookupError:
                continue
            artifacts[session_id][ref] = {"media_type": media_type, "content": content}
    return {
        "mode": "report",
        "version": __version__,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "store": store.path.name,
        "sessions": api.session_items(store, ids),
        "details": details,
        "charts": charts,
        "traces": traces,
        "artifacts": artifacts,
        "compare": api.compare(store, ids, 0, MAX_COMPARE_GROUPS, most=None) if len(ids) >= 2 else None,
        "experiments": [
            api.experiment_detail(store, experiment_id, limit=MAX_EXPERIMENT_EXAMPLES, all_baselines=True)
            for experiment_id in experiments
        ],
    }


def _resolve(store: Store, refs: list[str]) -> tuple[list[str], list[str]]:
    """``(session ids, experiment ids)`` that ``refs`` name; an experiment adds its sessions."""
    ids: list[str] = []
    experiments: list[str] = []
    for ref in refs:
        try:
            found = [store.resolve(ref)]
        except SessionNotFound:
            try:
                experiment = store.experiment(ref)
            except ExperimentNotFound:
                raise SessionNotFound(f"no session or experiment with id or name {ref!r} in {store.path}") from None
            if experiment["id"] not in experiments:
                experiments.append(experiment["id"])
            found = [row["session_id"] for row in store.experiment_sessions(experiment["id"])]
        ids += [session_id for session_id in found if session_id not in ids]
    return ids, experiments


def _newest_first(store: Store, ids: list[str]) -> list[str]:
    """The sessions in the viewer's order: newest first (by end time)."""
    ended = {row["id"]: row["ended_at"] for row in store.session_rows(ids)}
    return sorted(ids, key=lambda session_id: ended.get(session_id, ""), reverse=True)


def build_report(store: Store, refs: list[str], max_traces: int = DEFAULT_MAX_TRACES) -> tuple[str, dict[str, Any]]:
    """``(html, info)``: the report page and what it holds (``names``, ``notes`` for the user)."""
    data = report_data(store, refs, max_traces)
    notes = []
    for item in data["sessions"]:
        held = len(data["traces"][item["id"]]["rows"])
        total = data["traces"][item["id"]]["total"]
        if held < total:
            notes.append(f"session {item['name']}: the report holds the first {held} of {total} traces (--max-traces)")
    script = "\n".join(_static(name) for name in SCRIPTS)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    csp = (
        f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
        "font-src data:; base-uri 'none'; form-action 'none'"
    )
    title = "chaintracer report: " + ", ".join(item["name"] for item in data["sessions"])
    page = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{_static('app.css')}\n</style>\n</head>\n<body>\n"
        '<div id="app"></div>\n'
        f'<script type="application/json" id="ct-data">{embed_json(data)}</script>\n'
        f"<script>{script}</script>\n</body>\n</html>\n"
    )
    return page, {"names": [item["name"] for item in data["sessions"]], "notes": notes}


def _visualization_refs(span: dict[str, Any]) -> set[str]:
    refs: set[str] = set()
    stack = [span]
    while stack:
        node = stack.pop()
        views = (node.get("attributes") or {}).get("visualizations")
        if isinstance(views, dict):
            refs.update(ref for ref in views.values() if isinstance(ref, str))
        stack.extend(node.get("children") or [])
    return refs


# -- Jupyter ---------------------------------------------------------------------------------


def session_html(store: Store, session_id: str) -> str:
    """A compact, static HTML view of a session for ``_repr_html_`` (no script: notebooks drop it).

    Summary line, the first traces as a table, and the span waterfall of the first failed trace
    (or the first trace). Every text from the trace is escaped.
    """
    session = api.session_detail(store, session_id)
    rows = api.trace_page(store, session["id"], limit=FRAGMENT_TRACES)["rows"]
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
        f"{summary.get('traces', 0)} traces · {summary.get('spans', 0)} spans · "
        f'<span style="color:{ERROR_COLOR if failed_traces else "inherit"}">'
        f"{failed_traces} failed traces</span>"
        + (f' <span style="color:{WARN_COLOR}">({handled} handled errors)</span>' if handled else "")
        + f" · {tokens} tokens · p50 {_ms(p50)}</div>",
        _fragment_table(rows),
    ]
    more = session["stored_traces"] - len(rows)
    if more > 0:
        parts.append(f'<div style="color:#6b7280">… and {more} more traces</div>')
    failed = next((row for row in rows if row["status"] == "error"), rows[0] if rows else None)
    if failed is not None:
        tree = store.tree(session["id"], failed["seq"])
        parts.append(
            f'<div style="margin-top:8px;font-weight:600">Trace #{failed["number"]} timeline'
            f"{' (first failed trace)' if failed['status'] == 'error' else ''}</div>"
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
        for name in ("#", "name", "input", "output", "status", "latency", "tokens")
    )
    body = []
    for row in rows:
        error = row["status"] == "error"
        background = "background:#fef2f2;" if error else ""
        status_color = ERROR_COLOR if error else ("#b45309" if row["status"] == "incomplete" else "#15803d")
        body.append(
            f'<tr style="{background}"><td style="{cell}">{row["number"]}</td>'
            f'<td style="{cell}">{e(str(row["name"]))}</td>'
            f'<td style="{cell}">{e(_clip(row["input"]))}</td>'
            f'<td style="{cell}">{e(_clip(row["output"]))}</td>'
            f'<td style="{cell};color:{status_color};font-weight:600">{e(str(row["status"]))}</td>'
            f'<td style="{cell}">{_ms(row["latency_ms"])}</td><td style="{cell}">{row["tokens"]}</td></tr>'
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
