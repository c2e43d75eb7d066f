"""spaCy views of model outputs as standalone HTML pages: dependencies, entities, prompt→output.

The pages are stored as artifacts and opened in a viewer, so everything taken from a model's
text (or from a pipeline's labels) is HTML-escaped, and each page carries a Content-Security-
Policy that forbids scripts. displaCy draws the markup (``manual=True``, from data we escape);
the page around it is ours.

Pipeline: the ``nlp`` given to the tracer, else ``spacy.load(spacy_model)``. When that pipeline
is not installed (``en_core_web_sm`` is not on PyPI and nothing here downloads it) a warning
says how to install it, once per process and name, and a blank English pipeline with a
sentencizer stands in: its entity view shows the text without entities, and its dependency view
is a page saying that it needs a trained parser, marked ``data-chaintracer-status=
"needs-trained-parser"`` on its ``<body>``.
"""

from __future__ import annotations

import threading
import warnings
from html import escape
from pathlib import Path
from typing import Any

from chaintracer.metrics.cache import LRUCache, text_key

MAX_VISUAL_CHARS = 10_000  # characters of an output parsed for the spaCy views
MAX_DEP_SENTENCES = 40  # sentences drawn in the dependency view
MAX_PROMPT_OUTPUT_CHARS = 50_000  # characters of the prompt and of the output in that view

NEEDS_PARSER = "needs-trained-parser"
NO_ENTITY_RECOGNIZER = "no-entity-recognizer"

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_FONT = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif"


class PipelineNotInstalledWarning(UserWarning):
    """The named spaCy pipeline is not installed; a blank English pipeline is used instead."""


_warned_models: set[str] = set()
_warned_lock = threading.Lock()


def load_pipeline(name: str) -> tuple[Any, bool]:
    """``(nlp, fell_back)``: the installed pipeline ``name``, or a blank English one (warned once)."""
    import spacy

    try:
        return spacy.load(name), False
    except OSError:
        # Only "not installed" falls back; a broken installed pipeline is the user's to fix.
        if spacy.util.is_package(name) or Path(name).exists():
            raise
    with _warned_lock:
        first = name not in _warned_models
        _warned_models.add(name)
    if first:
        warnings.warn(
            f"chaintracer: the spaCy pipeline {name!r} is not installed, so visualize=True uses a blank "
            f"English pipeline with a sentencizer: the entity view shows no entities and the dependency view "
            f"needs a trained parser. Install the pipeline with `python -m spacy download {name}` (or `pip "
            f"install` its wheel), or pass nlp=<a loaded spacy.Language> to the tracer.",
            PipelineNotInstalledWarning,
            stacklevel=2,
        )
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp, True


