"""Spans: the unit every tracer records, and the manual API for writing your own integration.

The manual API mirrors ``wandb.sdk.data_types.trace_tree`` (``Span``, ``SpanKind``, ``Result``,
``StatusCode``, ``add_named_result``, ``add_child_span``) so that code written for W&B's Trace
panel switches by changing the import.
"""

from __future__ import annotations

import enum
import time
import uuid
from typing import Any


class SpanKind(str, enum.Enum):
    """What a span stands for; the value is the lowercase string stored and exported."""

    AGENT = "agent"
    CHAIN = "chain"
    LLM = "llm"
    CHAT_MODEL = "chat_model"
    TOOL = "tool"
    RETRIEVER = "retriever"
    EMBEDDING = "embedding"
    RERANKER = "reranker"
    PARSER = "parser"
    PROMPT = "prompt"

    def __str__(self) -> str:
        return self.value


class Status(str, enum.Enum):
    """How a span ended."""

    OK = "ok"
    ERROR = "error"
    INCOMPLETE = "incomplete"

    # W&B's StatusCode spells success this way; accept it so ported code keeps working.
    SUCCESS = "ok"

    def __str__(self) -> str:
        return self.value


StatusCode = Status


class Result:
    """One named input/output pair, as W&B's ``trace_tree.Result``."""

    __slots__ = ("inputs", "outputs")

    def __init__(self, inputs: dict[str, Any] | None = None, outputs: dict[str, Any] | None = None):
        self.inputs = inputs
        self.outputs = outputs


def coerce_kind(kind: Any) -> str:
    """The stored kind string of a ``SpanKind`` or kind name; ValueError for unknown kinds."""
    if kind is None:
        return SpanKind.CHAIN.value
    try:
        return SpanKind(kind.lower() if isinstance(kind, str) else kind).value
    except ValueError:
        kinds = ", ".join(k.value for k in SpanKind)
        raise ValueError(f"span_kind={kind!r} is not one of: {kinds}") from None


def _coerce_status(status: Any) -> str:
    if status is None:
        return Status.OK.value
    try:
        return Status(status.lower() if isinstance(status, str) else status).value
    except ValueError:
        if isinstance(status, str) and status.upper() == "SUCCESS":
            return Status.OK.value
        raise ValueError(f"status_code={status!r} is not one of: ok, error, incomplete") from None


