"""The core tracer's public API, forwarded by the framework handlers that hold one.

A framework handler (``langchain_tracer.Tracer``, ``llamaindex_tracer.Tracer``) subclasses its
framework's callback base class and ``CoreHandle``; it holds a ``chaintracer.Tracer`` as
``_core`` and never inherits the core's store, worker or exporters.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaintracer.manual import SpanScope
    from chaintracer.recorder import Recorder
    from chaintracer.session import SessionInfo
    from chaintracer.settings import Settings
    from chaintracer.spans import Span
    from chaintracer.store import Store
    from chaintracer.tracer import Tracer


class CoreHandle:
    """Forwards ``flush_tracker``, ``force_flush``, ``span``, ``log_trace``, ``log_feedback`` and the
    session's properties to the core tracer in ``_core``."""

    _core: Tracer

    def flush_tracker(
        self, asset: Any = None, reset: bool = True, finish: bool = False, name: str | None = None, **run_overrides: Any
    ) -> SessionInfo | None:
        """Closes the session and writes it to the store (see ``chaintracer.Tracer.flush_tracker``)."""
        return self._core.flush_tracker(asset, reset=reset, finish=finish, name=name, **run_overrides)

    def log_feedback(
        self, trace_id: str, key: str, score: float | bool, comment: str | None = None, span_id: str | None = None
    ) -> None:
        """Attaches human feedback to a stored trace (see ``chaintracer.Tracer.log_feedback``)."""
        self._core.log_feedback(trace_id, key, score, comment, span_id)

    def force_flush(self, timeout_s: float = 30.0) -> bool:
        """Writes every finished trace to the store now (see ``chaintracer.Tracer.force_flush``)."""
        return self._core.force_flush(timeout_s)

    def span(
        self, name: str, kind: str = "chain", inputs: Any = None, attributes: dict[str, Any] | None = None
    ) -> AbstractContextManager[SpanScope]:
        """A span around a block that groups the framework calls inside it (see ``chaintracer.Tracer.span``)."""
        return self._core.span(name, kind, inputs, attributes)

    def log_trace(self, root: Span) -> None:
        """Adds a manually built span tree to the session (see ``chaintracer.Tracer.log_trace``)."""
        self._core.log_trace(root)

    @property
    def session_id(self) -> str:
        """The id of the session being recorded."""
        return self._core.session_id

    @property
    def store(self) -> Store:
        """The local store the sessions are written to."""
        return self._core.store

    @property
    def settings(self) -> Settings:
        """The tracer's validated settings."""
        return self._core.settings

    @property
    def finished(self) -> bool:
        """True once ``flush_tracker(finish=True)`` ended the tracer."""
        return self._core.finished

    @property
    def recorder(self) -> Recorder:
        """The core's recorder (the verbs each callback calls)."""
        return self._core.recorder
