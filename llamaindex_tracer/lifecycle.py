"""When a LlamaIndex span really ends: deferred ends for streams and for outlived children.

A query engine with ``streaming=True`` returns before its LLM has produced a token: the model
is called lazily while the caller iterates the response. Ending the query span at return would
hand the trace to the encoder without its answer, and the late LLM call would start a trace of
its own. So a span that returns a stream, or that exits while a child is still open, is
*pending*: it ends when its stream is exhausted and its last child has ended. Streams of query
responses are wrapped so that the spans started while the caller iterates nest under the span
that returned the stream. An abandoned stream keeps its spans open until flush, which closes
them as ``incomplete`` (``Recorder.close_all``).

Both event paths (legacy callbacks and instrumentation) share one ``Lifecycle`` per tracer.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any

from llama_index.core.base.response.schema import AsyncStreamingResponse, StreamingResponse

from chaintracer.guard import guarded

STREAMING_RESPONSES = (StreamingResponse, AsyncStreamingResponse)
# How a stream the caller gave up on ends: not an error of the traced program.
ABANDONED = (GeneratorExit, asyncio.CancelledError)


class Lifecycle:
    """Closes spans through the tracer's recorder, deferring those that still wait for work."""

    __slots__ = ("_errors", "_tracer", "pending", "streams")

    def __init__(self, tracer: Any) -> None:
        self._tracer = tracer  # the core tracer; its recorder is read on each call: finish() replaces it
        self._errors = tracer._errors  # for @guarded
        self.pending: set[Any] = set()  # exited spans that wait for a stream or open children
        self.streams: set[Any] = set()  # spans whose end waits for their stream to be exhausted

    def close(self, span_id: Any, outputs: Any = None) -> None:
        """The framework is done with ``span_id``: end it, or defer it while work remains."""
        recorder = self._tracer.recorder
        span = recorder.get(span_id)
        if span is None:
            return
        if span_id in self.streams or (span.children and _has_open_child(span)):
            if outputs is not None:
                recorder.set_outputs(span_id, outputs)
                outputs = None
            self.pending.add(span_id)
            # Re-check after publishing: a child that ended meanwhile saw no pending parent.
            if span_id in self.streams or _has_open_child(span):
                return
            self.pending.discard(span_id)
        if recorder.end(span_id, outputs) is not None and self.pending:  # nothing waits: the common case
            self._settle(span.parent_id)

    def fail(self, span_id: Any, error: Any) -> None:
        """Ends ``span_id`` as an error now (children still open are closed at flush)."""
        self.pending.discard(span_id)
        self.streams.discard(span_id)
        span = self._tracer.recorder.fail(span_id, error)
        if span is not None and self.pending:
            self._settle(span.parent_id)

    def stream_done(self, span_id: Any, outputs: Any = None) -> None:
        """The stream of ``span_id`` is exhausted."""
        self.streams.discard(span_id)
        if span_id in self.pending:
            self.close(span_id, outputs)
        elif outputs is not None:
            self._tracer.recorder.set_outputs(span_id, outputs)

    def _settle(self, parent_id: Any) -> None:
        """Ends pending ancestors that no longer wait for anything."""
        recorder = self._tracer.recorder
        pending = self.pending
        while parent_id is not None and parent_id in pending:
            parent = recorder.get(parent_id)
            if parent is None:
                pending.discard(parent_id)
                return
            if parent_id in self.streams or _has_open_child(parent):
                return
            pending.discard(parent_id)
            if recorder.end(parent_id) is None:
                return
            parent_id = parent.parent_id

    def clear(self) -> None:
        self.pending.clear()
        self.streams.clear()

    # -- query response streams ---------------------------------------------------------

    def wrap_response(self, response: Any, span_id: Any, scope: ContextVar[Any], value: Any) -> bool:
        """Makes ``response.response_gen`` end ``span_id`` when exhausted; False if not a fresh stream.

        While the caller pulls the next item, ``scope`` is set to ``value`` so that the spans
        LlamaIndex starts lazily inside the stream find their parent.
        """
        gen = getattr(response, "response_gen", None)
        if gen is None or response.response_txt is not None or _is_wrapped(gen):
            return False
        self.streams.add(span_id)
        # setattr: LlamaIndex declares response_gen read-only in its types, but the field is plain.
        if isinstance(response, AsyncStreamingResponse):
            setattr(response, "response_gen", self._traced_async(gen, response, span_id, scope, value))  # noqa: B010
        else:
            setattr(response, "response_gen", self._traced(gen, response, span_id, scope, value))  # noqa: B010
        return True

    def _traced(self, gen: Any, response: Any, span_id: Any, scope: ContextVar[Any], value: Any) -> Any:
        texts: list[str] = []
        while True:
            token = scope.set(value)
            try:
                item = next(gen)
            except StopIteration:
                self._stream_finished(span_id, response, texts)
                return
            except ABANDONED:
                raise  # closed or cancelled unfinished: left open, closed as incomplete at flush
            except BaseException as exc:
                self._stream_failed(span_id, exc)
                raise
            finally:
                scope.reset(token)
            if isinstance(item, str):
                texts.append(item)
            yield item

    async def _traced_async(self, gen: Any, response: Any, span_id: Any, scope: ContextVar[Any], value: Any) -> Any:
        texts: list[str] = []
        while True:
            token = scope.set(value)
            try:
                item = await gen.__anext__()
            except StopAsyncIteration:
                self._stream_finished(span_id, response, texts)
                return
            except ABANDONED:
                raise
            except BaseException as exc:
                self._stream_failed(span_id, exc)
                raise
            finally:
                scope.reset(token)
            if isinstance(item, str):
                texts.append(item)
            yield item

    @guarded
    def _stream_finished(self, span_id: Any, response: Any, texts: list[str]) -> None:
        outputs = {"response": "".join(texts), "source_nodes": response.source_nodes}
        # The spans that returned this response (the query around the synthesizer...) show the
        # streamed answer too, not the response object as it was before anyone iterated it.
        recorder = self._tracer.recorder
        span = recorder.get(span_id)
        while span is not None:
            if span.outputs is response:
                recorder.set_outputs(span.span_id, outputs)
            elif isinstance(span.outputs, dict) and any(value is response for value in span.outputs.values()):
                replaced = {key: outputs if value is response else value for key, value in span.outputs.items()}
                recorder.set_outputs(span.span_id, replaced)
            span = recorder.get(span.parent_id) if span.parent_id is not None else None
        self.stream_done(span_id, outputs)

    @guarded
    def _stream_failed(self, span_id: Any, error: BaseException) -> None:
        self.fail(span_id, error)


def _has_open_child(span: Any) -> bool:
    for child in span.children:  # noqa: SIM110 - a plain loop: no generator per span end
        if child.end_ns is None:
            return True
    return False


def _is_wrapped(gen: Any) -> bool:
    code = getattr(gen, "gi_code", None) or getattr(gen, "ag_code", None)
    return code is Lifecycle._traced.__code__ or code is Lifecycle._traced_async.__code__