class Visualizer:
    """Renders the views of model outputs with one spaCy pipeline (calls into it are serialised)."""

    def __init__(self, spacy_model: str, nlp: Any = None, cache_size: int = 64) -> None:
        if nlp is None:
            nlp, self.fell_back = load_pipeline(spacy_model)
            self.pipeline_name = spacy_model
        else:
            if not callable(nlp) or not hasattr(nlp, "pipe_names"):
                raise TypeError(f"nlp must be a loaded spaCy Language (e.g. spacy.load(...)), not {type(nlp).__name__}")
            self.fell_back = False
            meta = getattr(nlp, "meta", None) or {}
            self.pipeline_name = f"{meta.get('lang', getattr(nlp, 'lang', '?'))}_{meta.get('name', 'pipeline')}"
        self.nlp: Any = nlp
        self.parses = _assigns(nlp, "token.dep")
        self.finds_entities = _assigns(nlp, "doc.ents")
        self.cache = LRUCache(cache_size)
        self._lock = threading.Lock()

    def render(self, prompt: str | None, output: str) -> dict[str, str]:
        """``{"dependency", "entities"}`` pages of ``output``, plus ``"prompt_output"`` when a prompt is given."""
        key = text_key(output)
        views = self.cache.get(key)
        if views is None:
            text = output[:MAX_VISUAL_CHARS]
            with self._lock:
                doc = self.nlp(text)
            note = ""
            if len(output) > MAX_VISUAL_CHARS:
                note = f"Only the first {MAX_VISUAL_CHARS:,} of {len(output):,} characters are shown."
            views = {"dependency": self._dependency(doc, note), "entities": self._entities(doc, note)}
            self.cache.put(key, views)
        result = dict(views)
        if prompt is not None:
            result["prompt_output"] = prompt_output_page(prompt, output)
        return result

    def _settings(self, doc: Any) -> dict[str, str]:
        direction = doc.vocab.writing_system.get("direction", "ltr")
        return {"lang": escape(str(doc.lang_)), "direction": "rtl" if direction == "rtl" else "ltr"}

    def _dependency(self, doc: Any, note: str) -> str:
        from spacy import displacy

        if not (self.parses or doc.has_annotation("DEP")):
            name, components = self.pipeline_name, ", ".join(self.nlp.pipe_names) or "none"
            if self.fell_back:
                message = (
                    f"The dependency view needs a trained parser. The spaCy pipeline {name!r} is not installed, so "
                    f"a blank English pipeline without one stood in (components: {components}). Install it with "
                    f"`python -m spacy download {name}`, or pass nlp=<a loaded spacy.Language> to the tracer."
                )
            else:
                message = (
                    f"The dependency view needs a trained parser, and the spaCy pipeline {name!r} has none "
                    f"(components: {components})."
                )
            return _page("Dependencies", "dependency", NEEDS_PARSER, [message, note], "")
        settings = self._settings(doc)
        figures = []
        try:
            sentences = list(doc.sents)
        except ValueError:  # no sentence boundaries (e.g. only whitespace was parsed)
            sentences = []
        for sentence in sentences[:MAX_DEP_SENTENCES]:
            parsed = displacy.parse_deps(sentence)
            for word in parsed["words"]:  # displaCy escapes the text, not tags, lemmas or labels
                word["tag"] = escape(str(word.get("tag") or ""))
                if word.get("lemma") is not None:
                    word["lemma"] = escape(str(word["lemma"]))
            for arc in parsed["arcs"]:
                arc["label"] = escape(str(arc["label"]))
            parsed["settings"] = settings
            parsed.pop("title", None)
            svg = displacy.render(parsed, style="dep", manual=True, page=False, jupyter=False)
            figures.append(f'<figure style="margin: 0 0 3rem 0">{svg}</figure>')
        if len(sentences) > MAX_DEP_SENTENCES:
            drawn = f"Only the first {MAX_DEP_SENTENCES} of {len(sentences)} sentences are drawn."
            note = f"{note} {drawn}" if note else drawn
        return _page("Dependencies", "dependency", "ok", [note], "\n".join(figures), lang=settings["lang"])

    def _entities(self, doc: Any, note: str) -> str:
        from spacy import displacy

        settings = self._settings(doc)
        status = "ok"
        notes = [note]
        if not (self.finds_entities or doc.has_annotation("ENT_IOB")):
            status = NO_ENTITY_RECOGNIZER
            notes.insert(0, f"The spaCy pipeline {self.pipeline_name!r} has no ner or entity_ruler: no entities.")
        data = {
            "text": doc.text,
            "ents": [{"start": ent.start_char, "end": ent.end_char, "label": escape(ent.label_)} for ent in doc.ents],
            "title": None,
            "settings": settings,
        }
        markup = displacy.render(data, style="ent", manual=True, page=False, jupyter=False)
        return _page("Entities", "entities", status, notes, markup, lang=settings["lang"])


def _assigns(nlp: Any, attribute: str) -> bool:
    """Whether a component of the pipeline declares that it sets ``attribute`` (e.g. ``token.dep``)."""
    get_meta = getattr(nlp, "get_pipe_meta", None)
    if get_meta is None:
        return False
    try:
        return any(attribute in get_meta(name).assigns for name in nlp.pipe_names)
    except Exception:  # not a spaCy Language after all: judge by each doc's annotations
        return False


def prompt_output_page(prompt: str, output: str) -> str:
    """The prompt in black, then the output quoted in green (as the old W&B handler drew it), escaped."""
    body = (
        f'<p class="prompt" style="color: black; white-space: pre-wrap">{_clip(prompt)}:</p>\n'
        f'<blockquote style="margin-left: 1.5rem; padding-left: 1rem; border-left: 3px solid #9c9">\n'
        f'<p class="output" style="color: green; white-space: pre-wrap">{_clip(output)}</p>\n'
        f"</blockquote>"
    )
    return _page("Prompt and output", "prompt_output", "ok", [], body)


def _clip(text: str) -> str:
    if len(text) <= MAX_PROMPT_OUTPUT_CHARS:
        return escape(text)
    rest = len(text) - MAX_PROMPT_OUTPUT_CHARS
    return escape(text[:MAX_PROMPT_OUTPUT_CHARS]) + f"<em>… ({rest:,} more characters)</em>"


def _page(title: str, view: str, status: str, notes: list[str], content: str, lang: str = "en") -> str:
    """A complete HTML page; ``notes`` are plain text (escaped here), ``content`` is markup."""
    style = "color: #555; font-style: italic"
    paragraphs = "".join(f'<p class="chaintracer-note" style="{style}">{escape(note)}</p>\n' for note in notes if note)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        f"<title>{escape(title)}</title>\n</head>\n"
        f'<body data-chaintracer-view="{escape(view)}" data-chaintracer-status="{escape(status)}" '
        f'style="font-family: {_FONT}; font-size: 16px; padding: 2rem">\n'
        f"{paragraphs}{content}\n</body>\n</html>\n"
    )
