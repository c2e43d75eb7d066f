"""spaCy dependency and entity views, the prompt→output view, escaping, and the fallback pipeline."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chaintracer.metrics import visualize
from chaintracer.metrics.visualize import NEEDS_PARSER, NO_ENTITY_RECOGNIZER, PipelineNotInstalledWarning, Visualizer

REPO = Path(__file__).resolve().parents[2]
HOSTILE = 'LangChain writes <script>alert("x")</script> & <b>bold</b> for Mallory in Paris.'


def status(page: str) -> str:
    return re.search(r'data-chaintracer-status="([^"]+)"', page).group(1)


def assert_inert(page: str) -> None:
    """No markup from the text survives: no script or img element, and scripts are forbidden by CSP."""
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "<b>" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_trained_parser_draws_real_dependency_arcs(trained_nlp):
    """A pipeline with a trained parser gives one SVG per sentence with labelled arcs."""
    views = Visualizer("unused", trained_nlp).render(None, "The cat sat on the mat. A dog chased the ball.")
    page = views["dependency"]
    assert status(page) == "ok"
    assert page.count("<svg") == 2
    assert page.count('class="displacy-arc"') >= 8
    for label in ("nsubj", "det", "dobj", "pobj"):
        assert f">{label}</textPath>" in page, label
    assert ">cat</tspan>" in page and ">ball.</tspan>" in page  # displaCy joins punctuation to words


def test_parser_pipeline_with_nothing_to_parse_is_not_called_parserless(trained_nlp):
    """An output of whitespace only gives an empty dependency page, not the "needs a parser" page."""
    page = Visualizer("unused", trained_nlp).render(None, "   \n ")["dependency"]
    assert status(page) == "ok"
    assert "needs a trained parser" not in page


def test_entity_ruler_entities_are_marked(ruler_nlp):
    """The entity view marks the ruler's entities with their labels, in text order."""
    page = Visualizer("unused", ruler_nlp).render(None, "LangChain was founded far from Paris, France.")["entities"]
    assert status(page) == "ok"
    marks = re.findall(r'<mark class="entity"[^>]*>\s*([^<]+?)\s*<span[^>]*>([^<]+)</span>', page)
    assert marks == [("LangChain", "ORG"), ("Paris", "GPE"), ("France", "GPE")]


def test_a_given_pipeline_without_parser_says_so(ruler_nlp):
    """A pipeline passed as nlp= without a parser gets the "needs a trained parser" page, naming its components."""
    page = Visualizer("unused", ruler_nlp).render(None, "LangChain runs in Paris.")["dependency"]
    assert status(page) == NEEDS_PARSER
    assert "has none (components: sentencizer, entity_ruler)" in page
    assert "<svg" not in page


