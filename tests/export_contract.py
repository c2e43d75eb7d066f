"""The JSON export contract of docs/architecture.md, written once for the tests.

Deliberately independent of chaintracer/export.py: a test that imported the product's key
list could not notice the product changing it.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

SESSION_KEYS = {
    "id",
    "project",
    "name",
    "tags",
    "group",
    "job_type",
    "notes",
    "started_at",
    "ended_at",
    "config",
    "summary",
    "model",
}
SUMMARY_COUNTS = ("traces", "spans", "errors", "llm_calls", "tool_calls")
TOKEN_KEYS = {"prompt", "completion", "total"}
SPAN_KEYS = {
    "span_id",
    "trace_id",
    "parent_id",
    "name",
    "kind",
    "status",
    "error",
    "start_time",
    "end_time",
    "inputs",
    "outputs",
    "attributes",
    "metrics",
    "children",
}
# Second-round additions: an evaluated trace's root carries "scores"; any span may carry "feedback".
OPTIONAL_SPAN_KEYS = {"scores", "feedback"}
FEEDBACK_KEYS = {"key", "score", "comment", "at"}
EXAMPLE_KEYS = {"index", "id", "expected"}
EXPERIMENT_KEYS = {"id", "name", "variant", "repetition", "dataset_hash", "params"}
ERROR_KEYS = {"type", "message", "traceback"}
STATUSES = {"ok", "error", "incomplete"}
MODEL_KINDS = {"llm", "chat_model"}
ISO_UTC_MICROSECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(\+00:00|Z)$")
KIND = re.compile(r"^[a-z][a-z_]*$")


# -- the validator ----------------------------------------------------------------------------


def _time(value: Any, where: str, problems: list[str]) -> datetime | None:
    if not isinstance(value, str) or not ISO_UTC_MICROSECONDS.match(value):
        problems.append(f"{where}: {value!r} is not ISO-8601 UTC with microseconds")
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.utcoffset() != timezone.utc.utcoffset(None):
        problems.append(f"{where}: {value!r} is not UTC")
    return parsed


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _optional_str(value: Any) -> bool:
    return value is None or isinstance(value, str)


def validate_session(session: Any, where: str = "session") -> list[str]:
    """Problems of a contract `session` object (empty when it conforms)."""
    problems: list[str] = []
    if not isinstance(session, dict):
        return [f"{where}: not an object"]
    if set(session) != SESSION_KEYS:
        problems.append(
            f"{where}: keys differ: missing {sorted(SESSION_KEYS - set(session))}, "
            f"extra {sorted(set(session) - SESSION_KEYS)}"
        )
    for key in ("id", "project", "name"):
        if not isinstance(session.get(key), str) or not session.get(key):
            problems.append(f"{where}.{key}: {session.get(key)!r} is not a non-empty string")
    tags = session.get("tags")
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        problems.append(f"{where}.tags: {tags!r} is not a list of strings")
    for key in ("group", "job_type", "notes"):
        if not _optional_str(session.get(key)):
            problems.append(f"{where}.{key}: {session.get(key)!r} is not a string or null")
    started = _time(session.get("started_at"), f"{where}.started_at", problems)
    ended = _time(session.get("ended_at"), f"{where}.ended_at", problems)
    if started and ended and ended < started:
        problems.append(f"{where}: ended_at before started_at")
    if not isinstance(session.get("config"), dict):
        problems.append(f"{where}.config: not an object")
    elif "experiment" in session["config"]:
        problems.extend(_validate_experiment(session["config"]["experiment"], f"{where}.config.experiment"))
    model = session.get("model")
    if model is not None and not isinstance(model, dict):
        problems.append(f"{where}.model: {model!r} is neither an object nor null")
    summary = session.get("summary")
    if not isinstance(summary, dict):
        problems.append(f"{where}.summary: not an object")
        return problems
    for key in SUMMARY_COUNTS:
        if not _is_int(summary.get(key)):
            problems.append(f"{where}.summary.{key}: {summary.get(key)!r} is not a count")
    tokens = summary.get("tokens")
    if not isinstance(tokens, dict) or set(tokens) != TOKEN_KEYS or not all(_is_int(v) for v in tokens.values()):
        problems.append(f"{where}.summary.tokens: {tokens!r} is not {{prompt, completion, total}} counts")
    return problems


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _validate_scores(scores: Any, where: str) -> list[str]:
    if not isinstance(scores, dict) or not scores:
        return [f"{where}: {scores!r} is not a non-empty object"]
    problems = []
    for name, value in scores.items():
        if isinstance(value, dict):
            inner = value.get("value")
            if "value" not in value or not (inner is None or isinstance(inner, bool) or _is_number(inner)):
                problems.append(f"{where}.{name}: {value!r} has no number, bool or null 'value'")
            elif inner is None and not isinstance(value.get("error"), str):
                problems.append(f"{where}.{name}: a failed score without its error")
        elif not (isinstance(value, bool) or _is_number(value)):
            problems.append(f"{where}.{name}: {value!r} is not a number, a bool or an object")
    return problems


def _validate_feedback(entries: Any, where: str) -> list[str]:
    if not isinstance(entries, list) or not entries:
        return [f"{where}: {entries!r} is not a non-empty list"]
    problems = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or set(entry) != FEEDBACK_KEYS:
            problems.append(f"{where}[{index}]: {entry!r} is not {{key, score, comment, at}}")
            continue
        if not isinstance(entry["key"], str) or not entry["key"]:
            problems.append(f"{where}[{index}].key: {entry['key']!r} is not a non-empty string")
        if not _is_number(entry["score"]):
            problems.append(f"{where}[{index}].score: {entry['score']!r} is not a number")
        if not _optional_str(entry["comment"]):
            problems.append(f"{where}[{index}].comment: {entry['comment']!r} is not a string or null")
        _time(entry["at"], f"{where}[{index}].at", problems)
    return problems


def _validate_experiment(experiment: Any, where: str) -> list[str]:
    if not isinstance(experiment, dict) or set(experiment) != EXPERIMENT_KEYS:
        return [f"{where}: {experiment!r} is not {{{', '.join(sorted(EXPERIMENT_KEYS))}}}"]
    problems = []
    for key in ("id", "name", "variant", "dataset_hash"):
        if not isinstance(experiment[key], str) or not experiment[key]:
            problems.append(f"{where}.{key}: {experiment[key]!r} is not a non-empty string")
    if not _is_int(experiment["repetition"]):
        problems.append(f"{where}.repetition: {experiment['repetition']!r} is not a count")
    if not isinstance(experiment["params"], dict):
        problems.append(f"{where}.params: not an object")
    return problems


def _validate_span(
    span: Any, where: str, trace_id: Any, parent_id: Any, seen: set[str], found: list[dict], problems: list[str]
) -> datetime | None:
    if not isinstance(span, dict):
        problems.append(f"{where}: not an object")
        return None
    found.append(span)
    extra = set(span) - SPAN_KEYS - OPTIONAL_SPAN_KEYS
    if not set(span) >= SPAN_KEYS or extra:
        problems.append(f"{where}: keys differ: missing {sorted(SPAN_KEYS - set(span))}, extra {sorted(extra)}")
    if "scores" in span:
        if parent_id is not None:
            problems.append(f"{where}.scores: only a trace's root span carries scores")
        problems.extend(_validate_scores(span["scores"], f"{where}.scores"))
    if "feedback" in span:
        problems.extend(_validate_feedback(span["feedback"], f"{where}.feedback"))
    example = (span.get("attributes") or {}).get("example") if isinstance(span.get("attributes"), dict) else None
    if example is not None and (not isinstance(example, dict) or set(example) != EXAMPLE_KEYS):
        problems.append(f"{where}.attributes.example: {example!r} is not {{index, id, expected}}")
    span_id = span.get("span_id")
    if not isinstance(span_id, str) or not span_id:
        problems.append(f"{where}.span_id: {span_id!r} is not a non-empty string")
    elif span_id in seen:
        problems.append(f"{where}.span_id: {span_id!r} is not unique")
    else:
        seen.add(span_id)
    if not isinstance(span.get("trace_id"), str) or span.get("trace_id") != trace_id:
        problems.append(f"{where}.trace_id: {span.get('trace_id')!r} differs from its root's {trace_id!r}")
    if span.get("parent_id") != parent_id:
        problems.append(f"{where}.parent_id: {span.get('parent_id')!r}, expected {parent_id!r}")
    if not isinstance(span.get("name"), str):
        problems.append(f"{where}.name: {span.get('name')!r} is not a string")
    if not isinstance(span.get("kind"), str) or not KIND.match(span["kind"]):
        problems.append(f"{where}.kind: {span.get('kind')!r} is not a lowercase kind")
    status = span.get("status")
    if status not in STATUSES:
        problems.append(f"{where}.status: {status!r} is not one of {sorted(STATUSES)}")
    error = span.get("error")
    if error is not None:
        if not isinstance(error, dict) or set(error) != ERROR_KEYS:
            problems.append(f"{where}.error: {error!r} is not {{type, message, traceback}}")
        else:
            if not isinstance(error["type"], str) or not error["type"]:
                problems.append(f"{where}.error.type: {error['type']!r} is not a non-empty string")
            if not isinstance(error["message"], str):
                problems.append(f"{where}.error.message: {error['message']!r} is not a string")
            if not _optional_str(error["traceback"]):
                problems.append(f"{where}.error.traceback: {error['traceback']!r} is not a string or null")
    if (status == "error") != (error is not None):
        problems.append(f"{where}: status {status!r} with error {error!r}")
    start = _time(span.get("start_time"), f"{where}.start_time", problems)
    end = _time(span.get("end_time"), f"{where}.end_time", problems)
    if start and end and end < start:
        problems.append(f"{where}: end_time before start_time")
    for key in ("attributes", "metrics"):
        if not isinstance(span.get(key), dict):
            problems.append(f"{where}.{key}: {span.get(key)!r} is not an object")
    children = span.get("children")
    if not isinstance(children, list):
        problems.append(f"{where}.children: not a list")
        return start
    previous = None
    for index, child in enumerate(children):
        child_start = _validate_span(child, f"{where}.children[{index}]", trace_id, span_id, seen, found, problems)
        if previous and child_start and child_start < previous:
            problems.append(f"{where}.children[{index}]: not in start order")
        previous = child_start or previous
    return start


def validate_export(document: Any) -> list[str]:
    """Problems of an export document against the docs/architecture.md contract (empty when it conforms)."""
    if not isinstance(document, dict) or set(document) != {"session", "traces"}:
        return [f"document: keys {sorted(document) if isinstance(document, dict) else document!r}"]
    problems = validate_session(document["session"])
    traces = document["traces"]
    if not isinstance(traces, list):
        return [*problems, "traces: not a list"]
    seen: set[str] = set()
    spans: list[dict] = []
    previous = None
    for index, root in enumerate(traces):
        trace_id = root.get("trace_id") if isinstance(root, dict) else None
        start = _validate_span(root, f"traces[{index}]", trace_id, None, seen, spans, problems)
        if previous and start and start < previous:
            problems.append(f"traces[{index}]: traces are not oldest first")
        previous = start or previous
    summary = document["session"].get("summary") if isinstance(document["session"], dict) else None
    if isinstance(summary, dict):
        expected = {
            "traces": len(traces),
            "spans": len(spans),
            "errors": sum(1 for s in spans if s.get("status") == "error"),
            "llm_calls": sum(1 for s in spans if s.get("kind") in MODEL_KINDS),
            "tool_calls": sum(1 for s in spans if s.get("kind") == "tool"),
        }
        for key, value in expected.items():
            if summary.get(key) != value:
                problems.append(f"session.summary.{key}: {summary.get(key)!r}, but the traces hold {value}")
    return problems


# -- the session under test ---------------------------------------------------------------------

T0 = 1_700_000_000_000  # milliseconds
