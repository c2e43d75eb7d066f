"""`chaintracer export SESSION --format json` checked against the contract in ARCHITECTURE.md."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from chaintracer import Span, SpanKind, StatusCode, Tracer

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


def _validate_span(
    span: Any, where: str, trace_id: Any, parent_id: Any, seen: set[str], found: list[dict], problems: list[str]
) -> datetime | None:
    if not isinstance(span, dict):
        problems.append(f"{where}: not an object")
        return None
    found.append(span)
    if set(span) != SPAN_KEYS:
        problems.append(
            f"{where}: keys differ: missing {sorted(SPAN_KEYS - set(span))}, extra {sorted(set(span) - SPAN_KEYS)}"
        )
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
    """Problems of an export document against the ARCHITECTURE.md contract (empty when it conforms)."""
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


class _Pipeline:
    """Stands in for a user's flushed asset."""


def _record_rich_session(tracer: Tracer) -> None:
    rec = tracer.recorder
    # 1. agent > chain > [chat model with tokens, failing tool] — through the recorder.
    rec.start("a", None, "agent", "agent", inputs={"question": "2+2?"})
    rec.start("c", "a", "chain", "plan", inputs={"question": "2+2?"})
    rec.start(
        "m",
        "c",
        "chat_model",
        "model",
        inputs=[{"role": "user", "content": "2+2?"}],
        attributes={"model": "scripted", "tokens": {"prompt": 4, "completion": 2, "total": 6}},
    )
    rec.end("m", outputs={"content": "use the calculator"})
    rec.start("t", "c", "tool", "calculator", inputs="2+2")
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError as exc:
        rec.fail("t", exc)
    rec.end("c", outputs={"answer": None})
    rec.end("a", outputs={"answer": "unknown"})
    # 2. a manual tree with an error span.
    root = Span(name="manual", span_kind=SpanKind.CHAIN)
    llm = Span(name="llm", span_kind=SpanKind.LLM)
    llm.add_named_result({"prompt": "hi"}, {"text": "hello"})
    root.add_child_span(llm)
    root.add_child_span(
        Span(name="retrieve", span_kind="retriever", status_code=StatusCode.ERROR, status_message="index offline")
    )
    tracer.log_trace(root)
    # 3. a stream abandoned mid-way: closed as incomplete at flush.
    rec.start("s", None, "chain", "streaming")
    rec.start("sm", "s", "llm", "stream-model")


def _cli_export(store: str, ref: str, cwd: Path) -> dict:
    script = shutil.which("chaintracer", path=str(Path(sys.executable).parent))
    assert script, "the chaintracer console script is not installed"
    env = {key: value for key, value in os.environ.items() if key != "CHAINTRACER_STORE"}
    result = subprocess.run(
        [script, "export", ref, "--format", "json", "--store", store],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    def reject(constant: str) -> None:
        raise ValueError(f"non-standard JSON constant {constant} in the export")

    return json.loads(result.stdout, parse_constant=reject)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict:
    """The CLI export of one session with nesting, errors, an incomplete trace, a model and overrides."""
    base = tmp_path_factory.mktemp("contract")
    store = str(base / "chaintracer.db")
    tracer = Tracer(project="contract", tags=["a", "b"], group="g", store=store)
    _record_rich_session(tracer)
    info = tracer.flush_tracker(_Pipeline(), name="contract", job_type="test", temperature=0.1)
    return _cli_export(store, info.id, base)


def test_export_follows_the_contract(exported):
    """The JSON export of a session with nesting, errors and an incomplete span matches the contract exactly."""
    assert validate_export(exported) == []


def test_export_holds_what_was_recorded(exported):
    """The export carries the recorded nesting, the error details, the incomplete span, the model and overrides."""
    session = exported["session"]
    assert (session["project"], session["name"], session["tags"]) == ("contract", "contract", ["a", "b"])
    assert (session["group"], session["job_type"]) == ("g", "test")
    assert session["config"]["temperature"] == 0.1
    assert session["model"] is not None and "_Pipeline" in json.dumps(session["model"])
    assert session["summary"]["tokens"] == {"prompt": 4, "completion": 2, "total": 6}

    agent, manual, streaming = exported["traces"]
    plan = agent["children"][0]
    assert [child["name"] for child in plan["children"]] == ["model", "calculator"]
    tool = plan["children"][1]
    assert tool["status"] == "error"
    assert tool["error"]["type"] == "ZeroDivisionError"
    assert tool["error"]["message"] == "division by zero"
    assert "ZeroDivisionError" in tool["error"]["traceback"]
    assert manual["children"][1]["error"]["message"] == "index offline"
    assert (streaming["status"], streaming["children"][0]["status"]) == ("incomplete", "incomplete")
    assert plan["children"][0]["inputs"] == [{"role": "user", "content": "2+2?"}]


def _break(document: dict, how: str) -> dict:
    broken = copy.deepcopy(document)
    root = broken["traces"][0]
    child = root["children"][0]
    if how == "extra session key":
        broken["session"]["entity"] = None
    elif how == "missing span key":
        del child["metrics"]
    elif how == "timestamp without microseconds":
        child["start_time"] = child["start_time"][:19] + "+00:00"
    elif how == "local time":
        child["end_time"] = child["end_time"][:26] + "+02:00"
    elif how == "wrong parent":
        child["parent_id"] = "someone-else"
    elif how == "foreign trace id":
        child["trace_id"] = "another-trace"
    elif how == "children out of order":
        child["children"][1]["start_time"] = "2000-01-01T00:00:00.000000+00:00"
    elif how == "error without traceback key":
        del child["children"][1]["error"]["traceback"]
    elif how == "unknown status":
        child["status"] = "success"
    elif how == "summary miscount":
        broken["session"]["summary"]["spans"] += 1
    elif how == "tokens missing":
        del broken["session"]["summary"]["tokens"]["completion"]
    elif how == "traces newest first":
        broken["traces"][1]["start_time"] = "2000-01-01T00:00:00.000000+00:00"
    return broken


@pytest.mark.parametrize(
    "how",
    [
        "extra session key",
        "missing span key",
        "timestamp without microseconds",
        "local time",
        "wrong parent",
        "foreign trace id",
        "children out of order",
        "error without traceback key",
        "unknown status",
        "summary miscount",
        "tokens missing",
        "traces newest first",
    ],
)
def test_validator_catches_contract_breaks(exported, how):
    """The contract validator rejects a document broken in one specific way (so a pass means something)."""
    assert validate_export(exported) == []
    assert validate_export(_break(exported, how)) != []
