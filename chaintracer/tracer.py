"""The framework-neutral tracer: settings, recorder, encoding worker, sessions and flush.

Adapters (``langchain_tracer``, ``llamaindex_tracer``) subclass ``Tracer`` and translate their
framework's events into ``self.recorder`` calls. Used directly, it records manual spans
(``log_trace``) for your own integrations.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import warnings
from typing import Any

from chaintracer.encoding import TraceEncoder
from chaintracer.exporters import Exporter, build_exporters, run_exporters
from chaintracer.guard import ErrorCounter, raise_internal_errors
from chaintracer.payloads import NOT_SIMPLIFIED, Converter
from chaintracer.recorder import Recorder
from chaintracer.session import Session, SessionInfo
from chaintracer.settings import resolve, session_overrides
from chaintracer.spans import Span
from chaintracer.store import Store
from chaintracer.worker import Worker
from chaintracer.writer import SessionWriter

logger = logging.getLogger("chaintracer")

FLUSH_TIMEOUT_S = 60.0


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
        backends: Where flushed sessions go: "local" (always) plus e.g. "wandb".
        metrics_lang: Language passed to textstat for complexity metrics.
        spacy_model: Name of the spaCy pipeline for visualisations (or pass ``nlp``).
        nlp: A loaded spaCy ``Language`` to use instead of ``spacy_model``.
        analyze_prompts: Also compute metrics of the prompts sent to models.
        mask: A function ``text -> text`` applied after the built-in secret rules to every text
            that leaves the process (payloads, names, session fields, errors, logs); it must
            return a string. See ``chaintracer.redact``.
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
        backends: list[str] | tuple[str, ...] | None = None,
        metrics_lang: str | None = None,
        spacy_model: str | None = None,
        nlp: Any = None,
        analyze_prompts: bool = False,
        mask: Any = None,
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
            backends=backends,
            metrics_lang=metrics_lang,
            spacy_model=spacy_model,
            analyze_prompts=analyze_prompts,
            mask=mask,
        )
        self._errors = ErrorCounter()
        # Optional features fail here, at construction, when their packages are missing.
        self._analyzer = None
        if self.settings.complexity_metrics or self.settings.visualize or nlp is not None:
            from chaintracer.metrics import build_analyzer

            self._analyzer = build_analyzer(self.settings, nlp)
        self._exporters: list[Exporter] = build_exporters(self.settings)
        converter = Converter(self.settings.max_payload_bytes, self._simplify, self.settings.mask)
        self._encoder = TraceEncoder(converter, self._analyze_model_span if self._analyzer else None)
        self._worker = Worker(self._encode_into_session, max_queue=self.settings.max_queue)
        # stream_logs: finished traces also go to the exporters as they complete, from a
        # worker of their own so a slow backend never delays encoding (or the user).
        self._streaming = [e for e in self._exporters if hasattr(e, "stream")] if self.settings.stream_logs else []
        self._streamer = (
            Worker(self._stream_trace, self.settings.max_queue, "chaintracer-stream") if self._streaming else None
        )
        self._flush_lock = threading.Lock()
        self._finished = False
        self._warned_finished = False
        self.store = Store(self.settings.store)
        self._writer = SessionWriter(self.settings, self.store)
        self.recorder: Recorder = Recorder(self._worker.submit)

    # -- adapter hooks ----------------------------------------------------------------

    def _simplify(self, value: Any) -> Any:
        """Turns a framework object into plain data for storage; adapters override."""
        return NOT_SIMPLIFIED

    def _describe_asset(self, asset: Any) -> dict[str, Any] | None:
        """The model architecture of a flushed asset; adapters override."""
        if asset is None:
            return None
        return {"type": type(asset).__name__}

    def _model_texts(self, span: Span) -> tuple[str | None, str | None]:
        """The prompt and output text of a model span; adapters override for their shapes.

        For manual spans: a string, or the first string value of a named result
        (``add_named_result({"prompt": ...}, {"text": ...})``).
        """
        return _first_text(span.inputs), _first_text(span.outputs)

    def _analyze_model_span(self, span: Span, encoded: dict[str, Any], artifacts: dict[str, tuple[str, str]]) -> None:
        """Adds complexity metrics and visualisations of a model span (in the encoding worker)."""
        prompt, output = self._model_texts(span)
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

    # -- public API -------------------------------------------------------------------

    @property
    def session_id(self) -> str:
        """The id of the session being recorded (the one the next flush writes)."""
        return self._writer.session.id

    @property
    def finished(self) -> bool:
        return self._finished

    def log_trace(self, root: Span) -> None:
        """Adds a manually built span tree (see ``chaintracer.Span``) to the current session."""
        if not isinstance(root, Span):
            raise TypeError(f"log_trace expects a chaintracer.Span, not {type(root).__name__}: {root!r:.80}")
        if self._finished:
            self._warn_finished()
            return
        _end_tree(root)
        self._worker.submit(root)

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
            self.recorder.close_all()
            if not self._worker.drain(FLUSH_TIMEOUT_S):
                logger.warning(
                    "chaintracer: encoding did not finish within %ss; flushing what is done", FLUSH_TIMEOUT_S
                )
            counters = {
                "tracer_errors": self._errors.take(),
                "queue_overflow": self._worker.take_overflow(),
                "encoding_failures": self._worker.take_failures(),
                "mask_failures": self._encoder.converter.redactor.take_failures(),
            }
            if self._streamer is not None:
                self._streamer.drain(FLUSH_TIMEOUT_S)
                counters["stream_overflow"] = self._streamer.take_overflow()
                counters["stream_failures"] = self._streamer.take_failures()
            session_name = name or fields.pop("name", None) or self._writer.provisional_name()
            model = self._capture_model(asset)
            # On StoreError the session keeps its traces and counters for the next flush.
            record = self._writer.flush(session_name, fields, config, model, counters, new_session=reset and not finish)
            exports = run_exporters(self._exporters, self.store, record["id"], final=finish or reset)
            info = SessionInfo(
                record["id"], session_name, record["project"], str(self.store.path), record["summary"], exports
            )
            if finish:
                self._finish()
            return info

    def _capture_model(self, asset: Any) -> dict[str, Any] | None:
        if asset is None:
            return None
        try:
            model = self._describe_asset(asset)
        except Exception as exc:
            self._errors.record("describe_asset", exc)
            if raise_internal_errors():
                raise
            model = {"type": type(asset).__name__, "error": f"{type(exc).__name__}: {exc}"}
        return self._encoder.converter.convert(model) if model is not None else None

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

    def _encode_into_session(self, root: Span) -> None:
        encoded = self._encoder.encode(root)
        session = self._writer.add(encoded)
        if self._streamer is not None:
            self._streamer.submit((session, encoded))

    def _stream_trace(self, item: tuple[Session, Any]) -> None:
        session, encoded = item
        stub = session.record(self._writer.provisional_name(), {}, {}, None)
        tree = json.loads(encoded.tree_json)
        for exporter in self._streaming:
            exporter.stream(stub, tree)


def _first_text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = next((item for item in value.values() if isinstance(item, str)), None)
    return value if isinstance(value, str) and value else None


def _end_tree(root: Span) -> None:
    """Gives manual spans without an end time the latest end among their children."""
    stack = [(root, False)]
    seen = {id(root)}  # a children list edited by hand may hold a cycle
    while stack:
        span, visited = stack.pop()
        if not visited:
            stack.append((span, True))
            children = [child for child in span.children if id(child) not in seen]
            seen.update(id(child) for child in children)
            stack.extend((child, False) for child in children)
        elif span.end_ns is None:
            ends = [child.end_ns for child in span.children if child.end_ns is not None]
            span.end_ns = max(ends, default=span.start_ns)


class _FinishedRecorder:
    """Stands in for the recorder after ``finish=True``: every call warns once and does nothing."""

    def __init__(self, warn: Any) -> None:
        self._warn = warn

    def __getattr__(self, name: str) -> Any:
        def ignored(*args: Any, **kwargs: Any) -> None:
            self._warn()

        return ignored
