"""What model calls cost: a price table per model, matched to the names providers report.

The table ships as data (``prices.json``: USD per 1M input and output tokens, with its date and
source) and is extended or overridden by the user: a JSON file named by ``CHAINTRACER_PRICES``,
then ``Tracer(prices={...})``, each entry winning over the ones before. A model name is looked
up exactly, then without its provider prefix (``openai/``, ``models/``, ``anthropic.``) and its
snapshot suffixes (``-2024-07-18``, ``-20241022``, ``-latest``, ``-001``, ``@20240620``,
``-v1:0``), so ``gpt-4o-mini-2024-07-18`` costs what ``gpt-4o-mini`` costs.

A model span's cost is computed when its trace is encoded (in the worker) from the tokens it
reported: ``attributes.cost = {"input", "output", "total", "currency", "model"}`` in USD, where
``model`` is the table entry used. A call whose model has no price, or that succeeded without
reporting token counts, costs ``None`` (unknown), never 0; a failed call that reported nothing
costs nothing.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeGuard

from chaintracer.kinds import MODEL_KINDS
from chaintracer.spantree import walk
from chaintracer.stats import TraceStats

CURRENCY = "USD"
PRICES_ENV = "CHAINTRACER_PRICES"
_PER_TOKENS = 1_000_000
# Provider prefixes: "openai/gpt-4o", "models/gemini-1.5-pro", Bedrock's "us.anthropic.claude-...".
_PREFIX = re.compile(r"^(?:.*/)?(?:[a-z]{2}\.)?(?:anthropic|meta|mistral|amazon|cohere|ai21|deepseek)\.|^.*/")
# Snapshot suffixes, stripped one at a time from the end.
_SUFFIXES = (
    re.compile(r"-v\d+(?::\d+)?$"),  # Bedrock: -v1:0
    re.compile(r"@(?:\d{8}|latest|\d{3})$"),  # Vertex: @20240620
    re.compile(r"-\d{4}-\d{2}-\d{2}$"),  # OpenAI: -2024-07-18
    re.compile(r"-\d{8}$"),  # Anthropic: -20241022
    re.compile(r"-(?:\d{4}|\d{3})$"),  # OpenAI -0125, Mistral -2411, Gemini -001
    re.compile(r"-latest$"),
)


@dataclass(frozen=True)
class Price:
    """USD per 1M input and output tokens."""

    input: float
    output: float


class PriceTable:
    """Model name -> ``Price``, with the matching of provider names described in the module docstring."""

    def __init__(self, prices: Mapping[str, Price]) -> None:
        self._prices = {name.lower(): price for name, price in prices.items()}
        self._matches: dict[str, tuple[str, Price] | None] = {}

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> PriceTable:
        """The shipped table, extended by ``$CHAINTRACER_PRICES``' file, then by ``overrides``."""
        env = os.environ if env is None else env
        prices = dict(shipped())
        if env.get(PRICES_ENV):
            prices.update(read_file(env[PRICES_ENV]))
        if overrides:
            prices.update(parse(overrides, "prices"))
        return cls(prices)

    def match(self, model: str) -> tuple[str, Price] | None:
        """``(table entry, price)`` for a model name as a provider reports it; None when it has no price."""
        if model not in self._matches:
            if len(self._matches) > 10_000:  # names are few; a flood of distinct ones must not grow forever
                self._matches.clear()
            self._matches[model] = self._find(model)
        return self._matches[model]

    def _find(self, model: str) -> tuple[str, Price] | None:
        name = model.strip().lower()
        for candidate in _candidates(name):
            price = self._prices.get(candidate)
            if price is not None:
                return candidate, price
        return None

    def cost(self, models: list[str], tokens: Any) -> dict[str, Any] | None:
        """The cost of a call from its token counts, priced as the first of ``models`` with a price; else None."""
        if not isinstance(tokens, dict):
            return None
        prompt, completion = tokens.get("prompt"), tokens.get("completion")
        if not (_count(prompt) and _count(completion)):
            return None
        for model in models:
            found = self.match(model)
            if found is not None:
                entry, price = found
                input_cost = prompt * price.input / _PER_TOKENS
                output_cost = completion * price.output / _PER_TOKENS
                return {
                    "input": _round(input_cost),
                    "output": _round(output_cost),
                    "total": _round(input_cost + output_cost),
                    "currency": CURRENCY,
                    "model": entry,
                }
        return None


