"""The framework-neutral tracer: it wires recorder, worker, encoder, writer, store and exporters.

Framework handlers (``langchain_tracer``, ``llamaindex_tracer``) hold one of these, built with
their ``Adapter`` (see ``chaintracer.adapter``), and turn framework events into ``recorder``
verbs. Used on its own it records manual spans (``log_trace``, ``span``) for your own code.

Threads: the recorder runs on the caller's threads (the hot path); encoding and writes of
finished traces run on one background worker (``worker.Worker``), streaming exports on a
second; ``flush_tracker`` and exporters run on the thread that flushes.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import threading
import uuid
import warnings
import weakref
from collections.abc import Iterator
from typing import Any

from chaintracer import fastjson
from chaintracer.adapter import Adapter, ManualAdapter
from chaintracer.encoding import EncodedTrace, TraceEncoder
from chaintracer.exporters import Exporter, build_exporters, run_exporters
from chaintracer.guard import ErrorCounter, raise_internal_errors
from chaintracer.manual import SpanScope, end_manual_tree
from chaintracer.payloads import Converter
from chaintracer.prices import PriceTable
from chaintracer.recorder import ROOT_SCOPE, Recorder
from chaintracer.session import Session, SessionInfo
from chaintracer.settings import resolve, session_overrides
from chaintracer.spans import Span, coerce_kind
from chaintracer.store import Store, StoreError
from chaintracer.truncate import clip_tree
from chaintracer.worker import MAX_WAIT_S, Worker
from chaintracer.writer import SessionWriter

logger = logging.getLogger("chaintracer")

# Back-pressure for the 2 s promise: when a finished trace has waited this long for its write,
# the caller waits (at most CATCH_UP_TIMEOUT_S) for the background thread to write it.
CATCH_UP_AFTER_S = 0.75
CATCH_UP_TIMEOUT_S = 1.0

FLUSH_TIMEOUT_S = 60.0
EXIT_TIMEOUT_S = 10.0


class Tracer:
    """Records traces into sessions and writes each flushed session to the local store.

    Args:
        project: Project the sessions belong to (env ``CHAINTRACER_PROJECT``; default "default").
        entity: W&B entity (team or user) for exporters that use one.
        name: Default session name; ``flush_tracker(name=...)`` overrides it per session.
        tags, group, job_type, notes: Session metadata, as in ``wandb.init``.
        complexity_metrics: Compute textstat readability metrics of model outputs.
        visualize: Render spaCy dependency and entity views of model outputs.
        stream_logs: Export each finished trace as it completes (exporters that support it).
        store: Path of the SQLite store (env ``CHAINTRACER_STORE``; default ``./chaintracer.db``).
        max_payload_bytes: Larger inputs/outputs are truncated with a visible marker.
        max_queue: Finished traces waiting for encoding before the caller encodes them itself.
        max_queue_bytes: The same bound in (estimated) bytes of the traces' raw payloads.
        backends: Where flushed sessions go: "local" (always) plus "wandb" and/or "otlp".
        otlp_endpoint: OTLP/HTTP collector URL for the "otlp" backend (default: the
            ``OTEL_EXPORTER_OTLP_ENDPOINT`` variables, else http://localhost:4318).
        metrics_lang: Language passed to textstat for complexity metrics.
        spacy_model: Name of the spaCy pipeline for visualisations (or pass ``nlp``).
        nlp: A loaded spaCy ``Language`` to use instead of ``spacy_model``.
        analyze_prompts: Also compute metrics of the prompts sent to models.
        mask: A function ``text -> text`` applied after the built-in secret rules to every text
            that leaves the process (payloads, names, session fields, errors, logs); it must
            return a string. See ``chaintracer.redact``.
        prices: Your prices per model, ``{"my-model": {"input": 0.5, "output": 1.5}}`` in USD per
            1M tokens; they extend (and win over) the shipped table and ``CHAINTRACER_PRICES``.
        adapter: The framework knowledge of an integration (``chaintracer.adapter.Adapter``);
            framework handlers pass theirs, manual tracing needs none.
    """

    def __init__(
        self,
        project: str | None = None,
        entity: str | None = None,
        name: str | None = None,
        tags: list[str] | tuple[str, ...] | None = None,
        group: str | None = None,
        job_type: str | None = None,
        notes: str | None = None,
        complexity_metrics: bool = False,
        visualize: bool = False,
        stream_logs: bool = False,
        store: str | None = None,
        max_payload_bytes: int | None = None,
        max_queue: int | None = None,
        max_queue_bytes: int | None = None,
        backends: list[str] | tuple[str, ...] | None = None,
        otlp_endpoint: str | None = None,
        metrics_lang: str | None = None,
        spacy_model: str | None = None,
        nlp: Any = None,
        analyze_prompts: bool = False,
        mask: Any = None,
        prices: dict[str, dict[str, float]] | None = None,
        adapter: Adapter | None = None,
    ) -> None:
        self.settings = resolve(
            project=project,
            entity=entity,
            name=name,
            tags=tags,
            group=group,
            job_type=job_type,
            notes=notes,
            complexity_metrics=complexity_metrics,
            visualize=visualize,
            stream_logs=stream_logs,
            store=store,
            max_payload_bytes=max_payload_bytes,
            max_queue=max_queue,
            max_queue_bytes=max_queue_bytes,
            backends=backends,
            otlp_endpoint=otlp_endpoint,
            metrics_lang=metrics_lang,
            spacy_model=spacy_model,
            analyze_prompts=analyze_prompts,
            mask=mask,
            prices=prices,
        )
        self.adapter: Adapter = adapter if adapter is not None else ManualAdapter()
        self._errors = ErrorCounter()
        # Optional features fail here, at construction, when their packages are missing.
        self._analyzer = None
        if self.settings.complexity_metrics or self.settings.visualize or nlp is not None:
            from chaintracer.metrics import build_analyzer

            self._analyzer = build_analyzer(self.settings, nlp)
        self._exporters: list[Exporter] = build_exporters(self.settings)
        converter = Converter(self.settings.max_payload_bytes, self.adapter.simplify, self.settings.mask)
        prices_table = PriceTable.load(self.settings.prices)  # a bad CHAINTRACER_PRICES file fails here
        self._encoder = TraceEncoder(converter, self._analyze_model_span if self._analyzer else None, prices_table)
        self.store = Store(self.settings.store)
        self._writer = SessionWriter(self.settings, self.store)
        self._worker = Worker(
            self._encode_batch,
            self._errors,
            tick=self._writer.tick,
            max_items=self.settings.max_queue,
            max_bytes=self.settings.max_queue_bytes,
            max_wait_s=MAX_WAIT_S,
        )
        # stream_logs: finished traces also go to the exporters as they complete, from a
        # worker of their own so a slow backend never delays encoding (or the user).
        self._streaming: list[Any] = (
            [e for e in self._exporters if hasattr(e, "stream")] if self.settings.stream_logs else []
        )
        self._streamer = (
            Worker(self._stream_traces, self._errors, max_items=self.settings.max_queue, name="chaintracer-stream")
            if self._streaming
            else None
        )
        self._flush_lock = threading.Lock()
        self._finished = False
        self._warned_finished = False
        self.recorder: Recorder = Recorder(self._submit)
        atexit.register(_write_at_exit, weakref.ref[Tracer](self))

    # -- public API ---------------------------------------------------------------------

    @property
    def session_id(self) -> str:
        """The id of the session being recorded (the one the next flush writes)."""
        return self._writer.session.id

    @property
    def finished(self) -> bool:
        """True once ``flush_tracker(finish=True)`` ended this tracer."""
        return self._finished

    def log_trace(self, root: Span) -> None:
        """Adds a manually built span tree (see ``chaintracer.Span``) to the current session."""
        if not isinstance(root, Span):
            raise TypeError(f"log_trace expects a chaintracer.Span, not {type(root).__name__}: {root!r:.80}")
        if self._finished:
            self._warn_finished()
            return
        # Not _submit: a tree built by hand may hold a cycle, which only _end_tree's walk survives.
        self._worker.submit(root, end_manual_tree(root, self.settings.max_payload_bytes))

    @contextlib.contextmanager
    def span(
        self, name: str, kind: str = "chain", inputs: Any = None, attributes: dict[str, Any] | None = None
    ) -> Iterator[SpanScope]:
        """Records a span around a block; framework runs started in it without a parent nest under it.

        ``with tracer.span("answer", inputs={"q": q}) as span: span.set_outputs(chain.invoke(q, ...))``
        groups several framework calls into one trace. An exception ends the span as an error
        and propagates. Spans nest: a ``span`` inside another is its child.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"span name must be a non-empty string, not {name!r}")
        if attributes is not None and not isinstance(attributes, dict):
            raise TypeError(f"attributes must be a dict, not {type(attributes).__name__}")
        span_id = uuid.uuid4().hex
        recorder = self.recorder
        recorder.start(span_id, ROOT_SCOPE.get(), coerce_kind(kind), name, inputs, dict(attributes or {}))
        token = ROOT_SCOPE.set(span_id)
        scope = SpanScope(recorder, span_id)
        try:
            yield scope
        except BaseException as exc:
            ROOT_SCOPE.reset(token)
            recorder.fail(span_id, exc)
            raise
        ROOT_SCOPE.reset(token)
        recorder.end(span_id)

    def log_feedback(
        self, trace_id: str, key: str, score: float | bool, comment: str | None = None, span_id: str | None = None
    ) -> None:
        """Attaches human feedback (a named score, an optional comment) to a stored trace, after the fact.

        It goes on the trace's root span (or on ``span_id``) in the export, and ``key`` counts as
        one more scorer in experiment summaries and comparisons (the latest feedback per trace
        and key). A trace of the running session is written to the store first.
        """
        from chaintracer.experiments.feedback import check_feedback

        key, number, comment = check_feedback(key, score, comment)
        if comment is not None:  # written to the store: masked like any text that leaves
            comment = self._encoder.converter.string(comment)
        if not isinstance(trace_id, str) or not trace_id:
            raise ValueError(f"trace_id must be a non-empty string, not {trace_id!r}")
        if not self._finished:
            self.force_flush()
        self.store.add_feedback(trace_id, key, number, comment, span_id)

    def force_flush(self, timeout_s: float = 30.0) -> bool:
        """Encodes and writes every finished trace to the store now (the session stays open).

        Returns False if that did not finish within ``timeout_s``. Tests use it to read the
        store mid-session; programs rarely need it (finished traces reach disk within ~1 s).
        """
        if not isinstance(timeout_s, (int, float)) or isinstance(timeout_s, bool) or timeout_s <= 0:
            raise ValueError(f"timeout_s must be a positive number of seconds, not {timeout_s!r}")
        done = self._worker.drain(timeout_s)
        if self._streamer is not None:
            done = self._streamer.drain(timeout_s) and done
        self._errors.raise_background()
        return done

    def flush_tracker(
        self,
        asset: Any = None,
        reset: bool = True,
        finish: bool = False,
        name: str | None = None,
        **run_overrides: Any,
    ) -> SessionInfo | None:
        """Closes the current session and writes it to the store.

        Spans still open are closed as ``incomplete``, pending encoding finishes, the asset's
        architecture is captured, and the session is written in one transaction. With
        ``reset=True`` a new session with the same settings starts; ``finish=True`` ends the
        tracer (later events and flushes only warn once). Raises ``StoreError`` if the store
        cannot be written; the session is then kept, and a later flush writes it.
        """
        if not isinstance(reset, bool) or not isinstance(finish, bool):
            raise TypeError(f"reset and finish must be True or False, not reset={reset!r}, finish={finish!r}")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ValueError(f"name must be a non-empty string, not {name!r}")
        if self._finished:
            self._warn_finished()
            return None
        if "langchain_asset" in run_overrides:  # the old W&B handler's name for the asset
            if asset is not None:
                raise TypeError("pass the asset once: either asset= or langchain_asset=, not both")
            asset = run_overrides.pop("langchain_asset")
        fields, config = session_overrides(run_overrides)
        config = self._encoder.converter.convert(config)
        with self._flush_lock:
            record = self._write_session(
                name, fields, config, self._capture_model(asset), new_session=reset and not finish
            )
            self.adapter.after_flush(finish)
            exports = run_exporters(self._exporters, self.store, record["id"], final=finish or reset)
            info = SessionInfo(
                record["id"], record["name"], record["project"], str(self.store.path), record["summary"], exports
            )
            if finish:
                self._finish()
        self._errors.raise_background()
        return info

    # -- internals ----------------------------------------------------------------------

    def _write_session(
        self,
        name: str | None,
        fields: dict[str, Any],
        config: dict[str, Any],
        model: dict[str, Any] | None,
        new_session: bool,
        status: str = "flushed",
        timeout_s: float = FLUSH_TIMEOUT_S,
    ) -> dict[str, Any]:
        """Closes open spans, finishes encoding and writes the session (the flush and the exit path)."""
        self.recorder.close_all()
        if not self._worker.drain(timeout_s):
            logger.warning("chaintracer: encoding did not finish within %ss; writing what is done", timeout_s)
        counters = {
            "tracer_errors": self._errors.take(),
            "queue_overflow": self._worker.take_overflow(),
            "mask_failures": self._encoder.converter.redactor.take_failures(),
        }
        if self._streamer is not None:
            self._streamer.drain(timeout_s)
            counters["stream_overflow"] = self._streamer.take_overflow()
        session_name = name or fields.pop("name", None) or self._writer.provisional_name()
        # On StoreError the session keeps its traces and counters for the next flush.
        return self._writer.flush(session_name, fields, config, model, counters, new_session, status=status)

    def _capture_model(self, asset: Any) -> dict[str, Any] | None:
        if asset is None:
            return None
        try:
            model = self.adapter.describe_asset(asset)
        except Exception as exc:
            self._errors.record("describe_asset", exc)
            if raise_internal_errors():
                raise
            model = {"type": type(asset).__name__, "error": f"{type(exc).__name__}: {exc}"}
        return self._encoder.converter.convert(model) if model is not None else None

    def _submit(self, root: Span) -> None:
        """The recorder's sink: a finished trace, its huge values cut, goes to the background worker."""
        self._worker.submit(root, clip_tree(root, self.settings.max_payload_bytes))
        if self._writer.behind(CATCH_UP_AFTER_S):  # the program outruns the writer: let it catch up
            self._worker.catch_up(CATCH_UP_TIMEOUT_S)

    def _encode_batch(self, roots: list[Span]) -> None:
        encoded = [self._encode(root) for root in roots]
        session = self._writer.add(encoded)
        if self._streamer is not None:
            for trace in encoded:
                self._streamer.submit((session, trace))

    def _encode(self, root: Span) -> EncodedTrace:
        try:
            return self._encoder.encode(root)
        except Exception as exc:  # the trace is the unit that can fail, never the tracer
            self._errors.record("encode", exc, background=True)
            return self._encoder.describe_failure(root, exc)

    def _stream_traces(self, items: list[tuple[Session, EncodedTrace]]) -> None:
        for session, encoded in items:
            stub = session.record(self._writer.provisional_name(), {}, {}, None)
            tree = fastjson.loads(encoded.tree_text())
            for exporter in self._streaming:
                exporter.stream(stub, tree)

    def _analyze_model_span(self, span: Span, encoded: dict[str, Any], artifacts: dict[str, tuple[str, str]]) -> None:
        """Adds complexity metrics and visualisations of a model span (in the encoding worker)."""
        prompt, output = self.adapter.model_texts(span)
        if not output or self._analyzer is None:
            return
        # Metrics and visualisations are computed on the masked texts: the HTML quotes them.
        text = self._encoder.converter.text
        output, prompt = text(output), text(prompt) if prompt else prompt
        # The analyzer itself decides whether prompts get metrics (analyze_prompts); the
        # prompt→output view always needs the prompt.
        metrics, visuals = self._analyzer(prompt, output)
        encoded["metrics"].update(self._encoder.converter.convert(metrics))
        references = {}
        for view, html in visuals.items():
            ref = f"{view}-{hashlib.sha1(html.encode()).hexdigest()[:16]}.html"
            artifacts[ref] = ("text/html", html)
            references[view] = ref
        if references:
            encoded["attributes"]["visualizations"] = references

    def _finish(self) -> None:
        self._finished = True
        self.recorder = _FinishedRecorder(self._warn_finished)  # type: ignore[assignment]
        self._worker.shutdown(FLUSH_TIMEOUT_S)
        if self._streamer is not None:
            self._streamer.shutdown(FLUSH_TIMEOUT_S)
        for exporter in self._exporters:
            exporter.shutdown()
        self.store.close()

    def _warn_finished(self) -> None:
        if not self._warned_finished:
            self._warned_finished = True
            warnings.warn(
                "chaintracer: this tracer was finished (flush_tracker(finish=True)); "
                "further events and flushes are ignored. Create a new Tracer to keep tracing.",
                RuntimeWarning,
                stacklevel=3,
            )

    def _write_at_exit(self) -> None:
        """Writes what a tracer holds when the interpreter exits without ``flush_tracker``."""
        if self._finished:
            return
        if not (self.recorder.open_count() or self._worker.pending() or self._writer.dirty):
            return
        with self._flush_lock:
            record = self._write_session(
                None, {}, {}, None, new_session=False, status="unflushed", timeout_s=EXIT_TIMEOUT_S
            )
        self._finished = True
        for exporter in self._exporters:
            exporter.shutdown()
        logger.warning(
            "chaintracer: session %r (%s) was not flushed; its %s traces are saved in %s as 'unflushed'. "
            "Call tracer.flush_tracker(name=...) before your program ends to name it.",
            record["name"],
            record["id"][:12],
            record["summary"].get("traces", 0),
            self.store.path,
        )


def _write_at_exit(ref: weakref.ReferenceType[Tracer]) -> None:
    tracer = ref()
    if tracer is None:
        return
    try:
        tracer._write_at_exit()
    except StoreError as exc:
        logger.warning("chaintracer: could not save the unflushed session at exit: %s", exc)
    except Exception:  # never turn a clean exit into a traceback
        logger.warning("chaintracer: saving the unflushed session at exit failed", exc_info=True)


class _FinishedRecorder:
    """Stands in for the recorder after ``finish=True``: every call warns once and does nothing."""

    def __init__(self, warn: Any) -> None:
        self._warn = warn

    def __getattr__(self, name: str) -> Any:
        def ignored(*args: Any, **kwargs: Any) -> None:
            self._warn()

        return ignored
