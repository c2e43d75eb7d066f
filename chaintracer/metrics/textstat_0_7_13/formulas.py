"""textstat 0.7.13's readability formulas, applied to the counts ``TextCounts`` takes of a text.

Each formula is textstat 0.7.13's, with its floating-point operations in the same order and
its zero-division fallbacks, so that the values are equal to textstat's own.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from chaintracer.metrics.textstat_0_7_13.counts import PUNCT, TextCounts, arabic_syllables

# textstat 0.7.13's patterns for Osman's Arabic formula (see textstat/backend).
_ARABIC_COMPLEX = re.compile("[\u064e\u064b\u064f\u064c\u0650\u064d\u0651]")
_ARABIC_TASHKEEL = re.compile(r"\u064E|\u064B|\u064F|\u064C|\u0650|\u064D|\u0651|" + r"\u0652|\u0653|\u0657|\u0658")
# Characters of those patterns, to find them in a text with ``in``.
_ARABIC_COMPLEX_CHARS = "\u064e\u064b\u064f\u064c\u0650\u064d\u0651"
_ARABIC_TASHKEEL_CHARS = "\u064e\u064b\u064f\u064c\u0650\u064d\u0651\u0652\u0653\u0657\u0658"
_FASEEH_SINGLE = re.compile(r"[\u0626\u0621\u0624\u0630\u0638]")
_FASEEH_DOUBLE = re.compile(r"(\u0648\u0627|\u0648\u0646)")
_FASEEH_CHARS = "\u0626\u0621\u0624\u0630\u0638\u0648"  # any match of either pattern has one

READING_MS_PER_CHAR = 14.69


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, or 0.0 where textstat catches the ZeroDivisionError."""
    return numerator / denominator if denominator else 0.0


