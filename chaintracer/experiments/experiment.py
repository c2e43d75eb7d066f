"""``Experiment``: what ``evaluate`` returns, read back from the store on every call.

Reading from the store (not from memory) means feedback given later, from the API or the CLI,
shows up in ``summary()`` and ``compare()`` as one more scorer.
"""

from __future__ import annotations

import html
from typing import Any

from chaintracer.experiments import analysis
from chaintracer.session import SessionInfo
from chaintracer.store import Store


class Experiment:
    """An experiment: its sessions (one per variant x repetition), summary and comparisons."""

    def __init__(self, store: Store, experiment_id: str, sessions: list[SessionInfo] | None = None) -> None:
        self.store = store
        record = store.experiment(experiment_id)
        self.id: str = record["id"]
        self.name: str = record["name"]
        self.project: str = record["project"]
        self.variants: list[str] = list(record["variants"])
        self.params: dict[str, Any] = record["variants"]
        self.scorers: list[str] = record["scorers"]
        self._sessions = sessions

    def __repr__(self) -> str:
        return f"Experiment(id={self.id[:8]!r}, name={self.name!r}, variants={self.variants!r})"

    @property
    def status(self) -> str:
        """``running``, ``done`` or ``interrupted``."""
        return self.store.experiment(self.id)["status"]

    @property
    def sessions(self) -> list[SessionInfo]:
        """The sessions of the experiment, one per variant x repetition, in variant order."""
        if self._sessions is None:
            rows = self.store.experiment_sessions(self.id)
            order = {variant: position for position, variant in enumerate(self.variants)}
            rows.sort(key=lambda row: (order.get(row["variant"], len(order)), row["repetition"]))
            self._sessions = [self.session_info(self.store, row["session_id"]) for row in rows]
        return list(self._sessions)

    def summary(self) -> dict[str, dict[str, dict[str, Any]]]:
        """``{variant: {scorer: {"mean", "ci_low", "ci_high", "n"}}}`` with 95 % bootstrap intervals."""
        per_variant = self._per_example()
        return {variant: analysis.summarize(per_variant.get(variant, {})) for variant in self.variants}

    def compare(self, baseline: str, candidate: str) -> dict[str, dict[str, Any]]:
        """``{scorer: {"delta", "ci_low", "ci_high", "p_value", "wins", "losses", "ties"}}``, candidate - baseline.

        Paired by example (scores averaged over repetitions); see ``chaintracer.experiments.stats``.
        """
        for variant in (baseline, candidate):
            if variant not in self.variants:
                raise ValueError(f"experiment {self.name!r} has no variant {variant!r}; it has {self.variants}")
        per_variant = self._per_example()
        return analysis.compare(per_variant.get(baseline, {}), per_variant.get(candidate, {}))

    def examples(self) -> list[dict[str, Any]]:
        """Per example: every variant and repetition's output preview, status, latency, tokens, scores."""
        return self.store.experiment_grid(self.id)

    def _per_example(self) -> dict[str, analysis.PerExample]:
        return analysis.per_example(self.store.score_values(self.id), self.scorers)

    @staticmethod
    def session_info(store: Store, session_id: str, exports: dict[str, Any] | None = None) -> SessionInfo:
        """The ``SessionInfo`` of a stored session, its summary with the score means."""
        session = store.session(session_id)
        means = store.annotations(session_id)["means"]
        summary = {**session["summary"], "scores": means} if means else session["summary"]
        return SessionInfo(
            session["id"],
            session["name"],
            session["project"],
            str(store.path),
            summary,
            exports if exports is not None else session.get("exports") or {},
        )

    def _repr_html_(self) -> str:
        """The summary as a table, inline in Jupyter."""
        summary = self.summary()
        names = list(dict.fromkeys(name for scores in summary.values() for name in scores))
        head = "".join(f"<th>{html.escape(name)}</th>" for name in names)
        rows = []
        for variant, scores in summary.items():
            cells = "".join(f"<td>{_cell(scores.get(name))}</td>" for name in names)
            rows.append(f"<tr><th>{html.escape(variant)}</th>{cells}</tr>")
        return (
            f"<div><b>{html.escape(self.name)}</b> <code>{self.id[:8]}</code>"
            f"<table><tr><th>variant</th>{head}</tr>{''.join(rows)}</table>"
            "<small>mean [95% bootstrap interval] (n examples)</small></div>"
        )


def _cell(entry: dict[str, Any] | None) -> str:
    if not entry or entry["mean"] is None:
        return "&ndash;"
    return f"{entry['mean']:.3g} [{entry['ci_low']:.3g}, {entry['ci_high']:.3g}] ({entry['n']})"


def load_experiment(ref: str, store: str | None = None) -> Experiment:
    """An experiment stored earlier, by id or name (the latest with that name)."""
    from chaintracer.settings import resolve

    return Experiment(Store(resolve(store=store).store, create=False), ref)
