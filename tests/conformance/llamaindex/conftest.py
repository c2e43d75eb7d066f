"""Runs a LlamaIndex program with chaintracer and LlamaIndex's own record, in one of three modes.

Modes are the ways users switch tracing on: ``legacy`` (the tracer in the callback manager),
``instrumentation`` (``tracer.instrument()``) and ``both``. ``LlamaDebugHandler`` is always in
the callback manager and ``SimpleSpanHandler`` always on the root dispatcher, so each run
carries LlamaIndex's own record of itself.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_index.core
import pytest
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.callbacks import CallbackManager
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.instrumentation import get_dispatcher

sys.path.insert(0, str(Path(__file__).parent))

from li_fakes import EchoLLM
from li_reference import DispatcherRecord, LegacyRecord

from chaintracer.export import export_session
from chaintracer.store import Store
from llamaindex_tracer import Tracer
from llamaindex_tracer.testing import ScriptedLLM, echo

DOCUMENTS = [
    "Alpha is the first letter of the Greek alphabet.",
    "Beta particles are electrons emitted by radioactive nuclei.",
    "Gamma rays are the most energetic electromagnetic waves.",
]
SETTINGS_SLOTS = (
    "_llm",
    "_embed_model",
    "_callback_manager",
    "_node_parser",
    "_prompt_helper",
    "_chat_prompt_helper",
    "_transformations",
)


class Run:
    """What a program gets: fakes that count their calls, documents, and a way to drain streams."""

    def __init__(self, mode: str, tracer: Tracer) -> None:
        self.mode = mode
        self.tracer = tracer  # for programs that group their runs (tracer.span)
        self.models: list[Any] = []
        self._tool_calls = 0
        self._lock = threading.Lock()

    def scripted(self, *script: Any, **fields: Any) -> ScriptedLLM:
        """A ``ScriptedLLM`` whose answers are counted (one turn per model request)."""
        llm = ScriptedLLM(script=list(script) or [echo()], **fields)
        self.models.append(llm)
        return llm

    def custom(self) -> EchoLLM:
        """A ``CustomLLM`` subclass written the documented way (``chat`` calls ``complete``)."""
        llm = EchoLLM()
        self.models.append(llm)
        return llm

    def documents(self) -> list[Document]:
        return [Document(text=text) for text in DOCUMENTS]

    def index(self) -> VectorStoreIndex:
        return VectorStoreIndex.from_documents(self.documents())

    def tool_called(self) -> None:
        """Tools call this once per invocation: the number a trace's ``tool_calls`` must show."""
        with self._lock:
            self._tool_calls += 1

    def drain(self, response: Any) -> str:
        """Iterates a streamed response to the end, as ``print_response_stream`` does."""
        return "".join(response.response_gen)

    async def adrain(self, response: Any) -> str:
        return "".join([item async for item in response.async_response_gen()])

    @property
    def model_requests(self) -> int:
        return sum(model.calls for model in self.models)

    @property
    def tool_calls(self) -> int:
        return self._tool_calls

    @property
    def tokens(self) -> dict[str, int]:
        reported = [model.reported_tokens for model in self.models]
        return {key: sum(usage[key] for usage in reported) for key in ("prompt", "completion", "total")}


@dataclass
class Outcome:
    """A finished run: the export, LlamaIndex's record, the counters and what was logged."""

    run: Run
    exported: dict[str, Any]
    legacy: LegacyRecord
    dispatcher: DispatcherRecord
    warnings: list[logging.LogRecord]


@pytest.fixture
def run_program(tmp_path, caplog) -> Iterator[Callable[[Callable[[Run], Any], str], Outcome]]:
    """Runs ``program(run)`` in a mode with chaintracer and the reference handlers; returns the outcome."""
    saved = {slot: getattr(Settings, slot) for slot in SETTINGS_SLOTS}
    saved_global = llama_index.core.global_handler
    root = get_dispatcher()
    cleanups: list[Callable[[], None]] = []

    def run(program: Callable[[Run], Any], mode: str) -> Outcome:
        for slot in SETTINGS_SLOTS:
            setattr(Settings, slot, None)
        tracer = Tracer(project="conformance", store=str(tmp_path / f"{mode}.db"))
        legacy, dispatcher = LegacyRecord(), DispatcherRecord()
        root.add_span_handler(dispatcher)
        cleanups.append(lambda: _remove(root, dispatcher))
        cleanups.append(tracer.uninstrument)
        Settings.callback_manager = CallbackManager([legacy, tracer] if mode != "instrumentation" else [legacy])
        if mode != "legacy":
            tracer.instrument()
        Settings.embed_model = MockEmbedding(embed_dim=8)
        state = Run(mode, tracer)
        Settings.llm = state.scripted()
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            result = program(state)
            if inspect.iscoroutine(result):
                asyncio.run(result)
            info = tracer.flush_tracker(name=program.__name__, finish=True)
        warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
        store = Store(tmp_path / f"{mode}.db")
        try:
            exported = export_session(store, info.id)
        finally:
            store.close()
        return Outcome(state, exported, legacy, dispatcher, warnings)

    yield run
    for cleanup in reversed(cleanups):
        cleanup()
    for slot, value in saved.items():
        setattr(Settings, slot, value)
    llama_index.core.global_handler = saved_global


def _remove(root: Any, handler: Any) -> None:
    root.span_handlers = [h for h in root.span_handlers if h is not handler]