class ReadabilityEngine(TextCounts):
    """The metrics of texts in one language, from per-word counts memoised across texts."""

    def __init__(self, lang: str) -> None:
        from textstat.backend import utils as textstat_utils

        super().__init__(lang)
        self._fre_base = textstat_utils.get_lang_cfg(lang, "fre_base")
        self._fre_sentence_length = textstat_utils.get_lang_cfg(lang, "fre_sentence_length")
        self._fre_syllables_per_word = textstat_utils.get_lang_cfg(lang, "fre_syll_per_word")
        self._fog_threshold = int(textstat_utils.get_lang_cfg(lang, "syllable_threshold"))

    def metrics(self, text: str) -> dict[str, Any]:
        """The 16 metrics of the old W&B handler plus lexicon_count, sentence_count, reading_time.

        ``text_standard`` is textstat's numeric grade (``float_output=True``, clamped to 1-18),
        so that it can be averaged like the others.
        """
        tokens = text.split()
        records = self.records(tokens)
        # Per token: stripped word ("" if only punctuation), its \w characters, count_syllables
        # of the word, its syllables if it may be a difficult word (else -1), the bare word.
        stripped, letters, syllables, hard, bare = zip(*records, strict=True) if records else ((), (), (), (), ())
        words = list(filter(None, stripped))  # list_words(text)
        n_words = len(words)
        n_sentences = self.count_sentences(text)
        n_chars = sum(map(len, tokens))  # count_chars(text, ignore_spaces=True)
        n_letters = sum(letters)  # count_letters(text)
        n_tokens = len(tokens)  # count_words(text, rm_punctuation=False)
        n_syllables = sum(syllables)  # count_syllables(text)

        words_per_sentence = _ratio(n_words, n_sentences)
        syllables_per_word = _ratio(n_syllables, n_words)
        letters_per_word = _ratio(n_letters, n_words)
        sentences_per_word = _ratio(n_sentences, n_words)
        chars_per_word = _ratio(n_chars, n_tokens)

        # flesch_reading_ease
        if words_per_sentence == 0 or syllables_per_word == 0:
            flesch_reading_ease = 0.0
        else:
            flesch_reading_ease = (
                self._fre_base
                - self._fre_sentence_length * words_per_sentence
                - self._fre_syllables_per_word * syllables_per_word
            )
        # flesch_kincaid_grade
        if words_per_sentence == 0 or syllables_per_word == 0:
            flesch_kincaid_grade = 0.0
        else:
            flesch_kincaid_grade = (0.39 * words_per_sentence) + (11.8 * syllables_per_word) - 15.59
        # smog_index: words of three syllables or more
        polysyllables = sum(1 for count in syllables if count >= 3)
        smog_index = (1.043 * (30 * (polysyllables / n_sentences)) ** 0.5) + 3.1291 if n_sentences else 0.0
        # coleman_liau_index
        letters = letters_per_word * 100
        sentences = sentences_per_word * 100
        coleman_liau_index = 0.0 if letters == 0 or sentences == 0 else (0.058 * letters) - (0.296 * sentences) - 15.8
        # automated_readability_index
        if chars_per_word == 0 or words_per_sentence == 0:
            automated_readability_index = 0.0
        else:
            automated_readability_index = (4.71 * chars_per_word) + (0.5 * words_per_sentence) - 21.43
        # dale_chall_readability_score: difficult words at syllable_threshold=0, every occurrence
        if n_words:
            percent_hard = 100 * sum(1 for count in hard if count >= 0) / n_words
            dale_chall = (0.1579 * percent_hard) + (0.0496 * words_per_sentence)
            if percent_hard > 5:
                dale_chall += 3.6365
        else:
            dale_chall = 0.0
        # difficult_words: textstat's defaults (syllable_threshold=2, unique=True)
        difficult_words = len({word for word, count in zip(stripped, hard) if count >= 2})
        # gunning_fog: the language's syllable threshold, every occurrence
        foggy = sum(1 for count in hard if count >= self._fog_threshold)
        gunning_fog = 0.4 * (words_per_sentence + 100 * foggy / n_words) if n_words else 0.0
        linsear_write = self._linsear_write(text, tokens, stripped, syllables, n_sentences)

        # Spanish, Italian and Arabic formulas
        if words_per_sentence == 0 or syllables_per_word == 0:
            fernandez_huerta = 0.0
        else:
            fernandez_huerta = 206.84 - (60 * syllables_per_word) - (1.02 * words_per_sentence)
        if n_words and n_sentences:
            szigriszt_pazos = self._fre_base - 62.3 * (n_syllables / n_words) - (n_words / n_sentences)
        else:
            szigriszt_pazos = 0.0
        if letters_per_word == 0 or words_per_sentence == 0:
            gutierrez_polini = 0.0
        else:
            gutierrez_polini = 95.2 - 9.7 * letters_per_word - 0.35 * words_per_sentence
        sentences_per_100 = 100 * sentences_per_word
        syllables_per_100 = 100 * syllables_per_word
        if sentences_per_100 == 0 or syllables_per_100 == 0:
            crawford = 0.0
        else:
            crawford = -0.205 * sentences_per_100 + 0.049 * syllables_per_100 - 3.407
        if sentences_per_word == 0 or chars_per_word == 0:
            gulpease_index = 0.0
        else:
            gulpease_index = (300 * sentences_per_word) - (10 * chars_per_word) + 89
        osman = self._osman(text, list(filter(None, bare)), n_words, words_per_sentence)

        text_standard = self._text_standard(
            flesch_kincaid_grade,
            flesch_reading_ease,
            smog_index,
            coleman_liau_index,
            automated_readability_index,
            dale_chall,
            linsear_write,
            gunning_fog,
        )
        return {
            "flesch_reading_ease": flesch_reading_ease,
            "flesch_kincaid_grade": flesch_kincaid_grade,
            "smog_index": smog_index,
            "coleman_liau_index": coleman_liau_index,
            "automated_readability_index": automated_readability_index,
            "dale_chall_readability_score": dale_chall,
            "difficult_words": difficult_words,
            "linsear_write_formula": linsear_write,
            "gunning_fog": gunning_fog,
            "text_standard": text_standard,
            "fernandez_huerta": fernandez_huerta,
            "szigriszt_pazos": szigriszt_pazos,
            "gutierrez_polini": gutierrez_polini,
            "crawford": crawford,
            "gulpease_index": gulpease_index,
            "osman": osman,
            "lexicon_count": n_words,
            "sentence_count": n_sentences,
            "reading_time": READING_MS_PER_CHAR * n_chars / 1000,
        }

    def _linsear_write(
        self, text: str, tokens: list[str], stripped: tuple[str, ...], syllables: tuple[int, ...], n_sentences: int
    ) -> float:
        """textstat ``linsear_write_formula(text)`` (strict_lower=False, strict_upper=True).

        Tokens that are only punctuation have 0 syllables, which counts neither as an easy nor
        as a difficult word, so summing over tokens equals summing over textstat's words.
        """
        used = len(tokens)
        if used > 100:  # only the first 100 words count
            used = 100
            if not all(stripped[:100]):  # some tokens were only punctuation: walk on
                used = words = 0
                while used < len(tokens) and words < 100:
                    words += 1 if stripped[used] else 0
                    used += 1
        counted = syllables[:used]
        difficult = sum(1 for count in counted if count >= 3)
        easy = sum(1 for count in counted if count > 0) - difficult
        prefix = " ".join(tokens[:used])
        sentences = n_sentences if prefix == text else self.count_sentences(prefix)
        if not sentences:
            return 0.0
        number = float((easy * 1 + difficult * 3) / sentences)
        if number <= 20:
            number -= 2
        return number / 2

    def _osman(self, text: str, words: list[str], n_words: int, words_per_sentence: float) -> float:
        """textstat ``osman(text)`` (Arabic readability); ``words``: list_words(text, rm_apostrophe=True)."""
        if not n_words:
            return 0.0
        complex_words = 0
        if any(mark in text for mark in _ARABIC_COMPLEX_CHARS):
            complex_words = sum(1 for word in words if len(_ARABIC_COMPLEX.findall(word)) > 5)
        long_word_source = words
        if any(mark in text for mark in _ARABIC_TASHKEEL_CHARS):
            long_word_source = PUNCT.sub("", _ARABIC_TASHKEEL.sub("", text)).split()
        long_words = sum(1 for word in long_word_source if len(word) > 5)
        syllables = arabic_syllables(text)
        faseeh = 0
        if any(mark in text for mark in _FASEEH_CHARS):
            for word in words:
                marks = len(_FASEEH_SINGLE.findall(word)) + len(_FASEEH_DOUBLE.findall(word))
                if marks > 0 and arabic_syllables(word) > 5:
                    faseeh += 1
        complex_word_rate = complex_words / n_words
        long_word_rate = long_words / n_words
        syllables_per_word = syllables / n_words
        faseeh_per_word = faseeh / n_words
        return (
            200.791
            - (1.015 * words_per_sentence)
            - (24.181 * (complex_word_rate + syllables_per_word + faseeh_per_word + long_word_rate))
        )

    @staticmethod
    def _text_standard(
        flesch_kincaid_grade: float,
        flesch_reading_ease: float,
        smog_index: float,
        coleman_liau_index: float,
        automated_readability_index: float,
        dale_chall: float,
        linsear_write: float,
        gunning_fog: float,
    ) -> float:
        """textstat ``text_standard(text, float_output=True)``: the most common grade, clamped to 1-18."""
        grades: list[int] = []

        def around(score: float) -> None:
            grades.extend((math.floor(score), math.ceil(score), round(score)))

        around(flesch_kincaid_grade)
        score = flesch_reading_ease
        if 90 <= score < 100:
            grades.append(5)
        elif 80 <= score < 90:
            grades.append(6)
        elif 70 <= score < 80:
            grades.append(7)
        elif 60 <= score < 70:
            grades.extend((8, 9))
        elif 50 <= score < 60:
            grades.append(10)
        elif 40 <= score < 50:
            grades.append(11)
        elif 30 <= score < 40:
            grades.append(12)
        else:
            grades.append(13)
        for score in (smog_index, coleman_liau_index, automated_readability_index):
            around(score)
        for score in (dale_chall, linsear_write, gunning_fog):
            around(score)
        standard = float(Counter(grades).most_common(1)[0][0])
        return max(1, min(standard, 18))
