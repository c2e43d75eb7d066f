"""Complexity metrics are textstat's values, from the engine that fits the installed textstat version."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import pytest
from metrics_helpers import KNOWN_TEXTS, generate_texts

from chaintracer.metrics import complexity
from chaintracer.metrics.complexity import METRIC_NAMES, TEXTSTAT_METRICS, Readability, textstat_version, uses_mirror
from chaintracer.metrics.textstat_0_7_13 import MIRRORED_VERSION, ReadabilityEngine
from chaintracer.metrics.textstat_engine import TextstatEngine


def assert_equal(ours: dict, theirs: dict, text: str) -> None:
    """Same names in the same order, and the same values."""
    assert list(ours) == list(METRIC_NAMES) == list(theirs), text[:80]
    assert ours == theirs, text[:80]


def test_the_old_handlers_metrics_and_counts_are_computed():
    """The 16 metrics of the old W&B handler plus lexicon_count, sentence_count and reading_time."""
    assert len(TEXTSTAT_METRICS) == 16
    assert set(METRIC_NAMES) == {
        "flesch_reading_ease", "flesch_kincaid_grade", "smog_index", "coleman_liau_index",
        "automated_readability_index", "dale_chall_readability_score", "difficult_words", "linsear_write_formula",
        "gunning_fog", "text_standard", "fernandez_huerta", "szigriszt_pazos", "gutierrez_polini", "crawford",
        "gulpease_index", "osman", "lexicon_count", "sentence_count", "reading_time",
    }  # fmt: skip
    values = Readability("en_US").metrics("The cat sat on the mat. It was happy.")
    assert values["lexicon_count"] == 9
    assert values["sentence_count"] == 2
    assert all(isinstance(value, (int, float)) and math.isfinite(value) for value in values.values())


def test_the_copy_is_used_only_with_the_version_it_mirrors(monkeypatch):
    """textstat 0.7.13 gets the fast copy; any other version (here a pretended 0.8.0) gets textstat itself."""
    monkeypatch.setattr(complexity, "_engines", {})
    expected = ReadabilityEngine if textstat_version() == MIRRORED_VERSION else TextstatEngine
    assert type(Readability("en_US").engine) is expected
    for other in ("0.8.0", "0.7.12", "0.7.13.post1", None):
        monkeypatch.setattr(complexity, "_engines", {})
        monkeypatch.setattr(complexity, "textstat_version", lambda other=other: other)
        assert not uses_mirror()
        assert type(Readability("en_US").engine) is TextstatEngine


def test_metrics_lang_passes_through_to_textstat(textstat_reference):
    """metrics_lang="es" gives textstat's Spanish values, which differ from its English ones."""
    text = KNOWN_TEXTS[-1]
    spanish, english = Readability("es").metrics(text), Readability("en_US").metrics(text)
    assert_equal(spanish, textstat_reference(text, "es"), text)
    assert spanish["flesch_reading_ease"] != english["flesch_reading_ease"]


def test_languages_side_by_side_in_threads(textstat_reference):
    """Two languages analysed at once in threads keep their own values (no textstat.set_lang race)."""
    texts = generate_texts(30, words=60, seed=5)
    expected = {lang: [textstat_reference(text, lang) for text in texts] for lang in ("en_US", "es")}
    readers = {lang: Readability(lang) for lang in expected}

    def run(job):
        lang, index = job
        return lang, index, readers[lang].metrics(texts[index])

    jobs = [(lang, index) for index in range(len(texts)) for lang in expected] * 3
    with ThreadPoolExecutor(max_workers=8) as pool:
        for lang, index, values in pool.map(run, jobs):
            assert_equal(values, expected[lang][index], texts[index])


def test_text_standard_is_textstats_numeric_grade(textstat_reference):
    """text_standard is the numeric grade; textstat's text label is built from the same number."""
    from textstat.textstat import textstatistics

    for text in generate_texts(5, seed=9) + KNOWN_TEXTS[:2]:
        grade = Readability("en_US").metrics(text)["text_standard"]
        assert isinstance(grade, (int, float)) and 1 <= grade <= 18
        lower = int(grade) - 1
        assert textstatistics().text_standard(text).startswith(f"{lower}")
        assert f" and {lower + 1}" in textstatistics().text_standard(text)


def test_unsupported_language_fails_at_construction(store_path):
    """A metrics_lang textstat cannot count syllables in is rejected when the tracer is built."""
    import chaintracer

    with pytest.raises(ValueError, match="metrics_lang 'xx_YY'"):
        chaintracer.Tracer(store=store_path, complexity_metrics=True, metrics_lang="xx_YY")
