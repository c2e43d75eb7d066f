"""Secrets never leave the process: every rule of chaintracer.redact, everywhere bytes are written."""

from __future__ import annotations

import json
import logging
import re

import pytest
import spacy
from langchain_core.language_models import FakeListLLM
from langchain_core.prompts import PromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda
from secrets_corpus import (
    KEPT,
    KEPT_TEXTS,
    KEYED,
    TEXTS,
    all_texts,
    bytes_on_disk,
    cli,
    leaks,
    planted_tracer_settings,
    run_planted_session,
    written,
)

from chaintracer import Span
from chaintracer import Tracer as CoreTracer
from chaintracer.metrics.complexity import Readability
from chaintracer.testing import flushed, walk
from langchain_tracer import Tracer


class Client:
    """An SDK client whose repr shows its key, as many do."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key

    def __repr__(self) -> str:
        return f"Client(api_key={self.api_key!r}, base_url='https://api.example.com')"


def small_nlp() -> spacy.language.Language:
    """A blank English pipeline (no download): sentences and one entity pattern."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "ORG", "pattern": "Acme"}])
    return nlp


def test_key_names_mask_credentials_and_keep_field_names(store_path):
    """Values under credential keys are masked in any case; token counts and framework field names are kept."""
    tracer = CoreTracer(store=store_path)
    span = Span(name="keys", span_kind="llm")
    span.add_named_result({**KEYED, **KEPT}, {"echo": dict(KEYED)})
    span.add_attribute("invocation_params", {**KEYED, "temperature": 0.5})
    tracer.log_trace(span)
    doc = flushed(tracer, name="keys")

    stored = doc["traces"][0]
    for key in KEYED:
        assert stored["inputs"][key] == "***", key
        assert stored["attributes"]["invocation_params"][key] == "***", key
    for key, value in KEPT.items():
        assert stored["inputs"][key] == value, key
    assert leaks(json.dumps(doc)) == []
    assert leaks(written(store_path)) == []


def test_text_rules_mask_secrets_inside_strings_and_reprs(store_path):
    """key=value, key: value, Bearer in any case, URL passwords and provider key shapes are masked inside text."""
    tracer = CoreTracer(store=store_path)
    span = Span(name="texts")
    span.add_named_result(
        {"texts": [planted.text for planted in TEXTS], "client": Client(KEYED["api_key"]), "kept": KEPT_TEXTS},
        {"answer": all_texts()},
    )
    tracer.log_trace(span)
    doc = flushed(tracer, name="texts")

    assert leaks(json.dumps(doc)) == []
    assert leaks(written(store_path)) == []
    inputs = doc["traces"][0]["inputs"]
    assert inputs["kept"] == KEPT_TEXTS
    masked = dict(zip([planted.rule for planted in TEXTS], inputs["texts"]))
    # What surrounds a secret stays readable.
    assert masked["URL userinfo"] == "postgresql://admin:***@db.internal:5432/app"
    assert masked["Bearer"] == "Authorization: Bearer ***"
    assert masked["key=value in a repr"] == "Client(api_key='***', timeout=30)"
    assert masked['"key": "value"'] == '{"client_secret": "***", "model": "gpt"}'
    assert inputs["client"]["repr"] == "Client(api_key='***', base_url='https://api.example.com')"


def test_session_fields_are_masked_in_the_store_and_every_command(store_path):
    """Secrets in a session's name, tags, group, job type, notes and config never reach the store or the CLI."""
    texts = [planted.text for planted in TEXTS]
    tracer = CoreTracer(
        store=store_path,
        name=f"run with {texts[0]}",
        tags=texts[:12],
        group=texts[12],
        job_type=texts[13],
        notes=all_texts(),
    )
    tracer.log_trace(Span(name="root"))
    info = tracer.flush_tracker(notes=f"flushed: {texts[14]}", tags=texts[5:], llm={"model": "m", **KEYED})

    session = json.loads(cli("export", info.id, "--store", store_path))["session"]
    assert session["tags"][0] == "GET /models?hf_token=***&x=1"
    assert session["config"]["llm"]["model"] == "m"
    assert leaks(json.dumps(session)) == []
    assert leaks(cli("sessions", "--json", "--store", store_path)) == []
    assert leaks(cli("show", info.id, "--store", store_path, "--color", "never")) == []
    assert leaks(written(store_path)) == []


