"""The viewer's JSON: sessions list, session page, trace table pages, trace trees, comparisons.

Every function re-queries the store (no caching), so a session written while the viewer runs
shows up on the next request. Queries read one page at a time through the store's indexes and
never load more than one trace tree per call: a session of 10,000 traces opens as fast as a
small one. ``route`` maps ``/api/...`` paths onto these functions for the server.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import unquote

from chaintracer.store import SessionNotFound, Store

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_COMPARE = 8
STATUSES = ("ok", "error", "incomplete")
# "In order" is by start time, as the store lists traces (seq is the order they were written).
TRACE_SORTS = {
    "seq": "start_time, seq",
    "latency": "latency_ms DESC, seq",
    "tokens": "tokens DESC, seq",
    "errors": "errors DESC, seq",
    "spans": "spans DESC, seq",
}
TRACE_COLUMNS = (
    "seq",
    "trace_id",
    "name",
    "kind",
    "status",
    "start_time",
    "end_time",
    "latency_ms",
    "spans",
    "errors",
    "tokens",
    "input",
    "output",
)
_TRACE_SELECT = ", ".join(TRACE_COLUMNS)
_LIST_COLUMNS = ("id", "project", "name", "tags", "grp", "job_type", "notes", "started_at", "ended_at", "summary")
_ARTIFACT_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
# The session-level fields compared next to the config.
_COMPARED_FIELDS = ("project", "tags", "group", "job_type", "notes")


class ApiError(Exception):
    """A request the API answers with an HTTP error status and a one-line message."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class NotFound(ApiError):
    status = 404


# -- sessions list ---------------------------------------------------------------------------


