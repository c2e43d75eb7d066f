"""Human feedback: the checks shared by ``Tracer.log_feedback`` and ``chaintracer feedback``."""

from __future__ import annotations

import math
import numbers
from typing import Any


def check_feedback(key: Any, score: Any, comment: Any) -> tuple[str, float, str | None]:
    """``(key, score as a float, comment)``, or TypeError/ValueError naming the bad value."""
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"feedback key must be a non-empty string, not {key!r}")
    if isinstance(score, bool):
        number = float(score)
    elif isinstance(score, numbers.Real):
        number = float(score)
        if not math.isfinite(number):
            raise ValueError(f"feedback score must be a finite number, not {score!r}")
    else:
        raise TypeError(f"feedback score must be a number or a bool, not {type(score).__name__}: {score!r:.60}")
    if comment is not None and not isinstance(comment, str):
        raise TypeError(f"feedback comment must be a string or None, not {type(comment).__name__}")
    return key, number, comment


def parse_score(text: str) -> float:
    """A score typed on the command line: a number, or true/false/yes/no."""
    lowered = text.strip().lower()
    if lowered in ("true", "yes"):
        return 1.0
    if lowered in ("false", "no"):
        return 0.0
    try:
        number = float(lowered)
    except ValueError:
        raise ValueError(f"--score must be a number (or true/false), not {text!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"--score must be a finite number, not {text!r}")
    return number