def test_views_escape_model_text_and_labels(trained_nlp):
    """Markup in the output, the prompt and an entity label is escaped in every view."""
    views = Visualizer("unused", trained_nlp).render("<script>steal()</script> Summarise:", HOSTILE)
    assert set(views) == {"dependency", "entities", "prompt_output"}
    for page in views.values():
        assert_inert(page)
    assert "&lt;script&gt;" in views["entities"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in views["entities"]  # the ruler's label for "Mallory"
    assert "&lt;" in views["dependency"]  # the tokenizer splits "<script>"; each piece is escaped
    assert "&lt;script&gt;steal()&lt;/script&gt; Summarise::" in views["prompt_output"]


def test_prompt_output_view_is_the_old_handlers_layout():
    """The prompt in black with a colon, then the output quoted in green, line breaks kept."""
    page = visualize.prompt_output_page("Line one\nLine two", "Answer\nhere")
    prompt = re.search(r'<p class="prompt" style="([^"]*)">(.*?)</p>', page, re.S)
    output = re.search(r'<blockquote[^>]*>\s*<p class="output" style="([^"]*)">(.*?)</p>', page, re.S)
    assert "color: black" in prompt.group(1) and "pre-wrap" in prompt.group(1)
    assert prompt.group(2) == "Line one\nLine two:"
    assert "color: green" in output.group(1) and output.group(2) == "Answer\nhere"
    assert status(page) == "ok"


def test_missing_pipeline_warns_once_and_falls_back(monkeypatch):
    """spacy_model that is not installed: one warning with the install command, entity view, parser message."""
    monkeypatch.setattr(visualize, "_warned_models", set())
    with pytest.warns(PipelineNotInstalledWarning, match=r"python -m spacy download en_core_web_sm") as caught:
        first = Visualizer("en_core_web_sm")
        second = Visualizer("en_core_web_sm")
    assert len(caught) == 1
    assert first.fell_back and second.fell_back
    assert first.nlp.pipe_names == ["sentencizer"]
    views = first.render("Prompt", HOSTILE)
    entities, dependency = views["entities"], views["dependency"]
    assert status(entities) == NO_ENTITY_RECOGNIZER
    assert "Mallory in Paris." in entities
    assert status(dependency) == NEEDS_PARSER
    assert "needs a trained parser" in dependency
    assert "python -m spacy download en_core_web_sm" in dependency
    assert "<svg" not in dependency
    for page in views.values():
        assert_inert(page)


def test_an_installed_but_broken_pipeline_is_an_error(tmp_path):
    """A spacy_model path that exists but is not a pipeline raises instead of silently falling back."""
    (tmp_path / "broken").mkdir()
    with pytest.raises(OSError):
        Visualizer(str(tmp_path / "broken"))


def test_nlp_must_be_a_pipeline():
    """Passing something that is not a spaCy Language fails at construction."""
    with pytest.raises(TypeError, match="spaCy Language"):
        Visualizer("unused", nlp="en_core_web_sm")


def test_long_outputs_are_truncated_with_a_note(ruler_nlp):
    """Outputs longer than the limit are parsed up to it, and the page says so."""
    text = "LangChain works in Paris. " * 600
    page = Visualizer("unused", ruler_nlp).render(None, text)["entities"]
    assert f"first {visualize.MAX_VISUAL_CHARS:,} of {len(text):,} characters" in page
    assert page.count('<mark class="entity"') < 2 * 600


def test_nlp_given_turns_visualisations_on(store_path, trained_nlp):
    """A tracer built with nlp= draws views even without visualize=True, using that pipeline."""
    import chaintracer

    tracer = chaintracer.Tracer(store=store_path, nlp=trained_nlp)
    assert tracer._analyzer.visualizer.nlp is trained_nlp
    assert tracer._analyzer.readability is None


IMPORTS_SCRIPT = textwrap.dedent(
    """
    import json, sys, warnings
    warnings.simplefilter("ignore")
    from langchain_core.language_models import FakeListLLM
    from langchain_tracer import Tracer
    from chaintracer.testing import flushed
    import chaintracer.metrics
    after_import = [m for m in ("spacy", "textstat", "nltk") if m in sys.modules]
    mode = sys.argv[2]
    tracer = Tracer(store=sys.argv[1], complexity_metrics=mode == "metrics", visualize=mode == "visualize")
    FakeListLLM(responses=["Bees make honey."]).invoke("Why?", config={"callbacks": [tracer]})
    flushed(tracer)
    after_flush = [m for m in ("spacy", "textstat") if m in sys.modules]
    print(json.dumps({"after_import": after_import, "after_flush": after_flush}))
    """
)


def imports_after(mode: str, tmp_path: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", IMPORTS_SCRIPT, str(tmp_path / f"{mode}.db"), mode],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_spacy_is_never_imported_without_visualize(tmp_path):
    """complexity_metrics=True alone never imports spaCy; importing chaintracer.metrics imports neither."""
    report = imports_after("metrics", tmp_path)
    assert report["after_import"] == []
    assert report["after_flush"] == ["textstat"]


def test_textstat_is_not_imported_for_visualisations_alone(tmp_path):
    """visualize=True alone imports spaCy but not textstat (the control for the test above)."""
    report = imports_after("visualize", tmp_path)
    assert report["after_flush"] == ["spacy"]
