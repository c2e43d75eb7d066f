"""Tracers store metrics per model span, their means per session, and views as artifacts."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from langchain_core.language_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from metrics_helpers import generate_texts

from chaintracer.export import export_session
from chaintracer.metrics.complexity import METRIC_NAMES, Readability
from chaintracer.testing import flushed, walk
from demo.scripted import ScriptedChatModel, ScriptedLLM
from langchain_tracer import Tracer

MODEL_KINDS = ("llm", "chat_model")


@pytest.fixture
def tracer_off(store_path):
    """A LangChain tracer with no metrics or visualisations."""
    return Tracer(store=store_path)


def model_spans(doc):
    return [span for trace in doc["traces"] for span in walk(trace) if span["kind"] in MODEL_KINDS]


def output_of(span):
    generation = span["outputs"]["generations"][0][0]
    return generation["message"]["content"] if "message" in generation else generation["text"]


def test_many_threads_many_outputs_get_their_own_metrics(store_path):
    """200 chat invokes from eight threads: each model span has its own output's metrics, the summary their means."""
    tracer = Tracer(store=store_path, complexity_metrics=True)
    questions = generate_texts(200, words=30, seed=21)
    chain = ChatPromptTemplate.from_messages([("human", "{question}")]) | ScriptedChatModel()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda q: chain.invoke({"question": q}, config={"callbacks": [tracer]}), questions))
    doc = flushed(tracer)

    spans = model_spans(doc)
    assert len(spans) == 200
    reference = Readability("en_US")
    outputs = set()
    for span in spans:
        output = output_of(span)
        outputs.add(output)
        assert span["metrics"] == reference.metrics(output)
        assert not any(name.startswith("prompt_") for name in span["metrics"])
    assert outputs == {f"I am a scripted model; you said: {question}" for question in questions}
    summary = doc["session"]["summary"]
    assert summary["llm_calls"] == 200
    for name in METRIC_NAMES:
        mean = sum(span["metrics"][name] for span in spans) / len(spans)
        assert summary["metrics"][name] == pytest.approx(round(mean, 4), abs=1e-4), name


def test_prompt_metrics_only_with_analyze_prompts(store_path, tmp_path):
    """analyze_prompts=True adds prompt_-prefixed metrics of the prompt; without it there are none."""
    chain = PromptTemplate.from_template("Explain {topic} in simple words.") | ScriptedLLM(
        responses=["Gravity pulls things together. Heavy things pull harder."]
    )
    with_prompts = Tracer(store=store_path, complexity_metrics=True, analyze_prompts=True)
    without = Tracer(store=str(tmp_path / "without.db"), complexity_metrics=True)
    chain.invoke({"topic": "gravity"}, config={"callbacks": [with_prompts, without]})
    (span,) = model_spans(flushed(with_prompts))
    (plain,) = model_spans(flushed(without))
    metrics = span["metrics"]
    prompt_metrics = {
        name.removeprefix("prompt_"): value for name, value in metrics.items() if name.startswith("prompt_")
    }
    assert prompt_metrics == Readability("en_US").metrics("Explain gravity in simple words.")
    assert set(plain["metrics"]) == set(METRIC_NAMES)
    assert {name: span["metrics"][name] for name in METRIC_NAMES} == plain["metrics"]


def test_metrics_off_by_default(tracer_off):
    """Without complexity_metrics the spans carry no metrics and the summary no means."""
    chain = PromptTemplate.from_template("Hi {x}") | ScriptedLLM(responses=["Hello there."]) | StrOutputParser()
    chain.invoke({"x": "you"}, config={"callbacks": [tracer_off]})
    doc = flushed(tracer_off)
    assert all(span["metrics"] == {} for span in model_spans(doc))
    assert "metrics" not in doc["session"]["summary"]


def test_json_export_shows_metrics_and_visualisation_references(store_path, trained_nlp):
    """The JSON export has each model span's metrics and view references; the store returns each view's HTML."""
    tracer = Tracer(store=store_path, complexity_metrics=True, nlp=trained_nlp, analyze_prompts=True)
    chain = (
        ChatPromptTemplate.from_messages([("human", "Describe <script>alert(1)</script> {place}.")])
        | FakeListChatModel(responses=["The cat sat on the mat. LangChain builds chains in Paris."])
        | StrOutputParser()
    )
    chain.invoke({"place": "Paris"}, config={"callbacks": [tracer]})
    info = tracer.flush_tracker(name="views")
    doc = json.loads(json.dumps(export_session(tracer.store, info.id)))  # what `chaintracer export` prints

    (span,) = model_spans(doc)
    assert set(METRIC_NAMES) <= set(span["metrics"])
    assert span["metrics"]["lexicon_count"] == 11
    references = span["attributes"]["visualizations"]
    assert set(references) == {"dependency", "entities", "prompt_output"}
    pages = {}
    for view, ref in references.items():
        media_type, pages[view] = tracer.store.artifact(info.id, ref)
        assert media_type == "text/html"
        assert ref.startswith(f"{view}-") and ref.endswith(".html")
    assert pages["dependency"].count('class="displacy-arc"') >= 5
    assert 'data-chaintracer-status="ok"' in pages["dependency"]
    assert ">ORG</span>" in pages["entities"] and ">GPE</span>" in pages["entities"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["prompt_output"]
    assert "<script" not in pages["prompt_output"]
    assert doc["session"]["summary"]["metrics"]["lexicon_count"] == 11


def test_manual_llm_spans_get_metrics(store_path):
    """A hand-built LLM span's named output text is scored like an adapter's model span."""
    from chaintracer import Span, SpanKind, Tracer
    from chaintracer.testing import flushed

    tracer = Tracer(complexity_metrics=True, store=store_path)
    span = Span("gpt", SpanKind.LLM)
    span.add_named_result({"prompt": "Say something."}, {"text": "The cat sat on the mat. It was happy there."})
    tracer.log_trace(span)
    (root,) = flushed(tracer)["traces"]
    assert root["metrics"]["lexicon_count"] == 10
    assert root["metrics"]["sentence_count"] == 2
