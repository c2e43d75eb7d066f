"""`chaintracer export SESSION --format json` checked against the contract in docs/architecture.md."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from export_contract import validate_export

from chaintracer import Span, SpanKind, StatusCode, Tracer


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
