"""Rows of the W&B tables, from a session's export document. Pure functions, no wandb import.

``action_records`` and ``session_analysis`` carry every column of the old
``WandbCallbackHandler`` (langchain_community ``callbacks/wandb_callback.py``), in its order and
with its meaning, so that dashboards built on them keep working; chaintracer's own columns
follow. ``traces`` is one row per trace, as in the local viewer. Cells hold plain text (the
prompt, the generated text, the question, the final answer); the full payloads are in the trace.
Visualisation cells are built by the ``html`` function the exporter passes (``wandb.Html``);
without one they hold the HTML text.

Old columns chaintracer has no data for stay, empty: ``lc``, ``type`` (on start rows), ``id``
and ``repr`` came from LangChain's ``serialized`` argument, which LCEL runnables no longer pass
(the class is in ``name``, the parameters in the trace); ``token`` held one row per streamed
token, which chaintracer counts (``llm_streams``) instead of logging.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import escape
from typing import Any

from chaintracer.exporters import wandb_eval
from chaintracer.exporters.wandb_text import CELL_CHARS, answer_text, grade_text, output_text, prompt_text
from chaintracer.kinds import MODEL_KINDS, family
from chaintracer.metrics.complexity import TEXTSTAT_METRICS
from chaintracer.previews import generations, trace_texts
from chaintracer.spantree import clip, duration_ms, walk

OLD_COUNTERS = (
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
)
# Families the old handler did not count (chaintracer.kinds): beside its columns, not in them.
NEW_COUNTERS = (
    "agent_starts",
    "retriever_starts",
    "retriever_ends",
    "embedding_starts",
    "embedding_ends",
    "reranker_starts",
    "reranker_ends",
)
COUNTERS = OLD_COUNTERS + NEW_COUNTERS
TOKEN_COLUMNS = ("token_usage_prompt_tokens", "token_usage_completion_tokens", "token_usage_total_tokens")

TRACE_COLUMNS = ["name", "kind", "status", "error", "start_time", "latency_ms", "tokens", "input", "output"]

# flatten_dict(serialized) gave lc/type/id/repr and name; flatten_dict(llm_output) model_name and
# token_usage_*; flatten_dict(generation.dict()) text, type and generation_info_*.
ACTION_OLD_COLUMNS = ["action", "name", "lc", "type", "id", "repr", *OLD_COUNTERS, "prompts", "token", "text"]
ACTION_OLD_COLUMNS += ["model_name", *TOKEN_COLUMNS]
# Each callback's own keys: chain, tool, agent action and agent finish.
ACTION_CALLBACK_COLUMNS = ["input", "outputs", "input_str", "output", "tool", "tool_input", "log"]
ACTION_OWN_COLUMNS = ["kind", "status", "error", "time", "span_id", "parent_id", "trace_id", *NEW_COUNTERS]

ANALYSIS_OLD_COLUMNS = ["prompt_step", "prompts", "name", "output_step", "output"]
ANALYSIS_OLD_COLUMNS += ["token_usage_total_tokens", "token_usage_prompt_tokens", "token_usage_completion_tokens"]
ANALYSIS_OWN_COLUMNS = ["model", "status", "latency_ms", "trace_id", "span_id"]

# chaintracer's view names -> the old handler's columns (prompt_output is its chat_html).
VIEW_COLUMNS = {"dependency": "dependency_tree", "entities": "entities"}
CHAT_VIEW = "prompt_output"

# Keys the run's history holds: summary metrics must not take them (the summary entry of a
# logged table is what makes W&B show the table).
HISTORY_KEYS = ("trace", "traces", "action_records", "session_analysis")
SUMMARY_RENAMES = {"traces": "trace_count"}

Html = Callable[[str], Any]


def _as_is(content: str) -> Any:
    return content


@dataclass
class Table:
    """Columns and rows of one W&B table."""

    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column (for reading them in tests and notebooks)."""
        return [dict(zip(self.columns, row)) for row in self.rows]


