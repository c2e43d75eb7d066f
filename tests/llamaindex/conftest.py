"""Fixtures for the LlamaIndex tracer tests: isolated LlamaIndex settings, tracers, a small index."""

from __future__ import annotations

import llama_index.core
import pytest
from li_helpers import DOCUMENTS
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.callbacks import CallbackManager
from llama_index.core.embeddings import MockEmbedding

from chaintracer.export import export_session
from llamaindex_tracer import Tracer
from llamaindex_tracer.testing import ScriptedLLM, echo


@pytest.fixture(autouse=True)
def llama_settings():
    """LlamaIndex's global settings, restored after each test (they are process-wide)."""
    saved = (Settings._llm, Settings._embed_model, Settings._callback_manager, llama_index.core.global_handler)
    Settings.embed_model = MockEmbedding(embed_dim=8)
    Settings.llm = ScriptedLLM(script=[echo()])
    Settings.callback_manager = CallbackManager([])
    yield Settings
    Settings._llm, Settings._embed_model, Settings._callback_manager, llama_index.core.global_handler = saved


@pytest.fixture
def make_tracer(store_path):
    """Builds tracers on the test's store; uninstruments them afterwards (the dispatcher is global)."""
    tracers: list[Tracer] = []

    def make(**kwargs):
        tracer = Tracer(project="llamaindex_tests", store=store_path, **kwargs)
        tracers.append(tracer)
        return tracer

    yield make
    for tracer in tracers:
        tracer.uninstrument()


@pytest.fixture
def make_index():
    """Builds a vector index over three short documents.

    Components take ``Settings.callback_manager`` when they are built: attach the legacy
    handler first, then build the index.
    """

    def make():
        return VectorStoreIndex.from_documents([Document(text=text) for text in DOCUMENTS])

    return make


@pytest.fixture
def flush():
    """Flushes a tracer and returns the session's JSON export; fails on any internal tracer error.

    The dispatcher swallows handler exceptions, so internal errors are checked through the
    session's ``tracer_errors`` counter rather than relying on them being raised.
    """

    def run(tracer, asset=None, name="session"):
        info = tracer.flush_tracker(asset, name=name)
        exported = export_session(tracer.store, info.id)
        assert exported["session"]["summary"]["tracer_errors"] == 0
        return exported

    return run
