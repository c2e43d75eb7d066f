"""Rows of the W&B tables, from a session's export document. Pure functions, no wandb import.

The ``action_records`` and ``session_analysis`` tables keep the columns of the old
``WandbCallbackHandler`` so that existing dashboards keep working; ``traces`` is one row per
trace, as in the local viewer's trace table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chaintracer.kinds import MODEL_KINDS, family
from chaintracer.spantree import as_text, clip, duration_ms, walk

COUNTERS = (
    "step",
    "starts",
    "ends",
    "errors",
    "text_ctr",
    "chain_starts",
    "chain_ends",
    "llm_starts",
    "llm_ends",
    "llm_streams",
    "tool_starts",
    "tool_ends",
    "agent_ends",
    # Families the old handler did not count (chaintracer.kinds): beside its columns, not in them.
    "agent_starts",
    "retriever_starts",
    "retriever_ends",
    "embedding_starts",
    "embedding_ends",
    "reranker_starts",
    "reranker_ends",
)
TRACE_COLUMNS = ["name", "kind", "status", "error", "start_time", "latency_ms", "tokens", "input", "output"]
ACTION_COLUMNS = ["action", "name", "kind", "status", "time", "span_id", "parent_id", "trace_id", "text", *COUNTERS]
ANALYSIS_BASE_COLUMNS = [
    "trace_id",
    "span_id",
    "model",
    "prompts",
    "output",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "latency_ms",
    "status",
]


def epoch_ms(iso_time: str | None) -> int | None:
    """Milliseconds since the epoch of an ISO-8601 time."""
    if not iso_time:
        return None
    return int(datetime.fromisoformat(iso_time).timestamp() * 1000)


def latency_ms(span: dict[str, Any]) -> float | None:
    return duration_ms(span)


def text(value: Any, limit: int = 2000) -> str:
    """A JSON value as table text."""
    return clip(as_text(value), limit)


def _tokens(span: dict[str, Any]) -> dict[str, int]:
    tokens = (span.get("attributes") or {}).get("tokens")
    return tokens if isinstance(tokens, dict) else {}


def trace_rows(document: dict[str, Any]) -> list[list[Any]]:
    """One row per trace: name, kind, status, error, start, latency, tokens, input, output."""
    rows = []
    for root in document["traces"]:
        tokens = sum(_tokens(span).get("total", 0) or 0 for span in walk(root) if span["kind"] in MODEL_KINDS)
        error = root.get("error") or {}
        rows.append(
            [
                root["name"],
                root["kind"],
                root["status"],
                f"{error.get('type')}: {error.get('message')}" if error else "",
                root["start_time"],
                latency_ms(root),
                tokens,
                text(root.get("inputs")),
                text(root.get("outputs")),
            ]
        )
    return rows


def action_rows(document: dict[str, Any]) -> list[list[Any]]:
    """One row per event (span start, end, error, text), oldest first, with running counters."""
    events: list[tuple[str, int, str, dict[str, Any]]] = []
    for root in document["traces"]:
        for span in walk(root):
            events.append((span["start_time"], 0, "start", span))
            for event in (span.get("attributes") or {}).get("events") or ():
                if isinstance(event, dict) and event.get("name") == "text":
                    events.append((event.get("time") or span["start_time"], 1, "text", {**span, "_text": event}))
            events.append((span["end_time"], 2, "error" if span["status"] == "error" else "end", span))
    events.sort(key=lambda item: (item[0], item[1]))
    counters = dict.fromkeys(COUNTERS, 0)
    rows = []
    for time, _, edge, span in events:
        family_name = family(span["kind"])
        counters["step"] += 1
        if edge == "start":
            counters["starts"] += 1
            counters[f"{family_name}_starts"] = counters.get(f"{family_name}_starts", 0) + 1
            body = span.get("inputs")
        elif edge == "text":
            counters["text_ctr"] += 1
            body = span["_text"].get("payload")
        else:
            counters["ends" if edge == "end" else "errors"] += 1
            if edge == "end":
                counters[f"{family_name}_ends"] = counters.get(f"{family_name}_ends", 0) + 1
            if family_name == "llm":
                counters["llm_streams"] += int((span.get("attributes") or {}).get("chunks") or 0)
            body = span.get("outputs") if edge == "end" else (span.get("error") or {}).get("message")
        action = f"on_{_callback_family(span['kind'])}_{edge}"
        rows.append(
            [
                action,
                span["name"],
                span["kind"],
                span["status"],
                time,
                span["span_id"],
                span.get("parent_id"),
                span["trace_id"],
                text(body, 1000),
                *(counters.get(c, 0) for c in COUNTERS),
            ]
        )
    return rows


def _callback_family(kind: str) -> str:
    return {"chat_model": "llm", "llm": "llm", "tool": "tool", "retriever": "retriever", "agent": "agent"}.get(
        kind, "chain"
    )


def analysis_rows(document: dict[str, Any]) -> tuple[list[str], list[list[Any]], list[str]]:
    """Columns, rows and visualisation column names of ``session_analysis``: one row per model call.

    Metric and visualisation columns appear when the session has them; a visualisation cell
    holds the artifact reference, which the exporter turns into HTML.
    """
    spans = [span for root in document["traces"] for span in walk(root) if span["kind"] in MODEL_KINDS]
    metric_names = sorted({name for span in spans for name in (span.get("metrics") or {})})
    visual_names = sorted(
        {name for span in spans for name in ((span.get("attributes") or {}).get("visualizations") or {})}
    )
    columns = [*ANALYSIS_BASE_COLUMNS, *metric_names, *visual_names]
    rows = []
    for span in spans:
        tokens = _tokens(span)
        attributes = span.get("attributes") or {}
        visuals = attributes.get("visualizations") or {}
        metrics = span.get("metrics") or {}
        rows.append(
            [
                span["trace_id"],
                span["span_id"],
                attributes.get("model"),
                text(span.get("inputs")),
                text(span.get("outputs")),
                tokens.get("prompt"),
                tokens.get("completion"),
                tokens.get("total"),
                latency_ms(span),
                span["status"],
                *(metrics.get(name) for name in metric_names),
                *(visuals.get(name) for name in visual_names),
            ]
        )
    return columns, rows, visual_names


def summary_metrics(summary: dict[str, Any]) -> dict[str, Any]:
    """The run summary: the session summary plus flat latency and token keys for charts."""
    latency = summary.get("latency_ms") or {}
    tokens = summary.get("tokens") or {}
    return {
        **summary,
        "latency_p50_ms": latency.get("p50"),
        "latency_p95_ms": latency.get("p95"),
        "tokens_total": tokens.get("total", 0),
    }