def _tokens(span: dict[str, Any]) -> dict[str, Any]:
    tokens = (span.get("attributes") or {}).get("tokens")
    return tokens if isinstance(tokens, dict) else {}


def _error_text(span: dict[str, Any]) -> str:
    error = span.get("error") or {}
    return f"{error.get('type')}: {error.get('message')}" if error else ""


def trace_table(document: dict[str, Any]) -> Table:
    """One row per trace: name, kind, status, error, start, latency, tokens, question, answer (as in the viewer)."""
    table = Table(list(TRACE_COLUMNS))
    for root in document["traces"]:
        tokens = sum(_tokens(span).get("total", 0) or 0 for span in walk(root) if span["kind"] in MODEL_KINDS)
        question, answer = trace_texts(root)
        table.rows.append(
            [
                root["name"],
                root["kind"],
                root["status"],
                _error_text(root),
                root["start_time"],
                duration_ms(root),
                tokens,
                clip(question, CELL_CHARS),
                clip(answer, CELL_CHARS),
            ]
        )
    return table


# -- action_records -------------------------------------------------------------------------

_EVENT_ROWS = ("text", "agent_action", "agent_finish")  # span events that were callbacks of their own


def _events(document: dict[str, Any]) -> list[tuple[str, int, str, dict[str, Any], Any]]:
    """(time, order, edge, span, payload) of every start, event and end, oldest first."""
    events: list[tuple[str, int, str, dict[str, Any], Any]] = []
    for root in document["traces"]:
        for span in walk(root):
            events.append((span["start_time"], 0, "start", span, None))
            for event in (span.get("attributes") or {}).get("events") or ():
                if isinstance(event, dict) and event.get("name") in _EVENT_ROWS:
                    events.append(
                        (event.get("time") or span["start_time"], 1, event["name"], span, event.get("payload"))
                    )
            edge = {"ok": "end", "error": "error"}.get(span["status"], "incomplete")
            events.append((span.get("end_time") or span["start_time"], 2, edge, span, None))
    events.sort(key=lambda item: (item[0], item[1]))
    return events


def action_table(document: dict[str, Any], html: Html = _as_is) -> tuple[Table, dict[str, list[int]]]:
    """``action_records``: one row per callback, with the old handler's running counters.

    Also returns each span's ``[start step, end step]``, which ``session_analysis`` shows as
    ``prompt_step`` and ``output_step``.
    """
    counters: dict[str, int] = dict.fromkeys(COUNTERS, 0)
    records: list[dict[str, Any]] = []
    steps: dict[str, list[int]] = {}
    extras = _Extras.of(document)
    info_columns: set[str] = set()
    for time, _, edge, span, payload in _events(document):
        family_name = family(span["kind"])
        counters["step"] += 1
        row: dict[str, Any] = {
            "name": span["name"],
            "kind": span["kind"],
            "status": span["status"],
            "time": time,
            "span_id": span["span_id"],
            "parent_id": span.get("parent_id"),
            "trace_id": span["trace_id"],
        }
        if edge == "start":
            counters["starts"] += 1
            counters[f"{family_name}_starts"] += 1
            steps[span["span_id"]] = [counters["step"], counters["step"]]
            row["action"] = f"on_{family_name}_start"
            row.update(_start_cells(span, family_name))
        elif edge in _EVENT_ROWS:
            row["action"] = f"on_{edge}"
            if edge == "text":
                counters["text_ctr"] += 1
            row.update(_event_cells(edge, payload))
        else:
            steps.setdefault(span["span_id"], [counters["step"], counters["step"]])[1] = counters["step"]
            row["action"] = f"on_{family_name}_{'error' if edge == 'error' else 'end'}"
            if edge == "end":
                counters["ends"] += 1
                counters[f"{family_name}_ends"] += 1
                cells = _end_cells(span, family_name, extras, html)
                info_columns.update(key for key in cells if key.startswith("generation_info_"))
                row.update(cells)
            elif edge == "error":
                counters["errors"] += 1
                row["error"] = _error_text(span)
            if family_name == "llm":
                chunks = (span.get("attributes") or {}).get("chunks")
                counters["llm_streams"] += chunks if isinstance(chunks, int) else 0
        row.update(counters)
        records.append(row)
    columns = [*ACTION_OLD_COLUMNS, *sorted(info_columns), *ACTION_CALLBACK_COLUMNS, *extras.old_columns]
    columns += [*ACTION_OWN_COLUMNS, *extras.own_metrics]
    return Table(columns, [[record.get(column) for column in columns] for record in records]), steps