def sessions_page(
    store: Store,
    project: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> dict[str, Any]:
    """A page of the sessions list, newest first, with the facets the filters offer."""
    where, params = [], []
    if project:
        where.append("project = ?")
        params.append(project)
    if tag:
        where.append("EXISTS (SELECT 1 FROM json_each(sessions.tags) WHERE json_each.value = ?)")
        params.append(tag)
    if q:
        where.append("(name LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\')")
        params += [_like(q), _like(q)]
    if status == "error":
        where.append("coalesce(json_extract(summary, '$.errors'), 0) > 0")
    elif status == "ok":
        where.append("coalesce(json_extract(summary, '$.errors'), 0) = 0")
    elif status == "incomplete":
        where.append("coalesce(json_extract(summary, '$.incomplete'), 0) > 0")
    elif status:
        raise ApiError(f"status must be one of ok, error, incomplete; not {status!r}")
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    total = store.query(f"SELECT COUNT(*) FROM sessions{clause}", params)[0][0]
    rows = store.query(
        f"SELECT {_list_select(store)} FROM sessions{clause} ORDER BY ended_at DESC, rowid DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return {
        "sessions": [_list_item(_list_row(row)) for row in rows],
        "total": total,
        "offset": offset,
        "limit": limit,
        "projects": [row[0] for row in store.query("SELECT DISTINCT project FROM sessions ORDER BY project")],
        "tags": [
            row[0]
            for row in store.query("SELECT DISTINCT json_each.value FROM sessions, json_each(sessions.tags) ORDER BY 1")
        ],
    }


def session_items(store: Store, session_ids: list[str]) -> list[dict[str, Any]]:
    """Sessions-list items for the given ids, in that order."""
    items = []
    for session_id in session_ids:
        rows = store.query(f"SELECT {_list_select(store)} FROM sessions WHERE id = ?", [session_id])
        if rows:
            items.append(_list_item(_list_row(rows[0])))
    return items


def _list_select(store: Store) -> str:
    # Stores written before sessions had a status ("live" while the program records) lack it.
    status = "status" if has_column(store, "sessions", "status") else "'flushed'"
    return f"{', '.join(_LIST_COLUMNS)}, {status}"


def _list_row(row: tuple[Any, ...]) -> dict[str, Any]:
    return {**dict(zip(_LIST_COLUMNS, row)), "status": row[len(_LIST_COLUMNS)]}


def has_column(store: Store, table: str, column: str) -> bool:
    return bool(store.query("SELECT 1 FROM pragma_table_info(?) WHERE name = ?", [table, column]))


def _list_item(row: dict[str, Any]) -> dict[str, Any]:
    summary = _loads(row["summary"], {})
    latency = summary.get("latency_ms") or {}
    tokens = summary.get("tokens") or {}
    return {
        "id": row["id"],
        "name": row["name"],
        "project": row["project"],
        "tags": _loads(row["tags"], []),
        "group": row["grp"],
        "job_type": row["job_type"],
        "notes": row["notes"],
        "status": row["status"],
        "started_at": row["started_at"],
        "ended_at": row["ended_at"],
        "traces": summary.get("traces", 0),
        "spans": summary.get("spans", 0),
        "errors": summary.get("errors", 0),
        "trace_errors": summary.get("trace_errors", 0),
        "incomplete": summary.get("incomplete", 0),
        "tokens": tokens.get("total", 0),
        "latency_p50": latency.get("p50"),
        "latency_p95": latency.get("p95"),
    }


# -- one session -------------------------------------------------------------------------------


def session_detail(store: Store, ref: str) -> dict[str, Any]:
    """The full session object (config, summary, model, exports) and its traces' status counts."""
    session = _session(store, ref)
    counts = dict(
        store.query("SELECT status, COUNT(*) FROM traces WHERE session_id = ? GROUP BY status", [session["id"]])
    )
    session["status_counts"] = counts
    session["stored_traces"] = sum(counts.values())
    return session


def trace_page(
    store: Store,
    ref: str,
    offset: int = 0,
    limit: int = DEFAULT_LIMIT,
    status: str | None = None,
    q: str | None = None,
    sort: str = "seq",
) -> dict[str, Any]:
    """One page of a session's trace table (previews only, no trees)."""
    session_id = _resolve(store, ref)
    if sort not in TRACE_SORTS:
        raise ApiError(f"sort must be one of {', '.join(TRACE_SORTS)}; not {sort!r}")
    where, params = ["session_id = ?"], [session_id]
    if status:
        if status not in STATUSES:
            raise ApiError(f"status must be one of {', '.join(STATUSES)}; not {status!r}")
        where.append("status = ?")
        params.append(status)
    if q:
        where.append("(input LIKE ? ESCAPE '\\' OR output LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')")
        params += [_like(q)] * 3
    clause = " AND ".join(where)
    total = store.query(f"SELECT COUNT(*) FROM traces WHERE {clause}", params)[0][0]
    rows = store.query(
        f"SELECT {_TRACE_SELECT} FROM traces WHERE {clause} ORDER BY {TRACE_SORTS[sort]} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return {
        "session_id": session_id,
        "rows": [dict(zip(TRACE_COLUMNS, row)) for row in rows],
        "total": total,
        "offset": offset,
        "limit": limit,
    }


def trace_detail(store: Store, ref: str, seq: int) -> dict[str, Any]:
    """One trace: its table row, its span tree, and its neighbours' sequence numbers."""
    session_id = _resolve(store, ref)
    rows = store.query(f"SELECT {_TRACE_SELECT}, tree FROM traces WHERE session_id = ? AND seq = ?", [session_id, seq])
    if not rows:
        raise NotFound(f"no trace {seq} in session {session_id}")
    *columns, tree = rows[0]
    row = dict(zip(TRACE_COLUMNS, columns))
    # Neighbours and position in the table's order (start time, then seq).
    key = [session_id, row["start_time"], seq]
    before = "session_id = ? AND (start_time, seq) < (?, ?)"  # row values: an index range scan
    after = "session_id = ? AND (start_time, seq) > (?, ?)"
    prev = store.query(f"SELECT seq FROM traces WHERE {before} ORDER BY start_time DESC, seq DESC LIMIT 1", key)
    following = store.query(f"SELECT seq FROM traces WHERE {after} ORDER BY start_time, seq LIMIT 1", key)
    position = store.query(f"SELECT COUNT(*) FROM traces WHERE {before}", key)[0][0]
    total = store.query("SELECT COUNT(*) FROM traces WHERE session_id = ?", [session_id])[0][0]
    names = store.query("SELECT name, project FROM sessions WHERE id = ?", [session_id])[0]
    return {
        "session": {"id": session_id, "name": names[0], "project": names[1]},
        "row": row,
        "tree": json.loads(tree),
        "prev": prev[0][0] if prev else None,
        "next": following[0][0] if following else None,
        "position": position,
        "total": total,
    }


def artifact(store: Store, ref: str, artifact_ref: str) -> tuple[str, str]:
    """``(media_type, content)`` of a visualisation a span references."""
    if not _ARTIFACT_REF.match(artifact_ref):
        raise ApiError(f"not an artifact reference: {artifact_ref[:80]!r}")
    session_id = _resolve(store, ref)
    try:
        return store.artifact(session_id, artifact_ref)
    except SessionNotFound as exc:
        raise NotFound(str(exc)) from None


# -- comparison ----------------------------------------------------------------------------


def compare(
    store: Store, refs: list[str], offset: int = 0, limit: int = DEFAULT_LIMIT, most: int | None = MAX_COMPARE
) -> dict[str, Any]:
    """Two or more sessions side by side: settings, summary metrics, outputs for the same input.

    Values are keyed by session id so that a viewer can show any subset of the sessions.
    Inputs are matched on the trace's input preview; a page holds ``limit`` inputs.
    """
    ids: list[str] = []
    for ref in refs:
        session_id = _resolve(store, ref)
        if session_id not in ids:
            ids.append(session_id)
    if len(ids) < 2:
        raise ApiError("compare needs two or more different sessions")
    if most is not None and len(ids) > most:
        raise ApiError(f"compare shows at most {most} sessions at once")
    sessions = [store.session(session_id) for session_id in ids]
    # One pass over the sessions' (input, seq) columns, grouped here: SQLite would read every
    # trace row once per query (the rows are wide: they hold the trees).
    seqs: dict[str, dict[str, list[int]]] = {}
    for session_id in ids:
        for seq, text in store.query("SELECT seq, input FROM traces WHERE session_id = ? ORDER BY seq", [session_id]):
            seqs.setdefault(text, {}).setdefault(session_id, []).append(seq)
    shared = [text for text, cells in seqs.items() if len(cells) >= 2]
    shared.sort(key=lambda text: (min(cells[0] for cells in seqs[text].values()), text))
    matched = {sid: sum(len(seqs[text].get(sid, ())) for text in shared) for sid in ids}
    page = shared[offset : offset + limit]
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {text: {} for text in page}
    for session_id in ids:
        wanted = [seq for text in page for seq in seqs[text].get(session_id, ())]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = store.query(
                "SELECT seq, input, output, status, latency_ms, tokens FROM traces"
                f" WHERE session_id = ? AND seq IN ({','.join('?' * len(chunk))}) ORDER BY seq",
                [session_id, *chunk],
            )
            for seq, text, output, status, latency, tokens in rows:
                groups[text].setdefault(session_id, []).append(
                    {"seq": seq, "output": output, "status": status, "latency_ms": latency, "tokens": tokens}
                )
    total = len(shared)
    inputs = page
    return {
        "sessions": [
            {
                "id": s["id"],
                "name": s["name"],
                "project": s["project"],
                "started_at": s["started_at"],
                "ended_at": s["ended_at"],
                "traces": (s["summary"] or {}).get("traces", 0),
                "matched": matched.get(s["id"], 0),
            }
            for s in sessions
        ],
        "settings": _settings_rows(sessions),
        "metrics": _metric_rows(sessions),
        "groups": [{"input": text, "cells": groups[text]} for text in inputs],
        "total_groups": total,
        "offset": offset,
        "limit": limit,
    }


def _settings_rows(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    flat = {}
    for s in sessions:
        config = s.get("config") or {}
        # The tracer's settings already hold project, tags, group...; add those it does not.
        values = {f"session.{key}": s.get(key) for key in _COMPARED_FIELDS if key not in config}
        values.update(flatten(config, "config"))
        values.update(model_digest(s.get("model")))
        flat[s["id"]] = values
    keys = sorted({key for values in flat.values() for key in values})
    return [{"key": key, "values": {sid: values.get(key) for sid, values in flat.items()}} for key in keys]


METRIC_ROWS = (
    ("traces", ("traces",)),
    ("failed traces", ("trace_errors",)),
    ("spans", ("spans",)),
    ("error spans", ("errors",)),
    ("incomplete spans", ("incomplete",)),
    ("llm calls", ("llm_calls",)),
    ("tool calls", ("tool_calls",)),
    ("tokens total", ("tokens", "total")),
    ("tokens prompt", ("tokens", "prompt")),
    ("tokens completion", ("tokens", "completion")),
    ("latency p50 ms", ("latency_ms", "p50")),
    ("latency p95 ms", ("latency_ms", "p95")),
    ("latency max ms", ("latency_ms", "max")),
)


def _metric_rows(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for label, path in METRIC_ROWS:
        rows.append({"key": label, "values": {s["id"]: _dig(s.get("summary") or {}, path) for s in sessions}})
    metric_names = sorted({name for s in sessions for name in ((s.get("summary") or {}).get("metrics") or {})})
    for name in metric_names:
        rows.append(
            {
                "key": f"mean {name}",
                "values": {s["id"]: _dig(s.get("summary") or {}, ("metrics", name)) for s in sessions},
            }
        )
    return rows


def flatten(value: Any, prefix: str, depth: int = 0) -> dict[str, Any]:
    """Nested dicts as ``prefix.key.sub`` -> scalar (lists of scalars kept whole)."""
    if isinstance(value, dict) and value and depth < 6:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}", depth + 1))
        return out
    return {prefix: value}


def model_digest(model: Any) -> dict[str, Any]:
    """The comparable part of an architecture: types, model parameters, prompts, tool names."""
    if not isinstance(model, dict):
        return {"model": None}
    if "nodes" not in model and "models" not in model:
        return flatten(model, "model")
    digest: dict[str, Any] = {"model.type": model.get("type"), "model.name": model.get("name")}
    for index, item in enumerate(model.get("models") or []):
        if isinstance(item, dict):
            digest[f"model.models[{index}].type"] = item.get("type")
            digest.update(flatten(item.get("params") or {}, f"model.models[{index}].params"))
    prompts = [
        node.get("params", {}).get("template") or node.get("params", {}).get("messages")
        for node in model.get("nodes") or []
        if isinstance(node, dict) and node.get("kind") == "prompt" and isinstance(node.get("params"), dict)
    ]
    for index, prompt in enumerate(prompts):
        digest[f"model.prompts[{index}]"] = prompt
    tools = [t.get("name") for t in model.get("tools") or [] if isinstance(t, dict)]
    if tools:
        digest["model.tools"] = tools
    return digest


# -- routing -------------------------------------------------------------------------------


def route(store: Store, path: str, query: dict[str, list[str]]) -> Any:
    """The JSON answer to ``GET /api/<path>``; raises ``ApiError`` (404 for unknown paths)."""
    parts = [unquote(part) for part in path.strip("/").split("/")] if path.strip("/") else []
    arg = _Args(query)
    if parts == ["sessions"]:
        return sessions_page(
            store,
            project=arg.text("project"),
            tag=arg.text("tag"),
            q=arg.text("q"),
            status=arg.text("status"),
            offset=arg.int("offset", 0),
            limit=arg.limit(100),
        )
    if len(parts) >= 2 and parts[0] == "sessions":
        ref = parts[1]
        if len(parts) == 2:
            return session_detail(store, ref)
        if parts[2] == "traces" and len(parts) == 3:
            return trace_page(
                store,
                ref,
                offset=arg.int("offset", 0),
                limit=arg.limit(DEFAULT_LIMIT),
                status=arg.text("status"),
                q=arg.text("q"),
                sort=arg.text("sort") or "seq",
            )
        if parts[2] == "traces" and len(parts) == 4:
            return trace_detail(store, ref, _int(parts[3], "trace number"))
    if parts == ["info"]:
        from chaintracer import __version__

        return {"store": str(store.path), "version": __version__, "mode": "live"}
    if parts == ["compare"]:
        refs = [ref for value in query.get("ids", []) for ref in value.split(",") if ref]
        return compare(store, refs, offset=arg.int("offset", 0), limit=arg.limit(DEFAULT_LIMIT))
    raise NotFound(f"no API route /api/{path.strip('/')}")


class _Args:
    def __init__(self, query: dict[str, list[str]]) -> None:
        self.query = query

    def text(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1].strip() or None if values else None

    def int(self, name: str, default: int) -> int:
        text = self.text(name)
        value = default if text is None else _int(text, name)
        if value < 0:
            raise ApiError(f"{name} must be 0 or more")
        return value

    def limit(self, default: int) -> int:
        return max(1, min(MAX_LIMIT, self.int("limit", default)))


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ApiError(f"{what} must be an integer, not {text[:40]!r}") from None


def _resolve(store: Store, ref: str) -> str:
    try:
        return store.resolve(ref)
    except SessionNotFound as exc:
        raise NotFound(exc.args[0] if exc.args else str(exc)) from None


def _session(store: Store, ref: str) -> dict[str, Any]:
    try:
        return store.session(ref)
    except SessionNotFound as exc:
        raise NotFound(exc.args[0] if exc.args else str(exc)) from None


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _loads(text: str | None, default: Any) -> Any:
    try:
        return json.loads(text) if text else default
    except ValueError:
        return default


def _dig(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def dumps(value: Any) -> str:
    """JSON for the browser: strict (``NaN``/``Infinity`` become null), UTF-8 kept."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)
    except ValueError:
        return json.dumps(_finite(value), ensure_ascii=False, separators=(",", ":"), default=str)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value
