"""The LlamaIndex callbacks guard themselves: an internal failure is counted, logged once, never raised."""

from __future__ import annotations

import logging

import pytest
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.callbacks import CallbackManager
from llama_index.core.embeddings import MockEmbedding

from chaintracer.export import export_session
from llamaindex_tracer import Tracer
from llamaindex_tracer.legacy import Legacy
from llamaindex_tracer.testing import ScriptedLLM, echo

SLOTS = ("_llm", "_embed_model", "_callback_manager", "_node_parser", "_transformations")


@pytest.fixture
def settings():
    """LlamaIndex's process-wide settings, fresh for the test and restored after it."""
    saved = {slot: getattr(Settings, slot) for slot in SLOTS}
    for slot in SLOTS:
        setattr(Settings, slot, None)
    yield Settings
    for slot, value in saved.items():
        setattr(Settings, slot, value)


@pytest.mark.parametrize("mode", ["legacy", "instrumentation"])
def test_internal_errors_are_counted_not_raised(mode, settings, store_path, monkeypatch, caplog):
    """A broken tracer internal leaves the user's query answered, one warning logged, each failure counted."""
    monkeypatch.delenv("CHAINTRACER_RAISE_INTERNAL_ERRORS")
    tracer = Tracer(store=store_path)
    Settings.callback_manager = CallbackManager([tracer] if mode == "legacy" else [])
    Settings.embed_model = MockEmbedding(embed_dim=8)
    Settings.llm = ScriptedLLM(script=[echo()])
    index = VectorStoreIndex.from_documents([Document(text="Alpha is a letter.")])

    def broken(*args, **kwargs):
        raise RuntimeError("tracer bug")

    if mode == "legacy":
        monkeypatch.setattr(Legacy, "start", broken)
    else:
        tracer.instrument()
        monkeypatch.setattr(type(tracer._bridge), "enter", broken)
    with caplog.at_level(logging.WARNING, logger="chaintracer"):
        answer = index.as_query_engine().query("What is alpha?")
    tracer.uninstrument()
    assert str(answer) == "Answer to What is alpha?"
    info = tracer.flush_tracker(name="broken")
    assert export_session(tracer.store, info.id)["session"]["summary"]["tracer_errors"] > 1
    assert sum("internal error" in record.getMessage() for record in caplog.records) == 1
