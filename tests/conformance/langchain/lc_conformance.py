"""Span-by-span comparison of chaintracer's LangChain traces with LangChain's own tracer.

Each program runs once with both handlers in the same ``callbacks`` list: chaintracer's
``langchain_tracer.Tracer`` and ``RunCollector``, a ``BaseTracer`` subclass that keeps the
``Run`` trees LangChain builds. ``Conformance.check`` flushes chaintracer, normalises both
forests to the same plain shape (ids become nesting, times are compared with a tolerance then
dropped) and asserts they are equal, plus what every trace must satisfy: the export contract,
model and tool calls counted once, token totals equal to what the models reported, no raw
embedding vectors, no internal tracer error, nothing logged at warning or above.

chaintracer folds no LangChain run: every run is one span. Its one relabelling is the
``agent`` kind (LangChain has no agent run type), declared per program with ``agents=``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from export_contract import validate_export
from langchain_core.tracers.base import BaseTracer
from langchain_core.tracers.schemas import Run

from chaintracer.spantree import walk
from chaintracer.testing import flushed
from langchain_tracer import Tracer

# LangChain's run_type -> chaintracer's kind: the one mapping the suite reads.
RUN_TYPE_KIND = {
    "chain": "chain",
    "prompt": "prompt",
    "parser": "parser",
    "llm": "llm",
    "chat_model": "chat_model",
    "tool": "tool",
    "retriever": "retriever",
    "embedding": "embedding",
}
MODEL_RUN_TYPES = ("llm", "chat_model")

# Both handlers see each event one after the other; the gap is microseconds unless the
# machine deschedules the thread in between, hence the generous bound.
TIME_TOLERANCE = timedelta(milliseconds=500)

# A list of at least this many floats in a stored payload is a raw embedding vector.
VECTOR_LENGTH = 4


class RunCollector(BaseTracer):
    """LangChain's own view of a program: every root ``Run`` (with its live child tree)."""

    # Inline like chaintracer's handler: events in the same order, no thread-pool hop in async.
    run_inline = True

    def __init__(self) -> None:
        # "original+chat" records chat models as chat_model runs with their messages.
        super().__init__(_schema_format="original+chat")
        self.roots: list[Run] = []
        self.exceptions: dict[UUID, BaseException] = {}

    def _persist_run(self, run: Run) -> None:
        # The live object: a child that ends after its root still updates this tree.
        self.roots.append(run)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> Run:
        self.exceptions[run_id] = error
        return super().on_chain_error(error, run_id=run_id, **kwargs)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> Run:
        self.exceptions[run_id] = error
        return super().on_llm_error(error, run_id=run_id, **kwargs)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> Run:
        self.exceptions[run_id] = error
        return super().on_tool_error(error, run_id=run_id, **kwargs)

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> Run:
        self.exceptions[run_id] = error
        return super().on_retriever_error(error, run_id=run_id, **kwargs)


class Conformance:
    """Both tracers for one program, and the check that their traces agree."""

    def __init__(self, tracer: Tracer, caplog: Any) -> None:
        self.tracer = tracer
        self.reference = RunCollector()
        self.caplog = caplog

    @property
    def callbacks(self) -> list[Any]:
        """The handlers to pass as ``callbacks=``: chaintracer first, LangChain's tracer second."""
        return [self.tracer, self.reference]

    @property
    def config(self) -> dict[str, Any]:
        """A ``RunnableConfig`` with both handlers."""
        return {"callbacks": self.callbacks}

    def check(self, traces: int | None = None, agents: tuple[str, ...] = (), asset: Any = None) -> dict[str, Any]:
        """Flushes chaintracer and asserts its traces equal LangChain's, span by span; returns the export.

        ``agents`` names the runs chaintracer reports as ``agent`` (LangChain has no agent
        run type; everything else must have the kind of its ``run_type``).
        """
        doc = flushed(self.tracer, "conformance", asset=asset)
        assert validate_export(doc) == []
        roots = sorted(self.reference.roots, key=lambda run: run.start_time)
        expected = [self._run_node(run, agents) for run in roots]
        actual = [_span_node(span) for span in doc["traces"]]
        for want, got in zip(expected, actual):
            _assert_times(want, got)
        assert outline(actual) == outline(expected)
        if traces is not None:
            assert len(actual) == traces

        runs = [run for root in roots for run in _walk_runs(root)]
        summary = doc["session"]["summary"]
        assert summary["spans"] == len(runs)
        assert summary["llm_calls"] == sum(run.run_type in MODEL_RUN_TYPES for run in runs)
        assert summary["tool_calls"] == sum(run.run_type == "tool" for run in runs)
        assert summary["errors"] == sum(run.error is not None for run in runs)
        assert summary["tokens"] == reported_tokens(runs)
        assert summary["tracer_errors"] == 0
        assert not raw_vectors(doc), "a raw embedding vector was stored"
        logged = [f"{r.name}: {r.getMessage()}" for r in self.caplog.records if r.levelno >= logging.WARNING]
        assert logged == []
        return doc

    def _run_node(self, run: Run, agents: tuple[str, ...]) -> dict[str, Any]:
        error = None
        if run.error is not None:
            exc = self.reference.exceptions[run.id]
            error = (type(exc).__name__, str(exc))
        kind = "agent" if run.name in agents else RUN_TYPE_KIND[run.run_type]
        children = sorted(run.child_runs, key=lambda child: child.start_time)
        return {
            "name": run.name,
            "kind": kind,
            "status": "incomplete" if run.end_time is None else "error" if run.error is not None else "ok",
            "error": error,
            "chunks": sum(event["name"] == "new_token" for event in run.events),
            "start": run.start_time,
            "end": run.end_time,
            "children": [self._run_node(child, agents) for child in children],
        }


