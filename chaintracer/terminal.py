"""Plain-text views of stored sessions for the terminal: the sessions table, span trees, one span's detail.

Each trace is shown as its span tree (kind, name, duration, tokens, cost, model, errors) with
the question it was asked and the answer it gave underneath (``chaintracer.previews``, the text
the viewer's trace table shows). Traces are numbered from 1 in the store's order, as in the
viewer. Ids are shortened to the fewest characters (at least ``SHORT_ID``) that tell them apart
in what is shown, so any id printed can be passed back (``--trace``, ``--span``). Colour is ANSI,
only when the caller asks for it (``chaintracer.cli.common.use_color``).
"""

from __future__ import annotations

import itertools
import json
import math
import textwrap
from typing import Any

from chaintracer.kinds import MODEL_KINDS
from chaintracer.previews import trace_texts
from chaintracer.spantree import duration_ms, one_line, walk

RED = "\033[31m"
YELLOW = "\033[33m"
CYAN = "\033[36m"
DIM = "\033[2m"
BOLD = "\033[1m"
RESET = "\033[0m"
SHORT_ID = 8
TEXT_CHARS = 300  # question and answer under a tree (whole with --trace)
WIDTH = 100


def paint(text: str, style: str, color: bool) -> str:
    """``text`` in an ANSI style when ``color``."""
    return f"{style}{text}{RESET}" if color else text


def format_ms(ms: float | None) -> str:
    """A duration for a person: ``250.0ms``, ``1.50s``; ``-`` when unknown."""
    if ms is None:
        return "-"
    if ms >= 1000:
        return f"{ms / 1000:.2f}s"
    return f"{ms:.1f}ms"


def format_usd(amount: Any) -> str:
    """A cost in USD with three significant digits (``$0.00123``); ``unknown`` for None."""
    if amount is None:
        return "unknown"
    if not isinstance(amount, (int, float)) or amount == 0:
        return "$0"
    if amount >= 1:
        return f"${amount:,.2f}"
    decimals = 2 - math.floor(math.log10(abs(amount)))
    return "$" + f"{amount:.{decimals}f}".rstrip("0").rstrip(".")


def short_ids(ids: list[str], minimum: int = SHORT_ID) -> dict[str, str]:
    """Each id cut to the fewest leading characters (at least ``minimum``) that no other of ``ids`` starts with."""
    ordered = sorted(set(ids))
    shared = [0] * len(ordered)  # the longest prefix each id shares with another (a neighbour, once sorted)
    for index, (a, b) in enumerate(itertools.pairwise(ordered)):
        common = _common(a, b)
        shared[index] = max(shared[index], common)
        shared[index + 1] = max(shared[index + 1], common)
    return {id_: id_[: max(minimum, shared[index] + 1)] for index, id_ in enumerate(ordered)}


def _common(a: str, b: str) -> int:
    """How many leading characters two strings share."""
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def _state(status: Any) -> str:
    """`` (live)``, `` (crashed)`` or `` (unflushed)`` after a session's name; nothing when flushed."""
    return f" ({status})" if status in ("live", "crashed", "unflushed") else ""


def session_cost(summary: dict[str, Any]) -> str:
    """A session's cost: ``$0.0123``, ``unknown``, or ``-`` for sessions stored before costs were computed."""
    cost = summary.get("cost")
    return format_usd(cost.get("total")) if isinstance(cost, dict) else "-"


