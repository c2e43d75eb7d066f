"""Scorers: binding a function to the example by its parameter names, and what it returns.

A scorer's parameters are named from ``output``, ``expected``, ``inputs`` and ``trace`` (the
example's root span as in the JSON export); it returns a bool, a number, a dict of named
numbers, or a ``Score`` (a number with its reasoning). A scorer that raises, or returns
anything else, fails for that example: the score is stored as ``{"value": None, "error": ...}``
and the experiment goes on.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PARAMETERS = ("output", "expected", "inputs", "trace")


@dataclass(frozen=True)
class Score:
    """A score with the reasoning behind it (what ``llm_judge`` returns; scorers may too)."""

    value: float | bool
    reasoning: str | None = None


class BoundScorer:
    """A user's scorer, checked once: its name and the arguments it takes."""

    def __init__(self, function: Callable[..., Any]) -> None:
        if not callable(function):
            raise TypeError(f"a scorer must be a function, not {type(function).__name__}: {function!r:.80}")
        self.function = function
        self.name = scorer_name(function)
        self.wants = _wanted_parameters(function, self.name)
        check = getattr(function, "check_installed", None)
        if check is not None:  # a built-in scorer whose package is missing fails here, before any run
            check()

    @property
    def needs_trace(self) -> bool:
        return "trace" in self.wants

    def __call__(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """``{name: stored score}`` for one example; never raises (failures are scores too)."""
        try:
            result = self.function(**{name: arguments[name] for name in self.wants})
            return normalise(self.name, result)
        except Exception as exc:  # the user's scorer failed: that score fails, the experiment goes on
            return {self.name: failed(exc)}


def scorer_name(function: Callable[..., Any]) -> str:
    """The score's name: the function's ``__name__`` (a lambda has none worth using)."""
    name = getattr(function, "__name__", None) or getattr(getattr(function, "func", None), "__name__", None)
    if name is None:
        name = type(function).__name__
    if not isinstance(name, str) or not name or name == "<lambda>":
        raise ValueError(
            f"scorer {function!r:.80} has no usable name; define it with def, or set its __name__ "
            "(its name names the score)"
        )
    return name


def _wanted_parameters(function: Callable[..., Any], name: str) -> tuple[str, ...]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        raise TypeError(f"scorer {name!r}: cannot read its parameters") from None
    wanted = []
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            return PARAMETERS
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        if parameter.name in PARAMETERS:
            if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
                raise TypeError(f"scorer {name!r}: parameter {parameter.name!r} must not be positional-only")
            wanted.append(parameter.name)
        elif parameter.default is inspect.Parameter.empty:
            raise TypeError(
                f"scorer {name!r} has a parameter {parameter.name!r}; a scorer's parameters are named from "
                f"{', '.join(PARAMETERS)} (others need a default)"
            )
    if not wanted:
        raise TypeError(f"scorer {name!r} takes none of {', '.join(PARAMETERS)}: what would it score?")
    return tuple(wanted)


def normalise(name: str, result: Any) -> dict[str, Any]:
    """The stored form of a scorer's result: ``{score name: bool | number | {"value", ...}}``."""
    if isinstance(result, Score):
        return {name: {"value": _number(name, result.value), "reasoning": result.reasoning}}
    if isinstance(result, dict):
        if not result:
            raise ValueError(f"scorer {name!r} returned an empty dict")
        for key in result:
            if not isinstance(key, str) or not key:
                raise ValueError(f"scorer {name!r} returned a dict with the key {key!r}; keys name scores")
        return {key: _number(key, value) for key, value in result.items()}
    return {name: _number(name, result)}


def _number(name: str, value: Any) -> float | bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"score {name!r} is {number}, not a finite number")
        return int(value) if isinstance(value, numbers.Integral) else number  # type: ignore[return-value]
    raise TypeError(
        f"score {name!r} is {type(value).__name__} {value!r:.60}; a scorer returns a bool, a number, "
        "a dict of named numbers or a Score"
    )


def failed(exc: BaseException) -> dict[str, Any]:
    """The stored form of a score whose scorer raised."""
    return {"value": None, "error": f"{type(exc).__name__}: {exc}"[:2000]}


def score_example(scorers: list[BoundScorer], arguments: dict[str, Any]) -> dict[str, Any]:
    """Every scorer's scores of one example; a name two scorers give is an error for that name."""
    scores: dict[str, Any] = {}
    for scorer in scorers:
        for key, value in scorer(arguments).items():
            if key in scores:
                scores[key] = failed(ValueError(f"two scorers produced a score named {key!r}"))
            else:
                scores[key] = value
    return scores