def _span_node(span: dict[str, Any]) -> dict[str, Any]:
    error = span["error"]
    return {
        "name": span["name"],
        "kind": span["kind"],
        "status": span["status"],
        "error": None if error is None else (error["type"], error["message"]),
        "chunks": span["attributes"].get("chunks", 0),
        "start": datetime.fromisoformat(span["start_time"]),
        "end": None if span["status"] == "incomplete" else datetime.fromisoformat(span["end_time"]),
        "children": [_span_node(child) for child in span["children"]],
    }


def outline(forest: list[dict[str, Any]]) -> list[str]:
    """One line per span, indented under its parent: kind, name, status, error, streamed chunks (no times)."""
    lines: list[str] = []
    stack = [(node, 0) for node in reversed(forest)]
    while stack:
        node, depth = stack.pop()
        line = f"{'  ' * depth}{node['kind']} {node['name']} {node['status']}"
        if node["chunks"]:
            line += f" chunks={node['chunks']}"
        if node["error"] is not None:
            line += f" {node['error'][0]}: {node['error'][1]}"
        lines.append(line)
        stack.extend((child, depth + 1) for child in reversed(node["children"]))
    return lines


def _assert_times(want: dict[str, Any], got: dict[str, Any]) -> None:
    where = f"{got['name']} (reference {want['name']})"
    assert abs(got["start"] - want["start"]) <= TIME_TOLERANCE, f"start of {where}"
    if want["end"] is not None and got["end"] is not None:
        assert abs(got["end"] - want["end"]) <= TIME_TOLERANCE, f"end of {where}"
    for child_want, child_got in zip(want["children"], got["children"]):
        _assert_times(child_want, child_got)


def _walk_runs(run: Run) -> list[Run]:
    runs, stack = [], [run]
    while stack:
        current = stack.pop()
        runs.append(current)
        stack.extend(current.child_runs)
    return runs


def reported_tokens(runs: list[Run]) -> dict[str, int]:
    """Token totals the models reported, read from LangChain's runs (messages' usage, else llm_output)."""
    totals = {"prompt": 0, "completion": 0, "total": 0}
    for run in runs:
        if run.run_type not in MODEL_RUN_TYPES or not run.outputs:
            continue
        # Messages are stored serialised (``dumpd``): their fields are under "kwargs".
        messages = [
            (generation.get("message") or {}).get("kwargs") or {}
            for generations in run.outputs.get("generations") or ()
            for generation in generations
        ]
        usages = [message["usage_metadata"] for message in messages if message.get("usage_metadata")]
        if usages:
            for usage in usages:
                totals["prompt"] += usage["input_tokens"]
                totals["completion"] += usage["output_tokens"]
                totals["total"] += usage["total_tokens"]
            continue
        usage = (run.outputs.get("llm_output") or {}).get("token_usage") or {}
        totals["prompt"] += usage.get("prompt_tokens", 0)
        totals["completion"] += usage.get("completion_tokens", 0)
        totals["total"] += usage.get("total_tokens", 0)
    return totals


def raw_vectors(doc: dict[str, Any]) -> list[list[float]]:
    """Lists of floats (embedding vectors) anywhere in the exported spans."""
    found: list[list[float]] = []
    for root in doc["traces"]:
        for span in walk(root):
            stack = [span["inputs"], span["outputs"], span["attributes"]]
            while stack:
                value = stack.pop()
                if isinstance(value, dict):
                    stack.extend(value.values())
                elif isinstance(value, list):
                    if len(value) >= VECTOR_LENGTH and all(type(item) is float for item in value):
                        found.append(value)
                    else:
                        stack.extend(value)
    return found
