"""What a framework integration tells the core about its framework: the ``Adapter`` protocol.

A framework handler (``langchain_tracer.Tracer``, ``llamaindex_tracer.Tracer``) subclasses only
its framework's callback base class. It holds a core ``chaintracer.Tracer`` built with its
adapter, turns each framework event into one recorder verb, and delegates ``flush_tracker``,
``session_id``, ``store`` and ``finished`` to the core. The adapter carries the framework
knowledge the core needs off the hot path:

* ``simplify(value)`` turns a framework object (a message, a document, a response) into plain
  data, or returns ``NOT_SIMPLIFIED``; called by the encoder in the background worker. It must
  not raise (if it does, the value is described by its type).
* ``describe_asset(asset)`` is the model architecture of the object passed to
  ``flush_tracker`` (graph, components, parameters), at flush on the caller's thread.
* ``model_texts(span)`` is the prompt and output text of a model span, for readability metrics
  and visualisations, in the encoding worker.
* ``after_flush(finish)`` forgets per-session state (called on the flushing thread after the
  session's open spans were closed and written).
"""

from __future__ import annotations

from typing import Any, Protocol

from chaintracer.payloads import NOT_SIMPLIFIED
from chaintracer.spans import Span


class Adapter(Protocol):
    """A framework's knowledge, as the core tracer uses it (see the module docstring)."""

    name: str

    def simplify(self, value: Any) -> Any: ...

    def describe_asset(self, asset: Any) -> dict[str, Any] | None: ...

    def model_texts(self, span: Span) -> tuple[str | None, str | None]: ...

    def after_flush(self, finish: bool) -> None: ...


class ManualAdapter:
    """The adapter of the core tracer used on its own: manual spans (``log_trace``, ``span``)."""

    name = "manual"

    def simplify(self, value: Any) -> Any:
        return NOT_SIMPLIFIED

    def describe_asset(self, asset: Any) -> dict[str, Any] | None:
        return {"type": type(asset).__name__}

    def model_texts(self, span: Span) -> tuple[str | None, str | None]:
        """A string, or the first string of a named result (``add_named_result({"prompt": ...}, ...)``)."""
        return _first_text(span.inputs), _first_text(span.outputs)

    def after_flush(self, finish: bool) -> None:
        pass


def _first_text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = next((item for item in value.values() if isinstance(item, str)), None)
    return value if isinstance(value, str) and value else None
