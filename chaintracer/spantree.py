"""Reading exported spans (the JSON export's SPAN dicts): walk a tree, durations, short texts.

Used by the CLI, the exporters, the test kit and the viewer's Python side, so that there is
one walk and one way to shorten a payload for a table cell.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any


def walk(span: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every span of an exported tree, depth first, children in start order (no recursion)."""
    stack = [span]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.get("children") or ()))


def find(span: dict[str, Any], **match: Any) -> list[dict[str, Any]]:
    """The spans of a tree whose fields equal ``match`` (e.g. ``kind="tool"``)."""
    return [node for node in walk(span) if all(node.get(key) == value for key, value in match.items())]


def duration_ms(span: dict[str, Any]) -> float | None:
    """A span's duration in milliseconds (microsecond precision), from its ISO times."""
    try:
        start = datetime.fromisoformat(span["start_time"])
        end = datetime.fromisoformat(span["end_time"])
    except (KeyError, TypeError, ValueError):
        return None
    return round((end - start).total_seconds() * 1000, 3)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def one_line(text: str, limit: int) -> str:
    """``text`` with its whitespace runs collapsed to single spaces, clipped."""
    return clip(" ".join(str(text).split()), limit)


def as_text(value: Any) -> str:
    """A JSON value as text: strings as they are, anything else as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