def test_feedback_comments_are_masked(store_path):
    """A feedback comment quoting secrets is stored and exported masked."""
    tracer = CoreTracer(store=store_path)
    tracer.log_trace(Span(name="answer"))
    doc = flushed(tracer, name="feedback")
    tracer.log_feedback(doc["traces"][0]["trace_id"], "helpful", True, comment=f"user pasted {all_texts()}")

    exported = cli("export", doc["session"]["id"], "--store", store_path)
    (feedback,) = json.loads(exported)["traces"][0]["feedback"]
    assert feedback["comment"].startswith("user pasted export OPENAI_API_KEY=***")
    assert leaks(exported) == []
    assert leaks(written(store_path)) == []


def test_errors_and_tracebacks_are_masked(store_path):
    """A step named with a secret that fails quoting secrets: its name, message and traceback are masked."""
    tracer = Tracer(store=store_path)

    def connect(question: str) -> str:
        raise ConnectionError(f"could not connect: {all_texts()}")

    with pytest.raises(ConnectionError):
        RunnableLambda(connect, name=f"connect {TEXTS[1].text}").invoke("q", config={"callbacks": [tracer]})
    doc = flushed(tracer, name="errors")

    assert doc["traces"][0]["name"] == "connect Client(api_key='***', timeout=30)"
    error = doc["traces"][0]["error"]
    assert error["type"] == "ConnectionError"
    assert error["message"].startswith("could not connect: export OPENAI_API_KEY=***")
    assert "raise ConnectionError" in error["traceback"]
    assert leaks(json.dumps(doc)) == []
    assert leaks(written(store_path)) == []


def test_metrics_and_visualizations_are_computed_on_masked_text(store_path, tmp_path):
    """Model outputs quoting secrets: the metrics are those of the masked text and no view or report shows a secret."""
    output = f"Acme support here. {all_texts()}"
    tracer = Tracer(store=store_path, complexity_metrics=True, visualize=True, nlp=small_nlp())
    chain = PromptTemplate.from_template("Show {what}") | FakeListLLM(responses=[output])
    chain.invoke({"what": TEXTS[0].text}, config={"callbacks": [tracer]})
    info = tracer.flush_tracker(name="metrics")

    report = tmp_path / "report.html"
    cli("report", info.id, "-o", str(report), "--store", store_path)
    assert leaks(bytes_on_disk(report)) == []
    assert leaks(written(store_path)) == []
    doc = json.loads(cli("export", info.id, "--store", store_path))
    (model,) = [span for span in walk(doc["traces"][0]) if span["kind"] == "llm"]
    stored_output = model["outputs"]["generations"][0][0]["text"]
    assert "***" in stored_output
    assert model["attributes"]["visualizations"]
    metrics = {name: value for name, value in model["metrics"].items() if not name.startswith("prompt_")}
    assert metrics == Readability("en_US").metrics(stored_output)


class Unintrospectable(Runnable):
    """A runnable that cannot even be named: the error quotes secrets."""

    def __init__(self, detail: str = "") -> None:
        self.detail = detail

    def invoke(self, value, config=None, **kwargs):
        return value

    def get_name(self, suffix=None, *, name=None):
        raise RuntimeError(f"graph unavailable: {all_texts()} {self.detail}")


def test_logs_chaintracer_writes_are_masked(store_path, caplog, monkeypatch):
    """A logged internal error whose message and traceback quote secrets is masked in the log and the store."""
    monkeypatch.delenv("CHAINTRACER_RAISE_INTERNAL_ERRORS")  # production behaviour: log, do not raise
    tracer = Tracer(store=store_path)
    tracer.log_trace(Span(name="root"))
    with caplog.at_level(logging.WARNING, logger="chaintracer"):
        info = tracer.flush_tracker(Unintrospectable(), name="logs")

    assert "internal error in" in caplog.text
    assert "RuntimeError: graph unavailable: export OPENAI_API_KEY=***" in caplog.text
    assert leaks(caplog.text) == []
    model = json.loads(cli("export", info.id, "--store", store_path))["session"]["model"]
    assert model["error"].startswith("RuntimeError: graph unavailable")
    assert leaks(written(store_path)) == []


CUSTOMER = re.compile(r"ACME-\d{6}")


