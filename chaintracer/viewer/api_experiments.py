"""Experiments (issue 14): the list, and one experiment's summary, comparisons, per-example grid and charts.

Statistics come from ``chaintracer.experiments`` (bootstrap intervals, paired tests) on the
values the store holds now, so feedback given after the run shows as one more scorer.
"""

from __future__ import annotations

from typing import Any

from chaintracer.experiments import analysis
from chaintracer.store import ExperimentNotFound, Store
from chaintracer.viewer.api_common import ApiError, NotFound

DEFAULT_EXAMPLES = 100


def experiments_list(store: Store) -> dict[str, Any]:
    """Every experiment, newest first: id, name, project, status, variants, examples, scorers."""
    return {"experiments": [_item(record) for record in store.experiments()]}


def experiment_detail(
    store: Store,
    ref: str,
    baseline: str | None = None,
    offset: int = 0,
    limit: int = DEFAULT_EXAMPLES,
    all_baselines: bool = False,
) -> dict[str, Any]:
    """One experiment: variants x scorers (mean, 95 % interval), each variant against the baseline, a page of examples.

    ``all_baselines`` adds ``comparisons_by_baseline`` (every variant as the baseline): the
    report has no server to ask when its reader picks another baseline.
    """
    try:
        record = store.experiment(ref)
    except ExperimentNotFound as exc:
        raise NotFound(str(exc)) from None
    variants = list(record["variants"])
    if baseline is None:
        baseline = variants[0] if variants else None
    elif baseline not in variants:
        raise ApiError(f"experiment {record['name']!r} has no variant {baseline!r}")
    values = store.score_values(record["id"])
    per_variant = analysis.per_example(values, record["scorers"])
    scorers = list(dict.fromkeys([*record["scorers"], *(name for v in per_variant.values() for name in v)]))
    summary = {variant: analysis.summarize(per_variant.get(variant, {})) for variant in variants}

    def against(base: str | None) -> dict[str, Any]:
        return {
            variant: analysis.compare(per_variant.get(base or "", {}), per_variant.get(variant, {}))
            for variant in variants
            if variant != base
        }

    comparisons = against(baseline)
    grid = store.experiment_grid(record["id"])
    numbers: dict[str, dict[int, int]] = {}
    for example in grid[offset : offset + limit]:
        for run in example["runs"]:
            if run["session_id"] not in numbers:
                numbers[run["session_id"]] = store.trace_numbers(run["session_id"])
            run["number"] = numbers[run["session_id"]].get(run["seq"])
    params = numeric_params(record["variants"])
    extra = {"comparisons_by_baseline": {base: against(base) for base in variants}} if all_baselines else {}
    return {
        **extra,
        "experiment": _item(record),
        "params": record["variants"],
        "scorers": scorers,
        "baseline": baseline,
        "sessions": _sessions(store, record["id"]),
        "summary": summary,
        "comparisons": comparisons,
        "regressions": {variant: analysis.regressions(entry) for variant, entry in comparisons.items()},
        "charts": {
            param: {name: store.score_by_param(record["id"], name, param) for name in scorers} for param in params
        },
        "examples": grid[offset : offset + limit],
        "total_examples": len(grid),
        "offset": offset,
        "limit": limit,
    }


def numeric_params(variants: dict[str, Any]) -> list[str]:
    """The params that are numbers in two or more variants (what a score can be plotted against)."""
    seen: dict[str, int] = {}
    for params in variants.values():
        if isinstance(params, dict):
            for key, value in params.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    seen[key] = seen.get(key, 0) + 1
    return [key for key, count in seen.items() if count >= 2]


def _sessions(store: Store, experiment_id: str) -> list[dict[str, Any]]:
    rows = store.experiment_sessions(experiment_id)
    names = {row["id"]: row["name"] for row in store.session_rows([row["session_id"] for row in rows])}
    return [{**row, "name": names.get(row["session_id"])} for row in rows]


def _item(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": record["id"],
        "name": record["name"],
        "project": record["project"],
        "created_at": record["created_at"],
        "status": record["status"],
        "variants": list(record["variants"]),
        "examples": record["examples"],
        "repetitions": record["repetitions"],
        "scorers": record["scorers"],
    }