def sessions_table(sessions: list[dict[str, Any]], color: bool = False) -> str:
    """One line per session, newest first: traces and failed traces, spans, span errors, tokens, cost, p50."""
    header = ("NAME", "PROJECT", "ENDED (UTC)", "TRACES", "FAILED", "SPANS", "ERRORS", "TOKENS", "COST", "P50", "ID")
    rows: list[tuple[str, ...]] = [header]
    for session in sessions:
        summary = session.get("summary") or {}
        latency = summary.get("latency_ms") or {}
        rows.append(
            (
                str(session["name"]) + _state(session.get("status")),
                str(session["project"]),
                str(session["ended_at"])[:19].replace("T", " "),
                str(summary.get("traces", 0)),
                str(summary.get("trace_errors", 0)),
                str(summary.get("spans", 0)),
                str(summary.get("errors", 0)),
                str((summary.get("tokens") or {}).get("total", 0)),
                session_cost(summary),
                format_ms(latency.get("p50")),
                str(session["id"]),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for number, row in enumerate(rows):
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
        failed = number > 0 and row[4] != "0"
        lines.append(paint(line, BOLD if number == 0 else RED, color) if number == 0 or failed else line)
    return "\n".join(lines)


def session_header(session: dict[str, Any], color: bool = False) -> list[str]:
    """The lines above a session's traces: name, id, project, tags and the summary's counts and cost."""
    summary = session.get("summary") or {}
    tokens = summary.get("tokens") or {}
    lines = [
        paint(f"session {session['name']}", BOLD, color) + f"{_state(session.get('status'))}  ({session['id']})",
        f"project {session['project']}  tags {', '.join(session.get('tags') or []) or '-'}  "
        f"traces {summary.get('traces', 0)}  failed {summary.get('trace_errors', 0)}  spans {summary.get('spans', 0)}  "
        f"errors {summary.get('errors', 0)}  tokens {tokens.get('total', 0)}  cost {session_cost(summary)}",
    ]
    cost = summary.get("cost")
    if isinstance(cost, dict) and cost.get("by_model"):
        parts = [
            f"{model or '(no model name)'} {format_usd(entry.get('cost'))}" for model, entry in cost["by_model"].items()
        ]
        lines.append(f"cost by model: {', '.join(parts)}")
        if cost.get("unknown_models"):
            lines.append(
                paint(
                    f"no price for {', '.join(cost['unknown_models'])}: add one with Tracer(prices=...) or a "
                    "CHAINTRACER_PRICES file (see docs/cli.md)",
                    DIM,
                    color,
                )
            )
    return lines


def trace_block(
    number: int, total: int, root: dict[str, Any], ids: dict[str, str], color: bool = False, whole: bool = False
) -> list[str]:
    """A trace: a header line, its span tree, then its question and answer (whole with ``whole``)."""
    head = [f"trace {number}/{total}"]
    tokens = _trace_tokens(root)
    if tokens:
        head.append(f"{tokens} tok")
    cost = _trace_cost(root)
    if cost != "$0":
        head.append(f"cost {cost}")
    head.append(f"id {_short(root.get('trace_id'), ids)}")
    lines = [paint("  ".join(head), DIM, color)]
    _span_lines(root, "", True, True, lines, color, ids)
    question, answer = trace_texts(root)
    lines += _labelled("question", question, whole, color)
    failed = root.get("status") == "error"
    lines += _labelled("error" if failed else "answer", answer, whole, color, RED if failed else "")
    return lines


def error_lines(root: dict[str, Any], ids: dict[str, str], color: bool = False) -> list[str]:
    """Where a trace's errors come from: each failed span none of whose children failed, with its error."""
    lines = []
    for span in walk(root):
        children = span.get("children") or []
        if span.get("status") != "error" or any(child.get("status") == "error" for child in children):
            continue
        error = span.get("error") or {}
        where = f"[{span.get('kind')}] {span.get('name')}  span {_short(span.get('span_id'), ids)}"
        message = one_line(f"{error.get('type', 'Error')}: {error.get('message', '')}", TEXT_CHARS)
        lines.append(f"  {paint('✗ raised in', RED, color)} {where}: {paint(message, RED, color)}")
    return lines


def _short(id_: Any, ids: dict[str, str]) -> str:
    text = str(id_)
    return ids.get(text, text[:SHORT_ID])


def _labelled(label: str, text: str, whole: bool, color: bool, style: str = "") -> list[str]:
    if not text:
        return []
    prefix = paint(f"  {label}: ", style or CYAN, color)
    if not whole:
        return [prefix + one_line(text, TEXT_CHARS)]
    body = []
    for paragraph in text.splitlines() or [""]:
        body += textwrap.wrap(paragraph, WIDTH) or [""]
    return [prefix + body[0], *(" " * (len(label) + 4) + line for line in body[1:])]


def _trace_tokens(root: dict[str, Any]) -> int:
    total = 0
    for span in walk(root):
        tokens = (span.get("attributes") or {}).get("tokens")
        if span.get("kind") in MODEL_KINDS and isinstance(tokens, dict) and type(tokens.get("total")) is int:
            total += tokens["total"]
    return total


def _trace_cost(root: dict[str, Any]) -> str:
    """The trace's cost as its model spans say (``unknown`` when one has none)."""
    total, known = 0.0, True
    for span in walk(root):
        if span.get("kind") not in MODEL_KINDS:
            continue
        attributes = span.get("attributes") or {}
        if "cost" not in attributes:
            continue
        cost = attributes["cost"]
        if isinstance(cost, dict) and isinstance(cost.get("total"), (int, float)):
            total += cost["total"]
        elif span.get("status") != "error" or attributes.get("tokens"):
            known = False
    return format_usd(total if known else None)


def _span_lines(
    span: dict[str, Any], prefix: str, last: bool, root: bool, lines: list[str], color: bool, ids: dict[str, str]
) -> None:
    branch = "" if root else ("└─ " if last else "├─ ")
    status = span.get("status", "ok")
    attributes = span.get("attributes") or {}
    parts = [f"[{span.get('kind')}]", str(span.get("name")), format_ms(duration_ms(span))]
    tokens = attributes.get("tokens")
    if isinstance(tokens, dict) and tokens.get("total"):
        shared = " (batch share)" if isinstance(tokens.get("batch"), dict) else ""
        parts.append(f"{tokens['total']} tok{shared}")
    cost = attributes.get("cost")
    if span.get("kind") in MODEL_KINDS and isinstance(cost, dict) and cost.get("total") is not None:
        parts.append(format_usd(cost["total"]))  # an unknown cost is explained once, in the session header
    model = attributes.get("model")
    if model and span.get("kind") in MODEL_KINDS:
        parts.append(str(model))
    text = " ".join(parts)
    if status == "error":
        error = span.get("error") or {}
        text = paint(f"{text}  ERROR {error.get('type', '')}: {one_line(error.get('message', ''), 120)}", RED, color)
    elif status == "incomplete":
        text = paint(f"{text}  INCOMPLETE", YELLOW, color)
    lines.append(f"{prefix}{branch}{text}  {paint(_short(span.get('span_id'), ids), DIM, color)}")
    children = span.get("children") or []
    child_prefix = prefix if root else prefix + ("   " if last else "│  ")
    for position, child in enumerate(children):
        _span_lines(child, child_prefix, position == len(children) - 1, False, lines, color, ids)


def span_detail(session: dict[str, Any], number: int, span: dict[str, Any], color: bool = False) -> str:
    """One span in full: where it is, its times and status, inputs, outputs, attributes, error and traceback."""
    error = span.get("error") or {}
    lines = [
        paint(f"span {span.get('span_id')}", BOLD, color) + f"  [{span.get('kind')}] {span.get('name')}",
        f"session {session['name']} ({session['id']})  trace {number}  parent {span.get('parent_id') or '-'}",
        f"status {span.get('status')}  start {span.get('start_time')}  duration {format_ms(duration_ms(span))}",
    ]
    children = span.get("children") or []
    if children:
        named = [f"{child.get('name')} ({child.get('span_id')})" for child in children]
        lines.append(f"children {', '.join(named)}")
    for title, value in (
        ("inputs", span.get("inputs")),
        ("outputs", span.get("outputs")),
        ("attributes", span.get("attributes")),
        ("metrics", span.get("metrics")),
        ("scores", span.get("scores")),
        ("feedback", span.get("feedback")),
    ):
        if value in (None, {}, []) and title not in ("inputs", "outputs"):
            continue
        lines += ["", paint(title, BOLD, color), textwrap.indent(_pretty(value), "  ")]
    if error:
        lines += ["", paint("error", BOLD, color), paint(f"  {error.get('type')}: {error.get('message')}", RED, color)]
        if error.get("traceback"):
            lines += ["", paint("traceback", BOLD, color), textwrap.indent(str(error["traceback"]).rstrip(), "  ")]
    return "\n".join(lines)


def _pretty(value: Any) -> str:
    """A payload for reading: text as it is (line breaks kept), anything else as indented JSON."""
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)
