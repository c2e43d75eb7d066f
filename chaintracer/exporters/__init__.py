"""Exporters: send a stored session to another tracking backend (W&B, OTLP collectors).

Contract: ``export(document, final)`` receives the session's JSON export document (see
docs/architecture.md) read back from the local store, plus ``document["artifacts"]`` (ref -> text
of the visualisations its spans reference), on the thread that called ``flush_tracker`` or
``chaintracer push``. ``final`` is False when the session stays open (``reset=False``): a
later export of the same session continues it. It returns a small JSON dict describing where
the session went (run path, URL, folder). It may raise: the caller turns a failure into one
warning and records it on the stored session, which stays safe in the local store.
``shutdown()`` releases the backend (e.g. finishes a W&B run); it must not raise.
An exporter may also have ``stream(session, root)``: with ``stream_logs=True`` the tracer's
streaming worker hands it each finished trace (the session object and the root SPAN dict).
"""

from __future__ import annotations

import importlib
import logging
from datetime import datetime, timezone
from typing import Any, Protocol

from chaintracer.export import export_session
from chaintracer.settings import Settings
from chaintracer.store import Store, StoreError

logger = logging.getLogger("chaintracer")


class Exporter(Protocol):
    name: str

    def export(self, document: dict[str, Any], final: bool = True) -> dict[str, Any]: ...

    def shutdown(self) -> None: ...


# Backend name -> (module, class), imported on demand: a backend's packages are optional extras.
EXPORTERS = {
    "wandb": ("chaintracer.exporters.wandb", "WandbExporter"),
    "otlp": ("chaintracer.exporters.otlp", "OtlpExporter"),
}


def build_exporter(backend: str, settings: Settings | None = None, **options: Any) -> Exporter:
    """One backend's exporter (the tracer's and ``chaintracer push``'s); ImportError names the extra."""
    module, cls = EXPORTERS[backend]
    return getattr(importlib.import_module(module), cls)(settings, **options)


def build_exporters(settings: Settings) -> list[Exporter]:
    """The exporters for the configured backends; a missing package raises here, at construction."""
    return [build_exporter(backend, settings) for backend in settings.backends if backend in EXPORTERS]


def exporter_document(store: Store, session_id: str) -> dict[str, Any]:
    """The export document plus the artifacts its spans reference."""
    document = export_session(store, session_id)
    document["artifacts"] = store.artifacts(session_id)
    return document


def run_exporters(exporters: list[Exporter], store: Store, session_id: str, final: bool = True) -> dict[str, Any]:
    """Exports a stored session with each exporter; failures are warned about and recorded."""
    outcomes: dict[str, Any] = {}
    if not exporters:
        return outcomes
    document = exporter_document(store, session_id)
    for exporter in exporters:
        outcomes[exporter.name] = push(exporter, store, session_id, document, final)
    return outcomes


def push(
    exporter: Exporter, store: Store, session_id: str, document: dict[str, Any], final: bool = True
) -> dict[str, Any]:
    """One export attempt; the outcome (pushed or failed) is stored with the session.

    An empty session (no trace, no asset) is skipped and nothing is stored: there is nothing a
    backend could show, and a flush right after another (``flush_tracker(finish=True)`` to end a
    tracer) or ``push --all`` would otherwise make an empty W&B run beside the real one.
    """
    if not document["traces"] and not document["session"].get("model"):
        return {"status": "skipped", "reason": "the session is empty"}
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        state = {"status": "pushed", "at": at, **exporter.export(document, final)}
    except Exception as exc:
        state = {"status": "failed", "at": at, "error": f"{type(exc).__name__}: {exc}"}
        logger.warning(
            "chaintracer: could not export session %s to %s (%s); it is kept in the local store, "
            "send it later with: chaintracer push %s --to %s",
            session_id,
            exporter.name,
            state["error"],
            session_id,
            exporter.name,
        )
    try:
        store.set_export(session_id, exporter.name, state)
    except StoreError as exc:
        logger.warning("chaintracer: could not record the export outcome: %s", exc)
    return state