def test_mask_function_runs_after_the_builtin_rules_on_every_text(store_path, caplog, monkeypatch):
    """mask= sees texts the built-in rules already masked, and covers payloads, names, fields, errors, logs."""
    seen: list[str] = []

    def hide_customers(text: str) -> str:
        seen.append(text)
        return CUSTOMER.sub("ACME-######", text)

    monkeypatch.delenv("CHAINTRACER_RAISE_INTERNAL_ERRORS")
    customer = "ACME-482913"
    tracer = Tracer(store=store_path, mask=hide_customers, tags=[f"for {customer}"], notes=f"{customer} {all_texts()}")

    def lookup(question: str) -> str:
        raise LookupError(f"no account for {customer}; {all_texts()}")

    with pytest.raises(LookupError):
        RunnableLambda(lookup, name=f"lookup {customer}").invoke(
            {"customer": customer, **KEYED}, config={"callbacks": [tracer]}
        )
    with caplog.at_level(logging.WARNING, logger="chaintracer"):
        info = tracer.flush_tracker(Unintrospectable(customer), name=f"session of {customer}")

    exported = cli("export", info.id, "--store", store_path)
    for where, text in (("export", exported), ("store", written(store_path)), ("log", caplog.text)):
        assert customer not in text, where
        assert leaks(text) == [], where
    assert "ACME-######" in exported and "ACME-######" in caplog.text
    assert seen and leaks("\n".join(seen)) == []


def test_mask_must_be_a_function_from_text_to_text(store_path):
    """mask= that is not callable, fails on a string or returns something else is refused when the tracer is made."""
    with pytest.raises(TypeError, match="mask"):
        CoreTracer(store=store_path, mask="***")
    with pytest.raises(TypeError, match="must return a string"):
        CoreTracer(store=store_path, mask=lambda text: None)
    with pytest.raises(TypeError, match="failed on a sample string"):
        CoreTracer(store=store_path, mask=lambda: "no argument")


def test_a_mask_that_fails_at_run_time_hides_the_text_and_is_counted(store_path, caplog):
    """When mask= raises on a text, that text is replaced by a marker, the trace is kept and the failure counted."""

    def fragile(text: str) -> str:
        if "boom" in text:
            raise ValueError(text)
        return text

    tracer = CoreTracer(store=store_path, mask=fragile)
    span = Span(name="root")
    span.add_named_result({"bad": "boom: hunter2-plaintext", "good": "fine"}, {"api_key": "x"})
    tracer.log_trace(span)
    with caplog.at_level(logging.WARNING, logger="chaintracer"):
        doc = flushed(tracer, name="fragile")

    inputs = doc["traces"][0]["inputs"]
    assert inputs == {"bad": "<masked: mask= failed (ValueError)>", "good": "fine"}
    assert doc["session"]["summary"]["mask_failures"] == 1
    assert "mask= function failed" in caplog.text
    assert "hunter2-plaintext" not in caplog.text
    assert "hunter2-plaintext" not in written(store_path)


def test_planted_secrets_appear_in_no_byte_written(tmp_path, caplog, monkeypatch):
    """Every planted secret, everywhere at once: none in the store and WAL, the export, the report or the logs."""
    monkeypatch.delenv("CHAINTRACER_RAISE_INTERNAL_ERRORS")  # production behaviour: log, do not raise
    store = str(tmp_path / "planted.db")
    tracer = Tracer(store=store, complexity_metrics=True, visualize=True, nlp=small_nlp(), **planted_tracer_settings())
    with caplog.at_level(logging.DEBUG, logger="chaintracer"):
        info = run_planted_session(tracer)
    report = tmp_path / "report.html"
    cli("report", info.id, "-o", str(report), "--store", store)
    exported = cli("export", info.id, "--store", store)

    doc = json.loads(exported)
    assert len(doc["traces"]) == 3 and doc["session"]["model"]["error"].startswith("RuntimeError")
    assert any(span["attributes"].get("visualizations") for trace in doc["traces"] for span in walk(trace))
    assert "internal error in describe_asset" in caplog.text
    for where, data in (
        ("store and WAL", written(store)),
        ("JSON export", exported),
        ("sessions --json", cli("sessions", "--json", "--store", store)),
        ("report", bytes_on_disk(report)),
        ("logs", caplog.text),
    ):
        assert leaks(data) == [], where
