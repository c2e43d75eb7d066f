"""``experiments``, ``compare`` and ``feedback``: prompt experiments, the paired comparison gate, human feedback.

``compare`` is the CI gate: ``--fail-on-regression`` exits 1 when any scorer is significantly
worse (p < 0.05, paired by example) in the candidate than in the baseline.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from chaintracer.cli.common import CommandError, add_store_argument
from chaintracer.store import ExperimentNotFound, Store

if TYPE_CHECKING:
    from chaintracer.experiments.analysis import PerExample

EXIT_REGRESSION = 1
ALPHA = 0.05


def add_commands(commands: Any) -> None:
    """Adds ``experiments``, ``compare`` and ``feedback``."""
    experiments = commands.add_parser(
        "experiments", help="list experiments, newest first", description="List the experiments of the store."
    )
    experiments.add_argument("--json", action="store_true", help="print them as JSON")
    experiments.add_argument("--project", help="only experiments of this project")
    add_store_argument(experiments)
    experiments.set_defaults(handler=_experiments)

    compare = commands.add_parser(
        "compare",
        help="compare two variants, paired by example (exit 1 on a regression with --fail-on-regression)",
        description="Compare two variants' scores, paired by example: deltas, 95%% intervals, permutation p-values.",
    )
    compare.add_argument("baseline", help="a variant session (id, id prefix or name), or EXPERIMENT:VARIANT")
    compare.add_argument("candidate", help="a variant session (id, id prefix or name), or EXPERIMENT:VARIANT")
    compare.add_argument("--json", action="store_true", help="print the comparison as JSON")
    compare.add_argument(
        "--fail-on-regression",
        action="store_true",
        help="exit 1 when any scorer is significantly worse (95 %%) in the candidate",
    )
    add_store_argument(compare)
    compare.set_defaults(handler=_compare)

    feedback = commands.add_parser(
        "feedback",
        help="attach human feedback (a named score) to a stored trace",
        description="Attach human feedback to a stored trace (it counts as a scorer in summaries and compare).",
    )
    feedback.add_argument("session", help="session id, a unique prefix of it, or a name (the latest with it)")
    feedback.add_argument("trace", help="trace number (as `chaintracer show` numbers them), id or unique id prefix")
    feedback.add_argument("--key", required=True, help="what the feedback scores (e.g. correct, helpful)")
    feedback.add_argument("--score", required=True, help="a number (or true/false)")
    feedback.add_argument("--comment", default=None, help="a note to keep with it")
    add_store_argument(feedback)
    feedback.set_defaults(handler=_feedback)


def _experiments(args: argparse.Namespace, store: Store) -> int:
    rows = [
        {
            "id": e["id"],
            "name": e["name"],
            "project": e["project"],
            "variants": list(e["variants"]),
            "params": e["variants"],
            "examples": e["examples"],
            "repetitions": e["repetitions"],
            "scorers": e["scorers"],
            "status": e["status"],
            "dataset_hash": e["dataset_hash"],
            "created": e["created_at"],
        }
        for e in store.experiments(project=args.project)
    ]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print(f"no experiments in {store.path}")
        return 0
    header = ("id", "name", "variants", "examples", "reps", "status", "created")
    table = [
        (
            r["id"][:8],
            r["name"],
            ", ".join(r["variants"]),
            str(r["examples"]),
            str(r["repetitions"]),
            r["status"],
            r["created"][:19].replace("T", " "),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(header)]
    for row in (header, *table):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def resolve_side(store: Store, ref: str) -> tuple[str, PerExample]:
    """A comparison side: ``EXPERIMENT:VARIANT`` (all its repetitions) or one variant session."""
    from chaintracer.experiments import analysis

    if ":" in ref:
        experiment_ref, variant = ref.rsplit(":", 1)
        try:
            experiment = store.experiment(experiment_ref)
        except ExperimentNotFound:
            experiment = None
        if experiment is not None:
            if variant not in experiment["variants"]:
                known = list(experiment["variants"])
                raise CommandError(f"experiment {experiment['name']!r} has no variant {variant!r}; it has {known}")
            rows = [row for row in store.score_values(experiment["id"]) if row["variant"] == variant]
            per_variant = analysis.per_example(rows, experiment["scorers"])
            return f"{experiment['name']}:{variant}", per_variant.get(variant, {})
    session = store.session(ref)
    if not store.example_runs(session["id"]):
        raise CommandError(f"session {session['name']!r} is not part of an experiment (no scored examples)")
    order = ((session["config"] or {}).get("experiment") or {}).get("name")
    scorers = store.experiment(store.example_runs(session["id"])[0]["experiment_id"])["scorers"] if order else None
    per_variant = analysis.per_example(store.score_values(session_id=session["id"]), scorers)
    merged: PerExample = {}
    for scores in per_variant.values():
        merged.update(scores)
    return session["name"], merged


def _compare(args: argparse.Namespace, store: Store) -> int:
    from chaintracer.experiments import analysis

    base_label, baseline = resolve_side(store, args.baseline)
    cand_label, candidate = resolve_side(store, args.candidate)
    comparison = analysis.compare(baseline, candidate)
    regressed = analysis.regressions(comparison, ALPHA)
    if args.json:
        print(json.dumps(comparison, indent=2))
    else:
        print(_comparison_table(base_label, cand_label, baseline, candidate, comparison, regressed))
    return EXIT_REGRESSION if args.fail_on_regression and regressed else 0


def _comparison_table(
    base_label: str,
    cand_label: str,
    baseline: PerExample,
    candidate: PerExample,
    comparison: dict[str, dict[str, Any]],
    regressed: list[str],
) -> str:
    from chaintracer.experiments import analysis

    base_summary, cand_summary = analysis.summarize(baseline), analysis.summarize(candidate)
    header = ("scorer", "baseline", "candidate", "delta [95% CI]", "p", "W/L/T", "")
    rows = []
    for name, entry in comparison.items():
        if entry["delta"] is None:
            delta = p_value = "-"
        else:
            delta = f"{entry['delta']:+.3g} [{entry['ci_low']:+.3g}, {entry['ci_high']:+.3g}]"
            p_value = f"{entry['p_value']:.3g}"
        verdict = (
            "worse"
            if name in regressed
            else "better"
            if entry["p_value"] is not None and entry["p_value"] < ALPHA and (entry["delta"] or 0) > 0
            else ""
        )
        rows.append(
            (
                name,
                _mean(base_summary.get(name)),
                _mean(cand_summary.get(name)),
                delta,
                p_value,
                f"{entry['wins']}/{entry['losses']}/{entry['ties']}",
                verdict,
            )
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = [f"baseline: {base_label}    candidate: {cand_label}    (paired by example; p: permutation test)"]
    for row in (header, *rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    if regressed:
        lines.append(f"significantly worse (p < {ALPHA}): {', '.join(regressed)}")
    return "\n".join(lines)


def _mean(entry: dict[str, Any] | None) -> str:
    return "-" if not entry or entry["mean"] is None else f"{entry['mean']:.3g} (n={entry['n']})"


def _feedback(args: argparse.Namespace, store: Store) -> int:
    from chaintracer.experiments.feedback import check_feedback, parse_score

    session = store.session(args.session)
    number, root = store.find_trace(session["id"], args.trace)
    try:
        key, score, comment = check_feedback(args.key, parse_score(args.score), args.comment)
    except (TypeError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    entry = store.add_feedback(root["trace_id"], key, score, comment)
    where = f"trace {number} ({root['trace_id']}) of session {session['name']!r}"
    print(f"feedback {key}={score:g} on {where} ({entry['at']})")
    return 0