def _candidates(name: str) -> list[str]:
    """The names to look up for a reported model name, most exact first."""
    found = [name]
    base = _PREFIX.sub("", name)
    if base != name:
        found.append(base)
    stripped = True
    while stripped:
        stripped = False
        for suffix in _SUFFIXES:
            shorter = suffix.sub("", base)
            if shorter != base and shorter:
                base, stripped = shorter, True
                found.append(base)
    return found


def price_tree(tree: dict[str, Any], prices: PriceTable, stats: TraceStats) -> None:
    """Adds ``attributes.cost`` to every model span of an encoded tree and the costs to ``stats``."""
    for span in walk(tree):
        if span.get("kind") not in MODEL_KINDS:
            continue
        attributes = span.get("attributes")
        if not isinstance(attributes, dict):
            continue
        names = [str(name) for name in (attributes.get("response_model"), attributes.get("model")) if name]
        attributes["cost"] = prices.cost(names, attributes.get("tokens"))
        count_cost(span, stats)


def count_cost(span: dict[str, Any], stats: TraceStats) -> None:
    """Adds an exported model span's model, tokens and ``attributes.cost`` to ``stats``."""
    attributes = span.get("attributes") or {}
    tokens = attributes.get("tokens")
    tokens = tokens if isinstance(tokens, dict) else {}
    cost = attributes.get("cost")
    amount = cost.get("total") if isinstance(cost, dict) else None
    reported = _count(tokens.get("prompt")) and _count(tokens.get("completion"))
    if amount is None and not reported and span.get("status") == "error":
        amount = 0.0  # a failed call that reported no usage was not billed for any
    stats.add_model_call(str(attributes.get("model") or ""), tokens, amount, unknown_price=reported and amount is None)


def shipped() -> dict[str, Price]:
    """The table that ships with chaintracer (``prices.json``)."""
    text = resources.files("chaintracer").joinpath("prices.json").read_text(encoding="utf-8")
    return parse(json.loads(text)["models"], "chaintracer/prices.json")


def read_file(path: str) -> dict[str, Price]:
    """Prices from a JSON file: ``{"models": {name: {"input", "output"}}}`` or the mapping itself."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{PRICES_ENV}={path!r} is not a readable JSON file of prices: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("models"), dict):
        data = data["models"]
    return parse(data, f"{PRICES_ENV} file {path}")


def parse(data: Any, source: str) -> dict[str, Price]:
    """``{name: {"input": USD per 1M, "output": USD per 1M}}`` checked; ``ValueError`` names a bad entry."""
    if not isinstance(data, Mapping):
        raise TypeError(f"{source} must map model names to {{'input': ..., 'output': ...}}, not {data!r}")
    prices = {}
    for name, entry in data.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{source}: a model name must be a non-empty string, not {name!r}")
        if not isinstance(entry, Mapping):
            raise ValueError(f"{source}: {name!r} must be {{'input': ..., 'output': ...}}, not {entry!r}")
        values = []
        for key in ("input", "output"):
            value = entry.get(key)
            if not _number(value) or value < 0:
                raise ValueError(
                    f"{source}: {name!r} needs {key!r} as USD per 1M tokens (a number >= 0), not {value!r}"
                )
            values.append(float(value))
        prices[name.strip().lower()] = Price(*values)
    return prices


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _count(value: Any) -> TypeGuard[int]:
    return type(value) is int and value >= 0


def _round(amount: float) -> float:
    return round(amount, 10)  # sub-micro-dollar float noise off; what a bill shows is far coarser