def _start_cells(span: dict[str, Any], family_name: str) -> dict[str, Any]:
    inputs = span.get("inputs")
    if family_name == "llm":
        return {"prompts": prompt_text(inputs)}
    if family_name == "tool":
        return {"input_str": answer_text(inputs)}
    return {"input": answer_text(inputs)}


def _end_cells(span: dict[str, Any], family_name: str, extras: _Extras, html: Html) -> dict[str, Any]:
    outputs = span.get("outputs")
    if family_name == "tool":
        return {"output": answer_text(outputs)}
    if family_name != "llm":
        return {"outputs": answer_text(outputs)}
    cells = {"text": output_text(outputs), **_model_cells(span), **extras.cells(span, html)}
    found = generations(outputs)
    if found:
        cells["type"] = "ChatGeneration" if "message" in found[0] else "Generation"
        info = found[0].get("generation_info")
        if isinstance(info, dict):
            cells.update(_flatten(info, "generation_info"))
    return cells


def _event_cells(edge: str, payload: Any) -> dict[str, Any]:
    payload = payload if isinstance(payload, dict) or edge == "text" else {}
    if edge == "text":
        return {"text": answer_text(payload)}
    if edge == "agent_action":
        return {
            "tool": payload.get("tool"),
            "tool_input": answer_text(payload.get("tool_input")),
            "log": payload.get("log"),
        }
    return {"output": answer_text(payload.get("return_values")), "log": payload.get("log")}


def _model_cells(span: dict[str, Any]) -> dict[str, Any]:
    """model_name and token_usage_* of a model span, named as the old handler named them."""
    attributes = span.get("attributes") or {}
    outputs = span.get("outputs")
    llm_output = outputs.get("llm_output") if isinstance(outputs, dict) else None
    model_name = llm_output.get("model_name") if isinstance(llm_output, dict) else None
    tokens = _tokens(span)
    return {
        "model_name": model_name or attributes.get("response_model") or attributes.get("model"),
        "token_usage_prompt_tokens": tokens.get("prompt"),
        "token_usage_completion_tokens": tokens.get("completion"),
        "token_usage_total_tokens": tokens.get("total"),
    }


def _flatten(value: dict[str, Any], prefix: str) -> dict[str, Any]:
    """langchain_community's ``flatten_dict``: nested keys joined with ``_``."""
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}_{key}"
        if isinstance(item, dict):
            flat.update(_flatten(item, name))
        else:
            flat[name] = item
    return flat


# -- session_analysis ------------------------------------------------------------------------


@dataclass
class _Extras:
    """The metric and visualisation columns a session has, and their cells for a model span."""

    old_metrics: list[str]
    own_metrics: list[str]
    views: bool
    artifacts: dict[str, str]

    @classmethod
    def of(cls, document: dict[str, Any]) -> _Extras:
        spans = list(model_spans(document))
        names = {name for span in spans for name in (span.get("metrics") or {})}
        views = any((span.get("attributes") or {}).get("visualizations") for span in spans)
        return cls(
            [name for name in TEXTSTAT_METRICS if name in names],
            sorted(names.difference(TEXTSTAT_METRICS)),
            views,
            document.get("artifacts") or {},
        )

    @property
    def old_columns(self) -> list[str]:
        return [*self.old_metrics, *(VIEW_COLUMNS.values() if self.views else ())]

    def view(self, span: dict[str, Any], name: str) -> str | None:
        views = (span.get("attributes") or {}).get("visualizations")
        ref = views.get(name) if isinstance(views, dict) else None
        return self.artifacts.get(ref) if isinstance(ref, str) else None

    def cells(self, span: dict[str, Any], html: Html) -> dict[str, Any]:
        metrics = span.get("metrics") or {}
        cells = {name: metrics.get(name) for name in (*self.old_metrics, *self.own_metrics)}
        if "text_standard" in cells:  # textstat's own text_standard(text) is a string
            cells["text_standard"] = grade_text(cells["text_standard"])
        if self.views:
            for view, column in VIEW_COLUMNS.items():
                content = self.view(span, view)
                cells[column] = None if content is None else html(content)
        return cells


