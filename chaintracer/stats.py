"""Counts of a trace or a session: spans by kind and outcome, model and tool calls, tokens, cost, metrics.

One ``TraceStats`` is filled per trace when it is encoded; a session merges its traces' stats.
The session summary (``as_summary``) keeps the key names of the export contract and of the old
W&B handler's counters (``<family>_starts`` / ``<family>_ends`` for every family in
``chaintracer.kinds``), plus ``cost``::

    {"total": USD | None, "currency": "USD", "unknown_models": [...], "unpriced_calls": n,
     "by_model": {model: {"calls": n, "tokens": {"prompt", "completion", "total"}, "cost": USD | None}}}

A cost is None (unknown) as soon as one model call in it could not be priced (a model without
a price, or a call that reported no token counts): never a 0 that is not one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chaintracer.kinds import FAMILIES, family


@dataclass(slots=True)
class TraceStats:
    """Counts over the spans of one trace (or, merged, of a whole session)."""

    spans: int = 0
    ends: int = 0  # spans that ended ok
    errors: int = 0  # spans that ended with an error
    incomplete: int = 0  # spans that never ended (closed at flush)
    llm_calls: int = 0
    tool_calls: int = 0
    text: int = 0  # text events (LangChain's on_text)
    llm_streams: int = 0  # streamed chunks of model calls
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    # family -> [starts, ends]; only the families present (most traces have two or three).
    families: dict[str, list[int]] = field(default_factory=dict)
    # metric name -> [sum, count] over model spans, for the session's means.
    metric_sums: dict[str, list[float]] = field(default_factory=dict)
    cost: float = 0.0  # USD of the model calls that could be priced
    unpriced_calls: int = 0  # model calls whose cost is unknown
    # model -> [calls, prompt, completion, total tokens, USD, unpriced calls]
    models: dict[str, list[float]] = field(default_factory=dict)
    unknown_models: set[str] = field(default_factory=set)  # models without a price

    def count_span(self, kind: str, status: str) -> str:
        """Counts one span of ``kind`` that ended with ``status``; returns its family."""
        name = family(kind)
        counts = self.families.get(name)
        if counts is None:
            counts = self.families[name] = [0, 0]
        counts[0] += 1
        self.spans += 1
        if status == "ok":
            self.ends += 1
            counts[1] += 1
        elif status == "error":
            self.errors += 1
        else:
            self.incomplete += 1
        if name == "llm":
            self.llm_calls += 1
        elif name == "tool":
            self.tool_calls += 1
        return name

    def add_tokens(self, tokens: dict[str, Any]) -> None:
        """Adds a model call's ``{"prompt", "completion", "total"}`` token counts (ints only)."""
        prompt, completion, total = tokens.get("prompt"), tokens.get("completion"), tokens.get("total")
        if type(prompt) is int:
            self.prompt_tokens += prompt
        if type(completion) is int:
            self.completion_tokens += completion
        if type(total) is int:
            self.total_tokens += total

    def add_model_call(
        self, model: str, tokens: dict[str, Any], cost: float | None, unknown_price: bool = False
    ) -> None:
        """Counts one model call of ``model``: its tokens and its cost in USD (None: unknown)."""
        entry = self.models.get(model)
        if entry is None:
            entry = self.models[model] = [0, 0, 0, 0, 0.0, 0]
        entry[0] += 1
        for position, key in ((1, "prompt"), (2, "completion"), (3, "total")):
            value = tokens.get(key)
            if type(value) is int:
                entry[position] += value
        if cost is None:
            entry[5] += 1
            self.unpriced_calls += 1
        else:
            entry[4] += cost
            self.cost += cost
        if unknown_price:
            self.unknown_models.add(model)

    @property
    def known_cost(self) -> float | None:
        """The USD of these calls, or None when one of them could not be priced."""
        return None if self.unpriced_calls else round(self.cost, 10)

    def add_metric(self, name: str, value: float) -> None:
        running = self.metric_sums.get(name)
        if running is None:
            self.metric_sums[name] = [value, 1]
        else:
            running[0] += value
            running[1] += 1

    def merge(self, other: TraceStats) -> None:
        """Adds ``other``'s counts into these."""
        self.spans += other.spans
        self.ends += other.ends
        self.errors += other.errors
        self.incomplete += other.incomplete
        self.llm_calls += other.llm_calls
        self.tool_calls += other.tool_calls
        self.text += other.text
        self.llm_streams += other.llm_streams
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.total_tokens += other.total_tokens
        for name, (starts, ends) in other.families.items():
            counts = self.families.get(name)
            if counts is None:
                self.families[name] = [starts, ends]
            else:
                counts[0] += starts
                counts[1] += ends
        for name, (amount, count) in other.metric_sums.items():
            running = self.metric_sums.get(name)
            if running is None:
                self.metric_sums[name] = [amount, count]
            else:
                running[0] += amount
                running[1] += count
        self.cost += other.cost
        self.unpriced_calls += other.unpriced_calls
        for model, counts in other.models.items():
            entry = self.models.get(model)
            if entry is None:
                self.models[model] = list(counts)
            else:
                for position, value in enumerate(counts):
                    entry[position] += value
        self.unknown_models |= other.unknown_models

    def cost_summary(self) -> dict[str, Any]:
        """The ``cost`` of the session summary (see the module docstring)."""
        by_model = {
            model: {
                "calls": int(calls),
                "tokens": {"prompt": int(prompt), "completion": int(completion), "total": int(total)},
                "cost": None if unpriced else round(usd, 10),
            }
            for model, (calls, prompt, completion, total, usd, unpriced) in sorted(self.models.items())
        }
        return {
            "total": self.known_cost,
            "currency": "USD",
            "unknown_models": sorted(self.unknown_models),
            "unpriced_calls": self.unpriced_calls,
            "by_model": by_model,
        }

    @property
    def tokens(self) -> dict[str, int]:
        return {"prompt": self.prompt_tokens, "completion": self.completion_tokens, "total": self.total_tokens}

    def as_summary(self) -> dict[str, Any]:
        """The counts as the session summary's keys (every family listed, zeros included)."""
        summary: dict[str, Any] = {
            "spans": self.spans,
            "llm_calls": self.llm_calls,
            "tool_calls": self.tool_calls,
            "starts": self.spans,
            "ends": self.ends,
            "errors": self.errors,
            "incomplete": self.incomplete,
            "text": self.text,
            "llm_streams": self.llm_streams,
        }
        for name in FAMILIES:
            starts, ends = self.families.get(name, (0, 0))
            summary[f"{name}_starts"] = starts
            summary[f"{name}_ends"] = ends
        summary["tokens"] = self.tokens
        summary["cost"] = self.cost_summary()
        if self.metric_sums:
            summary["metrics"] = {
                name: round(total / count, 4) for name, (total, count) in sorted(self.metric_sums.items())
            }
        return summary
