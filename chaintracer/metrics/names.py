"""The names of the complexity metrics, in the order every engine returns them."""

from __future__ import annotations

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