def model_spans(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The model calls (llm and chat_model spans) of every trace, in start order."""
    for root in document["traces"]:
        yield from (span for span in walk(root) if span["kind"] in MODEL_KINDS)


def chat_html(prompt: str, output: str) -> str:
    """The old handler's prompt/generation card (its ``chat_html``), with the texts escaped."""
    prompt_html = escape(prompt).replace("\n", "<br>")
    output_html = escape(output).replace("\n", "<br>")
    return (
        f'<p style="color:black;">{prompt_html}:</p>\n'
        f'<blockquote>\n  <p style="color:green;">\n    {output_html}\n  </p>\n</blockquote>'
    )


def analysis_table(document: dict[str, Any], steps: dict[str, list[int]], html: Html = _as_is) -> Table:
    """``session_analysis``: one row per model call, its prompt and output as text, metrics, views."""
    extras = _Extras.of(document)
    columns = [*ANALYSIS_OLD_COLUMNS, *extras.old_columns, "chat_html", *ANALYSIS_OWN_COLUMNS, *extras.own_metrics]
    table = Table(columns)
    for span in model_spans(document):
        prompt, output = prompt_text(span.get("inputs")), output_text(span.get("outputs"))
        start_step, end_step = steps.get(span["span_id"], (None, None))
        tokens = _tokens(span)
        card = extras.view(span, CHAT_VIEW) or chat_html(prompt, output)
        cells = {
            "prompt_step": start_step,
            "prompts": prompt,
            "name": span["name"],
            "output_step": end_step,
            "output": output,
            "token_usage_total_tokens": tokens.get("total"),
            "token_usage_prompt_tokens": tokens.get("prompt"),
            "token_usage_completion_tokens": tokens.get("completion"),
            **extras.cells(span, html),
            "chat_html": html(card),
            "model": (span.get("attributes") or {}).get("model"),
            "status": span["status"],
            "latency_ms": duration_ms(span),
            "trace_id": span["trace_id"],
            "span_id": span["span_id"],
        }
        table.rows.append([cells.get(column) for column in columns])
    return table


def tables(document: dict[str, Any], html: Html = _as_is) -> dict[str, Table]:
    """The tables of a session, by their key in the run (and ``evaluation`` for an experiment's)."""
    actions, steps = action_table(document, html)
    found = {
        "traces": trace_table(document),
        "action_records": actions,
        "session_analysis": analysis_table(document, steps, html),
    }
    evaluation = wandb_eval.evaluation_table(document)  # an experiment's session: one row per example
    if evaluation is not None:
        found["evaluation"] = Table(*evaluation)
    return found


def summary_metrics(summary: dict[str, Any]) -> dict[str, Any]:
    """The run summary: the session summary plus flat latency, token and cost keys for charts.

    ``traces`` becomes ``trace_count``: under ``traces`` the summary points at the table.
    """
    latency = summary.get("latency_ms") or {}
    tokens = summary.get("tokens") or {}
    return {
        **{SUMMARY_RENAMES.get(key, key): value for key, value in summary.items()},
        "latency_p50_ms": latency.get("p50"),
        "latency_p95_ms": latency.get("p95"),
        "tokens_total": tokens.get("total", 0),
        "cost_usd": (summary.get("cost") or {}).get("total"),  # None when a call could not be priced
    }
