"""LlamaIndex model spans get complexity metrics and the prompt→output view, on both paths."""

from __future__ import annotations

import pytest
import spacy
from li_helpers import all_spans
from llama_index.core import Settings
from llama_index.core.callbacks import CallbackManager
from llama_index.core.llms import ChatMessage, MockLLM

PROMPT = "Summarise the history of the printing press in two sentences."


@pytest.mark.parametrize("path", ["legacy", "instrumentation"])
def test_completion_and_chat_spans_carry_metrics_and_views(path, make_tracer, flush):
    """complete() and chat() spans both get readability metrics and a prompt→output view."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    tracer = make_tracer(complexity_metrics=True, visualize=True, nlp=nlp)
    if path == "legacy":
        Settings.callback_manager = CallbackManager([tracer])
    else:
        tracer.instrument()
    llm = MockLLM(max_tokens=12, callback_manager=Settings.callback_manager)
    llm.complete(PROMPT)
    llm.chat([ChatMessage(role="user", content="Explain photosynthesis to a child.")])

    exported = flush(tracer, name="metrics")
    models = [span for span in all_spans(exported) if span["kind"] in ("llm", "chat_model")]
    # MockLLM.chat calls its own complete(): one request, one model span on both paths.
    assert len(models) == 2
    for span in models:
        assert span["metrics"]["lexicon_count"] > 0
        assert "flesch_reading_ease" in span["metrics"]
        assert set(span["attributes"]["visualizations"]) >= {"entities", "prompt_output"}
    assert exported["session"]["summary"]["metrics"]["lexicon_count"] > 0
    views = models[0]["attributes"]["visualizations"]
    _, html = tracer.store.artifact(exported["session"]["id"], views["prompt_output"])
    assert "printing press" in html