class Span:
    """One timed step of a trace: a chain, a model call, a tool call...

    Adapters create spans through the recorder on the hot path, so the class is a plain
    ``__slots__`` object: no validation and no copying there. Inputs and outputs hold what the
    framework gave until the trace is encoded off the hot path. Times are integer nanoseconds
    since the epoch.
    """

    __slots__ = (
        "attributes",
        "children",
        "chunks",
        "end_ns",
        "error",
        "first_chunk_ns",
        "inputs",
        "kind",
        "metrics",
        "name",
        "outputs",
        "parent_id",
        "span_id",
        "start_ns",
        "status",
        "trace_id",
    )

    def __init__(
        self,
        name: str | None = None,
        span_kind: SpanKind | str | None = None,
        *,
        span_id: str | None = None,
        start_time_ms: int | None = None,
        end_time_ms: int | None = None,
        status_code: Status | str | None = None,
        status_message: str | None = None,
        attributes: dict[str, Any] | None = None,
        results: list[Result] | None = None,
        child_spans: list[Span] | None = None,
    ) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str, not {type(name).__name__}: {name!r}")
        if attributes is not None and not isinstance(attributes, dict):
            raise TypeError(f"attributes must be a dict, not {type(attributes).__name__}")
        self.span_id = span_id or uuid.uuid4().hex
        self.trace_id = self.span_id
        self.parent_id: str | None = None
        self.name = name or "span"
        self.kind = coerce_kind(span_kind)
        self.status = _coerce_status(status_code)
        self.error: Any = None
        if status_message is not None:
            self.error = {"type": "Error", "message": str(status_message), "traceback": None}
        now_ns = time.time_ns()
        start_ns = _ms_to_ns("start_time_ms", start_time_ms)
        self.start_ns = start_ns if start_ns is not None else now_ns
        self.end_ns: int | None = _ms_to_ns("end_time_ms", end_time_ms)
        self.inputs: Any = None
        self.outputs: Any = None
        self.attributes: dict[str, Any] = dict(attributes or {})
        self.metrics: dict[str, Any] = {}
        self.children: list[Span] = []
        self.chunks = 0  # streamed chunks (tokens) counted by the recorder
        self.first_chunk_ns: int | None = None
        for result in results or ():
            if not (hasattr(result, "inputs") and hasattr(result, "outputs")):
                raise TypeError(
                    f"results must hold chaintracer.Result objects, not {type(result).__name__}: {result!r:.80}"
                )
            self.add_named_result(result.inputs, result.outputs)
        for child in child_spans or ():
            self.add_child_span(child)

    @classmethod
    def _fast(
        cls,
        span_id: str,
        parent: Span | None,
        kind: str,
        name: str,
        inputs: Any,
        attributes: dict[str, Any],
        start_ns: int,
    ) -> Span:
        """Builds a span without validation; the recorder's hot path."""
        span = cls.__new__(cls)
        span.span_id = span_id
        if parent is None:
            span.trace_id = span_id
            span.parent_id = None
        else:
            span.trace_id = parent.trace_id
            span.parent_id = parent.span_id
        span.name = name
        span.kind = kind
        span.status = "ok"
        span.error = None
        span.start_ns = start_ns
        span.end_ns = None
        span.inputs = inputs
        span.outputs = None
        span.attributes = attributes
        span.metrics = {}
        span.children = []
        span.chunks = 0
        span.first_chunk_ns = None
        return span

    # -- the W&B-compatible manual API -------------------------------------------------

    @property
    def span_kind(self) -> SpanKind:
        return SpanKind(self.kind)

    @span_kind.setter
    def span_kind(self, value: SpanKind | str) -> None:
        self.kind = coerce_kind(value)

    @property
    def status_code(self) -> Status:
        return Status(self.status)

    @status_code.setter
    def status_code(self, value: Status | str) -> None:
        self.status = _coerce_status(value)

    @property
    def status_message(self) -> str | None:
        return self.error.get("message") if isinstance(self.error, dict) else None

    @status_message.setter
    def status_message(self, message: str | None) -> None:
        self.error = None if message is None else {"type": "Error", "message": str(message), "traceback": None}

    @property
    def start_time_ms(self) -> int:
        return self.start_ns // 1_000_000

    @start_time_ms.setter
    def start_time_ms(self, value: int) -> None:
        start_ns = _ms_to_ns("start_time_ms", value)
        if start_ns is None:
            raise TypeError("start_time_ms cannot be None")
        self.start_ns = start_ns

    @property
    def end_time_ms(self) -> int | None:
        return None if self.end_ns is None else self.end_ns // 1_000_000

    @end_time_ms.setter
    def end_time_ms(self, value: int | None) -> None:
        self.end_ns = _ms_to_ns("end_time_ms", value)

    @property
    def child_spans(self) -> list[Span]:
        return self.children

    def add_named_result(self, inputs: dict[str, Any] | None, outputs: dict[str, Any] | None) -> None:
        """Records inputs and outputs; a second call merges its keys into the first."""
        for value, label in ((inputs, "inputs"), (outputs, "outputs")):
            if value is not None and not isinstance(value, dict):
                raise TypeError(f"{label} must be a dict, not {type(value).__name__}: {value!r:.80}")
        self.inputs = _merge(self.inputs, inputs)
        self.outputs = _merge(self.outputs, outputs)

    def add_attribute(self, key: str, value: Any) -> None:
        """Sets one attribute (model name, parameters, anything JSON-like)."""
        if not isinstance(key, str):
            raise TypeError(f"attribute key must be a str, not {type(key).__name__}: {key!r}")
        self.attributes[key] = value

    def add_child_span(self, child: Span) -> None:
        """Nests ``child`` (and its subtree) under this span, in the order added."""
        if not isinstance(child, Span):
            raise TypeError(f"child must be a chaintracer.Span, not {type(child).__name__}")
        if child is self:
            raise ValueError(f"span {self.name!r} cannot be its own child")
        stack = [child]
        while stack:
            node = stack.pop()
            if node is self:
                raise ValueError(f"span {child.name!r} is an ancestor of {self.name!r}: adding it would make a cycle")
            stack.extend(node.children)
        child.parent_id = self.span_id
        _retrace(child, self.trace_id)
        self.children.append(child)

    def end(self, end_ns: int | None = None) -> None:
        """Marks the span finished now (or at ``end_ns``) unless it already is."""
        if end_ns is not None and (
            isinstance(end_ns, bool) or not isinstance(end_ns, int) or not _MIN_MS <= end_ns // 1_000_000 <= _MAX_MS
        ):
            raise ValueError(f"end_ns must be nanoseconds since the epoch (an int, years 1 to 9999), not {end_ns!r}")
        if self.end_ns is None:
            self.end_ns = end_ns if end_ns is not None else time.time_ns()

    def __repr__(self) -> str:
        return f"Span(name={self.name!r}, kind={self.kind!r}, status={self.status!r}, children={len(self.children)})"


# Times a datetime can show (years 1 to 9999), in milliseconds since the epoch.
_MIN_MS, _MAX_MS = -62_135_596_800_000, 253_402_300_799_999


def _ms_to_ns(label: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"{label} must be milliseconds since the epoch (int or float), not {type(value).__name__}: {value!r}"
        )
    if not _MIN_MS <= value <= _MAX_MS:  # also refuses NaN
        raise ValueError(f"{label} must be milliseconds since the epoch between years 1 and 9999, not {value!r}")
    return int(value * 1_000_000)


def _merge(current: Any, new: dict[str, Any] | None) -> Any:
    if new is None:
        return current
    if isinstance(current, dict):
        return {**current, **new}
    return dict(new)


def _retrace(span: Span, trace_id: str) -> None:
    stack = [span]
    while stack:
        node = stack.pop()
        node.trace_id = trace_id
        stack.extend(node.children)
