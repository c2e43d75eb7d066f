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
from chaintracer.export import annotate_tree
from chaintracer.store import ExperimentNotFound, SessionNotFound, Store
from chaintracer.viewer import api
from chaintracer.viewer.server import SCRIPTS

DEFAULT_MAX_TRACES = 1000
MAX_COMPARE_GROUPS = 500
MAX_EXPERIMENT_EXAMPLES = 1000


def _static(name: str) -> str:
    return resources.files("chaintracer.viewer").joinpath("static").joinpath(name).read_text(encoding="utf-8")


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
