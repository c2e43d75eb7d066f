"""Counts of a trace or a session: spans by kind and outcome, model and tool calls, tokens, metrics.

One ``TraceStats`` is filled per trace when it is encoded; a session merges its traces' stats.
The session summary (``as_summary``) keeps the key names of the export contract and of the old
W&B handler's counters (``<family>_starts`` / ``<family>_ends`` for every family in
``chaintracer.kinds``).
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
        if self.metric_sums:
            summary["metrics"] = {
                name: round(total / count, 4) for name, (total, count) in sorted(self.metric_sums.items())
            }
        return summary
