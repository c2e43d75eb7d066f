"""``chaintracer report``: sessions as one self-contained HTML file (the Jupyter view is ``chaintracer.notebook``).

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
from chaintracer.store import Store
from chaintracer.viewer import api
from chaintracer.viewer.server import SCRIPTS

DEFAULT_MAX_TRACES = 1000
MAX_COMPARE_GROUPS = 500


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
    """Everything the report's views read, for the given sessions (ids or names)."""
    ids: list[str] = []
    for ref in refs:
        session_id = store.resolve(ref)
        if session_id not in ids:
            ids.append(session_id)
    details, traces, artifacts = {}, {}, {}
    for session_id in ids:
        details[session_id] = api.session_detail(store, session_id)
        page = api.trace_page(store, session_id, offset=0, limit=max_traces) if max_traces else None
        rows = page["rows"] if page else []
        trees = {}
        refs_used: set[str] = set()
        for seq, root in store.first_trees(session_id, max_traces):
            trees[str(seq)] = root
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
        "store": str(store.path),
        "sessions": api.session_items(store, ids),
        "details": details,
        "traces": traces,
        "artifacts": artifacts,
        "compare": api.compare(store, ids, 0, MAX_COMPARE_GROUPS, most=None) if len(ids) >= 2 else None,
    }


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
