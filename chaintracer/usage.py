"""Token counts from the usage shapes providers report (OpenAI, Anthropic, Gemini...).

Framework-neutral: adapters find the usage object in their framework's response and hand it
here. Works on mappings and on objects with attributes (SDK response types).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_PROMPT_KEYS = ("prompt_tokens", "input_tokens", "prompt_token_count")
_COMPLETION_KEYS = ("completion_tokens", "output_tokens", "candidates_token_count")
_TOTAL_KEYS = ("total_tokens", "total_token_count")


def usage_counts(usage: Any) -> dict[str, int] | None:
    """``{"prompt", "completion", "total"}`` from a usage object, or None if it holds no counts."""
    prompt = _first_int(usage, _PROMPT_KEYS)
    completion = _first_int(usage, _COMPLETION_KEYS)
    total = _first_int(usage, _TOTAL_KEYS)
    if prompt is None and completion is None and total is None:
        return None
    prompt, completion = prompt or 0, completion or 0
    return {"prompt": prompt, "completion": completion, "total": total if total is not None else prompt + completion}


def _first_int(usage: Any, keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = usage.get(key) if isinstance(usage, Mapping) else getattr(usage, key, None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value)
    return None
