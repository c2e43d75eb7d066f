"""The LlamaIndex tracer: a legacy ``CallbackManager`` handler and an instrumentation client.

Two ways in, one session model:

* legacy callbacks (``Settings.callback_manager = CallbackManager([tracer])`` or
  ``set_global_handler(tracer)``): spans keyed by the event ids LlamaIndex gives, parents from
  the ``parent_id`` it passes;
* instrumentation (``tracer.instrument()``): span and event handlers on the root dispatcher,
  which also see workflow agents (FunctionAgent, ReActAgent, AgentWorkflow) and every
  ``@dispatcher.span`` method.

With both on, each logical operation is recorded once: the legacy handler then records only
the events no dispatcher span stands for (``TEMPLATING``, ``TREE``), nested under the dispatcher
span they fire in; every other legacy event is skipped because the dispatcher span of the same
call carries its arguments, result, error and token usage. LlamaIndex's trace windows (a query,
a chat turn) group what they hold into one trace on the legacy path (see ``legacy`` and
``folds``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llama_index.core.callbacks.base_handler import BaseCallbackHandler
from llama_index.core.callbacks.schema import CBEventType

# Where LlamaIndex documents it; it lives in llama_index_instrumentation and is re-exported.
from llama_index.core.instrumentation import get_dispatcher  # pyright: ignore[reportPrivateImportUsage]

import chaintracer
from chaintracer.guard import guarded
from chaintracer.handle import CoreHandle
from llamaindex_tracer import callbacks
from llamaindex_tracer.adapter import LlamaIndexAdapter
from llamaindex_tracer.instrumentation import Bridge, EventHandler, SpanHandler
from llamaindex_tracer.legacy import Legacy
from llamaindex_tracer.lifecycle import Lifecycle

if TYPE_CHECKING:
    pass


class Tracer(BaseCallbackHandler, CoreHandle):
    """Records LlamaIndex queries, retrievals, model calls, agents and tools as nested traces.

    Settings are those of ``chaintracer.Tracer`` (project, name, tags, group, job_type, notes,
    complexity_metrics, visualize, store, max_payload_bytes, ...), which this handler holds and
    delegates to. Call ``flush_tracker(asset, name=...)`` after each scenario.
    """

    def __init__(self, *args: Any, **settings: Any) -> None:
        super().__init__(event_starts_to_ignore=[], event_ends_to_ignore=[])
        self._core = chaintracer.Tracer(*args, adapter=LlamaIndexAdapter(self), **settings)
        self._errors = self._core._errors  # for @guarded: one error path with the core's threads
        self._lifecycle = Lifecycle(self._core)
        self._legacy = Legacy(self._core, self._lifecycle)
        self._bridge = Bridge(self._core, self._lifecycle, self._legacy)
        self._handlers: tuple[SpanHandler, EventHandler] | None = None

    def __copy__(self) -> Tracer:
        # LlamaIndex copies components (``model_copy(deep=True)``) with their callback manager;
        # a copied tracer would split one session in two: copies share this one.
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Tracer:
        return self

    # -- instrumentation ----------------------------------------------------------------

    @property
    def instrumented(self) -> bool:
        """True between ``instrument()`` and ``uninstrument()``."""
        return self._handlers is not None

    def instrument(self) -> Tracer:
        """Registers the tracer's span and event handlers on LlamaIndex's root dispatcher."""
        if self._handlers is None and not self.finished:
            handlers = (SpanHandler(self._bridge), EventHandler(self._bridge))
            root = get_dispatcher()
            root.add_span_handler(handlers[0])
            root.add_event_handler(handlers[1])
            self._handlers = handlers
            # The callback manager then skips us for the events a dispatcher span records.
            self.event_starts_to_ignore = self.event_ends_to_ignore = callbacks.HAVE_DISPATCHER_SPANS
        return self

    def uninstrument(self) -> None:
        """Removes the handlers ``instrument()`` registered (the legacy handler stays wherever it is)."""
        handlers, self._handlers = self._handlers, None
        if handlers is None:
            return
        self.event_starts_to_ignore = self.event_ends_to_ignore = ()
        root = get_dispatcher()
        # By identity: pydantic handlers compare equal field by field, so list.remove could
        # remove another tracer's handler. Rebinding keeps iterations in flight safe.
        root.span_handlers = [h for h in root.span_handlers if h is not handlers[0]]
        root.event_handlers = [h for h in root.event_handlers if h is not handlers[1]]

    def _after_flush(self, finish: bool) -> None:
        # The session's open spans were closed as incomplete: forget what waited for them.
        self._lifecycle.clear()
        self._legacy.clear()
        self._bridge.clear()
        if finish:
            self.uninstrument()

    # -- legacy callbacks ---------------------------------------------------------------

    # on_event_start/on_event_end run for every event: they guard themselves with a written-out
    # try/except (as SpanHandler does), a wrapper with *args costs ~0.5 µs a call.

    def on_event_start(
        self,
        event_type: CBEventType,
        payload: dict[str, Any] | None = None,
        event_id: str = "",
        parent_id: str = "",
        **kwargs: Any,
    ) -> str:
        try:
            if self._handlers is None:
                self._legacy.start(event_type, payload, event_id, parent_id, None)
            elif event_type in callbacks.LEGACY_ONLY:  # every other event has a dispatcher span
                self._legacy.start(event_type, payload, event_id, parent_id, self._bridge)
        except Exception as exc:
            self._bridge.report("on_event_start", exc)
        return event_id

    def on_event_end(
        self,
        event_type: CBEventType,
        payload: dict[str, Any] | None = None,
        event_id: str = "",
        **kwargs: Any,
    ) -> None:
        try:
            if self._handlers is None or event_type in callbacks.LEGACY_ONLY:
                self._legacy.end(event_type, payload, event_id)
        except Exception as exc:
            self._bridge.report("on_event_end", exc)

    @guarded
    def start_trace(self, trace_id: str | None = None) -> None:
        """LlamaIndex opened a trace window ("query", "chat"...): its events become one trace."""
        self._legacy.start_window(trace_id)

    @guarded
    def end_trace(self, trace_id: str | None = None, trace_map: dict[str, list[str]] | None = None) -> None:
        """The trace window closed (the trace map is not needed: spans carry their parents)."""
        self._legacy.end_window()


def set_global_handler(tracer: Tracer | None) -> None:
    """Makes ``tracer`` LlamaIndex's global callback handler (``None`` removes it).

    Every ``CallbackManager`` created afterwards includes it, and so does the current
    ``Settings.callback_manager``. LlamaIndex then refuses ``CallbackManager([tracer])`` (two
    handlers of one type): use one or the other.
    """
    import llama_index.core
    from llama_index.core.settings import Settings

    previous = llama_index.core.global_handler
    llama_index.core.global_handler = tracer
    manager = Settings._callback_manager  # the private slot: the getter would create a manager
    if manager is None:
        return
    if previous is not None and previous is not tracer and previous in manager.handlers:
        manager.remove_handler(previous)
    if tracer is not None and not any(handler is tracer for handler in manager.handlers):
        manager.add_handler(tracer)
