"""Plain-text views of stored sessions for the terminal: the session table and span trees."""

from __future__ import annotations

from typing import Any

from chaintracer.kinds import MODEL_KINDS
from chaintracer.spantree import duration_ms, one_line

RED = "\033[31m"
YELLOW = "\033[33m"
DIM = "\033[2m"
BOLD = "\033[1m"
RESET = "\033[0m"


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{RESET}" if color else text


def format_ms(ms: float | None) -> str:
    if ms is None:
        return "-"
    if ms >= 1000:
        return f"{ms / 1000:.2f}s"
    return f"{ms:.1f}ms"


def _state(status: Any) -> str:
    """`` (live)``, `` (crashed)`` or `` (unflushed)`` after a session's name; nothing when flushed."""
    return f" ({status})" if status in ("live", "crashed", "unflushed") else ""


def sessions_table(sessions: list[dict[str, Any]]) -> str:
    """One line per session, newest first."""
    header = ("NAME", "PROJECT", "ENDED (UTC)", "TRACES", "SPANS", "ERRORS", "TOKENS", "P50", "ID")
    rows = [header]
    for session in sessions:
        summary = session.get("summary") or {}
        latency = summary.get("latency_ms") or {}
        rows.append(
            (
                str(session["name"]) + _state(session.get("status")),
                str(session["project"]),
                str(session["ended_at"])[:19].replace("T", " "),
                str(summary.get("traces", 0)),
                str(summary.get("spans", 0)),
                str(summary.get("errors", 0)),
                str((summary.get("tokens") or {}).get("total", 0)),
                format_ms(latency.get("p50")),
                str(session["id"]),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def session_tree(document: dict[str, Any], color: bool = False, max_traces: int | None = None) -> str:
    """The session header and each trace's span tree: kind, name, status, duration, tokens."""
    session = document["session"]
    summary = session.get("summary") or {}
    tokens = summary.get("tokens") or {}
    lines = [
        _paint(f"session {session['name']}", BOLD, color) + f"  ({session['id']})",
        f"project {session['project']}  tags {', '.join(session.get('tags') or []) or '-'}  "
        f"traces {summary.get('traces', 0)}  spans {summary.get('spans', 0)}  "
        f"errors {summary.get('errors', 0)}  tokens {tokens.get('total', 0)}",
    ]
    traces = document["traces"]
    shown = traces if max_traces is None else traces[:max_traces]
    for index, root in enumerate(shown):
        lines.append("")
        lines.append(_paint(f"trace {index + 1}/{len(traces)}", DIM, color))
        _span_lines(root, "", True, True, lines, color)
    if len(shown) < len(traces):
        lines.append("")
        lines.append(f"... {len(traces) - len(shown)} more traces (chaintracer export {session['name']} --format json)")
    return "\n".join(lines)


def _span_lines(span: dict[str, Any], prefix: str, last: bool, root: bool, lines: list[str], color: bool) -> None:
    branch = "" if root else ("└─ " if last else "├─ ")
    status = span.get("status", "ok")
    parts = [f"[{span.get('kind')}]", str(span.get("name")), format_ms(duration_ms(span))]
    tokens = (span.get("attributes") or {}).get("tokens")
    if isinstance(tokens, dict) and tokens.get("total"):
        parts.append(f"{tokens['total']} tok")
    model = (span.get("attributes") or {}).get("model")
    if model and span.get("kind") in MODEL_KINDS:
        parts.append(str(model))
    text = " ".join(parts)
    if status == "error":
        error = span.get("error") or {}
        text = _paint(f"{text}  ERROR {error.get('type', '')}: {one_line(error.get('message', ''), 120)}", RED, color)
    elif status == "incomplete":
        text = _paint(f"{text}  INCOMPLETE", YELLOW, color)
    lines.append(f"{prefix}{branch}{text}")
    children = span.get("children") or []
    child_prefix = prefix if root else prefix + ("   " if last else "│  ")
    for position, child in enumerate(children):
        _span_lines(child, child_prefix, position == len(children) - 1, False, lines, color)
