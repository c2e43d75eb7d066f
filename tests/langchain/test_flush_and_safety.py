"""flush_tracker with LangChain assets, secrets never stored, callbacks never raising."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import FakeListLLM
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate
from langchain_core.runnables import RunnableLambda
from pydantic import SecretStr

from chaintracer.testing import flushed
from demo.scripted import ScriptedChatModel
from langchain_tracer import Tracer

SECRET = "sk-proj-" + "A1b2C3d4" * 6


class KeyedChatModel(ScriptedChatModel):
    """A chat model holding an API key the way provider integrations do."""

    openai_api_key: SecretStr = SecretStr(SECRET)

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"openai_api_key": "OPENAI_API_KEY"}

    @property
    def _identifying_params(self) -> dict[str, Any]:
        # Worst case: a careless integration exposes the raw key among its parameters.
        return {**super()._identifying_params, "openai_api_key": SECRET, "base_url": "http://localhost:1"}

    def _get_invocation_params(self, stop=None, **kwargs):
        return {
            **super()._get_invocation_params(stop=stop, **kwargs),
            "api_key": SECRET,
            "headers": {"Authorization": f"Bearer {SECRET}"},
        }


def test_lcel_chain_architecture_has_nodes_edges_and_parameters(tracer):
    """Flushing an LCEL chain stores its graph with each component's class and parameters."""
    llm = FakeListLLM(responses=["ok"])
    chain = PromptTemplate.from_template("Title: {title}") | llm | StrOutputParser()
    chain.invoke({"title": "Hamlet"}, config={"callbacks": [tracer]})
    tracer.flush_tracker(chain, name="arch")
    model = tracer.store.session("arch")["model"]
    assert model["type"] == "RunnableSequence"
    by_type = {node["type"]: node for node in model["nodes"]}
    assert by_type["PromptTemplate"]["params"] == {"input_variables": ["title"], "template": "Title: {title}"}
    assert by_type["FakeListLLM"]["params"]["responses"] == ["ok"]
    assert by_type["FakeListLLM"]["kind"] == "llm"
    assert "StrOutputParser" in by_type
    ids = {node["type"]: node["id"] for node in model["nodes"]}
    edges = {(edge["source"], edge["target"]) for edge in model["edges"]}
    assert (ids["PromptTemplate"], ids["FakeListLLM"]) in edges
    assert (ids["FakeListLLM"], ids["StrOutputParser"]) in edges


def test_model_asset_records_its_parameters(tracer):
    """Flushing a bare model stores its class, kind and parameters."""
    tracer.flush_tracker(ScriptedChatModel(temperature=0.9, max_tokens=12), name="model")
    model = tracer.store.session("model")["model"]
    assert model["type"] == "ScriptedChatModel"
    assert model["kind"] == "chat_model"
    assert model["params"]["temperature"] == 0.9
    assert model["params"]["max_tokens"] == 12


def test_api_keys_never_reach_the_store(tracer, store_path):
    """A key in model params, invocation params, headers, metadata or tool input is masked everywhere."""
    chat = KeyedChatModel()
    chat.invoke("hello", config={"callbacks": [tracer], "metadata": {"api_key": SECRET}})
    RunnableLambda(lambda x: "ok").invoke({"note": f"use {SECRET}", "token": SECRET}, config={"callbacks": [tracer]})
    info = tracer.flush_tracker(chat, name="secrets")

    stored = b"".join(p.read_bytes() for p in Path(store_path).parent.glob("chaintracer.db*"))
    assert SECRET.encode() not in stored
    doc_text = str(tracer.store.session(info.id)) + str(tracer.store.trees(info.id))
    assert SECRET not in doc_text
    chat_span = tracer.store.trees(info.id)[0]
    assert chat_span["attributes"]["invocation_params"]["api_key"] == "***"
    assert chat_span["attributes"]["invocation_params"]["headers"]["Authorization"] == "***"
    assert chat_span["attributes"]["invocation_params"]["max_tokens"] == 512  # token counts stay visible
    assert tracer.store.session(info.id)["model"]["params"]["openai_api_key"] == "***"


def test_callback_errors_never_reach_the_user(store_path, monkeypatch, caplog):
    """Outside the test suite an internal failure is logged once, counted, and the program goes on."""
    monkeypatch.delenv("CHAINTRACER_RAISE_INTERNAL_ERRORS")
    tracer = Tracer(store=store_path)
    assert tracer.raise_error is False  # LangChain then swallows nothing of ours either way
    with caplog.at_level(logging.WARNING, logger="chaintracer"):
        for _ in range(3):
            tracer.on_chain_start(None, {}, run_id=["unhashable"])  # a malformed event
    chain = RunnableLambda(lambda x: x + 1)
    assert chain.invoke(1, config={"callbacks": [tracer]}) == 2
    doc = flushed(tracer, check_errors=False)
    assert doc["session"]["summary"]["tracer_errors"] == 3
    assert len(doc["traces"]) == 1
    assert sum("internal error" in record.getMessage() for record in caplog.records) == 1


def test_events_after_finish_are_ignored_with_one_warning(tracer):
    """After ``finish=True`` later runs and flushes do nothing but warn once."""
    chain = RunnableLambda(lambda x: x)
    chain.invoke(1, config={"callbacks": [tracer]})
    assert tracer.flush_tracker(chain, name="last", finish=True).summary["traces"] == 1
    with pytest.warns(RuntimeWarning, match="finished") as warned:
        assert chain.invoke(2, config={"callbacks": [tracer]}) == 2
        assert tracer.flush_tracker(name="after") is None
    assert len(warned) == 1
    assert [s["name"] for s in tracer.store.sessions()] == ["last"]


def test_reset_starts_a_new_session_per_scenario(tracer):
    """Each flush with reset closes one session; the next scenario lands in a new one."""
    chain = RunnableLambda(lambda x: x)
    chain.invoke(1, config={"callbacks": [tracer]})
    first = tracer.flush_tracker(chain, name="one")
    chain.invoke(2, config={"callbacks": [tracer]})
    chain.invoke(3, config={"callbacks": [tracer]})
    second = tracer.flush_tracker(chain, name="two", tags=["rerun"], temperature=0.5)
    assert first.id != second.id
    assert (first.summary["traces"], second.summary["traces"]) == (1, 2)
    two = tracer.store.session("two")
    assert two["tags"] == ["rerun"]
    assert two["config"]["temperature"] == 0.5
    assert two["config"]["project"] == "tests"


def test_unknown_parent_starts_a_new_trace(tracer):
    """A run whose parent the tracer never saw becomes the root of its own trace."""
    orphan = uuid.uuid4()
    tracer.on_chain_start(None, {"q": 1}, run_id=orphan, parent_run_id=uuid.uuid4(), name="orphan")
    tracer.on_chain_end({"a": 1}, run_id=orphan)
    (root,) = flushed(tracer)["traces"]
    assert (root["name"], root["parent_id"], root["status"]) == ("orphan", None, "ok")


def test_old_handler_keyword_langchain_asset_is_the_asset(tracer):
    """``flush_tracker(langchain_asset=chain)``, as the old W&B handler took it, captures the chain."""
    chain = RunnableLambda(lambda x: x).with_config(run_name="identity")
    chain.invoke(1, config={"callbacks": [tracer]})
    tracer.flush_tracker(langchain_asset=chain, name="old-style")
    session = tracer.store.session("old-style")
    assert session["model"]["type"] == "RunnableLambda"
    assert "langchain_asset" not in session["config"]
    with pytest.raises(TypeError, match="either asset= or langchain_asset="):
        tracer.flush_tracker(chain, langchain_asset=chain)
