"""From stored score values to summaries and paired comparisons (the method is in ``stats``).

Values come from ``Store.score_values``: one row per scored (or feedback-given) example run.
An example's score for a variant is the mean over its repetitions; examples pair across
variants and sessions by their key (the example's id, else its position in the dataset).
"""

from __future__ import annotations

import math
from typing import Any

from chaintracer.experiments import stats
from chaintracer.experiments.dataset import example_key
from chaintracer.store.experiments import iter_values

# scorer name -> example key -> mean over repetitions (None: every repetition's score failed)
PerExample = dict[str, dict[str, float | None]]


def per_example(rows: list[dict[str, Any]], order: list[str] | None = None) -> dict[str, PerExample]:
    """``{variant: {scorer: {example key: mean over repetitions}}}``; scorers in ``order`` first."""
    collected: dict[str, dict[str, dict[str, list[float]]]] = {}
    for row in iter_values(rows):
        values = collected.setdefault(row["variant"], {}).setdefault(row["name"], {})
        scored = values.setdefault(example_key(row["index"], row["id"]), [])
        if row["value"] is not None:
            scored.append(row["value"])
    ranked = {name: position for position, name in enumerate(order or [])}
    result: dict[str, PerExample] = {}
    for variant, names in collected.items():
        result[variant] = {
            name: {key: math.fsum(v) / len(v) if v else None for key, v in names[name].items()}
            for name in sorted(names, key=lambda n: (ranked.get(n, len(ranked)), n))
        }
    return result


def summarize(scores: PerExample) -> dict[str, dict[str, Any]]:
    """``{scorer: {"mean", "ci_low", "ci_high", "n"}}`` over the examples that have a value."""
    return {name: stats.describe([v for v in by_key.values() if v is not None]) for name, by_key in scores.items()}


def compare(baseline: PerExample, candidate: PerExample) -> dict[str, dict[str, Any]]:
    """``{scorer: {"delta", "ci_low", "ci_high", "p_value", "wins", "losses", "ties"}}``, candidate - baseline."""
    names = [name for name in baseline if name in candidate] + [n for n in candidate if n not in baseline]
    result = {}
    for name in names:
        base = {k: v for k, v in baseline.get(name, {}).items() if v is not None}
        cand = {k: v for k, v in candidate.get(name, {}).items() if v is not None}
        result[name] = stats.compare_paired(base, cand)
    return result


def regressions(comparison: dict[str, dict[str, Any]], alpha: float = 0.05) -> list[str]:
    """The scorers significantly worse in the candidate (p < alpha and a negative delta)."""
    return [
        name
        for name, entry in comparison.items()
        if entry["p_value"] is not None and entry["p_value"] < alpha and (entry["delta"] or 0) < 0
    ]
