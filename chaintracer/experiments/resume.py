"""Resuming an experiment: what an earlier run of it already scored, and merging its sessions.

``resume=True`` continues the last experiment with the same name, if it ran the same dataset,
variants, repetitions and scorers (otherwise resuming would mix two experiments: ValueError).
An example counts as done when it is scored. A variant x repetition left half done is
finished in a new session, which then absorbs the earlier session's scored examples, so the
experiment still has one session per variant x repetition, its summary recounted over all
its traces.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chaintracer.kinds import MODEL_KINDS
from chaintracer.prices import count_cost
from chaintracer.session import session_summary
from chaintracer.spantree import duration_ms, walk
from chaintracer.stats import TraceStats
from chaintracer.store import ExperimentNotFound, Store

if TYPE_CHECKING:
    from chaintracer.experiments.runner import Plan

# Counters of the tracer itself, carried over (summed) into a merged session's summary.
COUNTERS = ("tracer_errors", "queue_overflow", "stream_overflow", "spill_failures")


@dataclass
class Done:
    """The experiment's id and, per (variant, repetition), its sessions and scored example indices."""

    experiment_id: str
    runs: dict[tuple[str, int], list[tuple[str, set[int]]]] = field(default_factory=dict)

    def sessions(self, variant: str, repetition: int) -> list[str]:
        return [session_id for session_id, _ in self.runs.get((variant, repetition), ())]

    def indices(self, variant: str, repetition: int) -> set[int]:
        done: set[int] = set()
        for _, indices in self.runs.get((variant, repetition), ()):
            done |= indices
        return done


def prior_runs(database: Store, plan: Plan) -> Done | None:
    """What the last experiment named ``plan.name`` scored; None if there is none."""
    try:
        previous = database.experiment(plan.name)
    except ExperimentNotFound:
        return None
    differences = []
    if previous["dataset_hash"] != plan.dataset_hash:
        differences.append(f"the dataset changed (hash {previous['dataset_hash']} -> {plan.dataset_hash})")
    if _canonical(previous["variants"]) != _canonical(plan.params):
        differences.append(f"the variants changed ({previous['variants']} -> {plan.params})")
    if previous["repetitions"] != plan.repetitions:
        differences.append(f"repetitions changed ({previous['repetitions']} -> {plan.repetitions})")
    scorers = [scorer.name for scorer in plan.scorers]
    if previous["scorers"] != scorers:
        differences.append(f"the scorers changed ({previous['scorers']} -> {scorers})")
    if differences:
        raise ValueError(
            f"cannot resume experiment {plan.name!r} ({previous['id'][:8]}): "
            + "; ".join(differences)
            + ". Give the experiment a new name, or run it without resume=True."
        )
    done = Done(previous["id"])
    for row in database.experiment_sessions(previous["id"]):
        indices = {run["index"] for run in database.example_runs(row["session_id"])}
        done.runs.setdefault((row["variant"], row["repetition"]), []).append((row["session_id"], indices))
    return done


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def recount_summary(database: Store, session_id: str, priors: list[str]) -> dict[str, Any]:
    """The summary of ``session_id`` once it holds the scored traces of ``priors`` too."""
    trees = database.trees(session_id)
    summaries = [database.session(session_id)["summary"]]
    for prior in priors:
        scored = {run["trace_id"] for run in database.example_runs(prior)}
        trees += [tree for tree in database.trees(prior) if tree["trace_id"] in scored]
        summaries.append(database.session(prior)["summary"])
    return summary_of_trees(trees, {key: sum(s.get(key) or 0 for s in summaries) for key in COUNTERS})


def summary_of_trees(trees: list[dict[str, Any]], counters: dict[str, int]) -> dict[str, Any]:
    """A session summary (as ``Session.summary`` makes it) counted over exported trees."""
    stats = TraceStats()
    latencies = []
    for root in trees:
        latencies.append(duration_ms(root) or 0.0)
        for span in walk(root):
            stats.count_span(span["kind"], span["status"])
            attributes = span.get("attributes") or {}
            if span["kind"] in MODEL_KINDS:
                stats.llm_streams += int(attributes.get("chunks") or 0)
                tokens = attributes.get("tokens")
                if isinstance(tokens, dict):
                    stats.add_tokens(tokens)
                count_cost(span, stats)  # as priced when the trace was encoded
            stats.text += sum(
                1 for e in attributes.get("events") or () if isinstance(e, dict) and e.get("name") == "text"
            )
            for name, value in (span.get("metrics") or {}).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    stats.add_metric(name, value)
    latencies.sort()
    return session_summary(stats, latencies, sum(1 for root in trees if root["status"] == "error"), counters)
