"""Token counts are read from every usage shape providers report, as dicts or SDK objects."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from chaintracer.usage import usage_counts


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}, (10, 5, 15)),  # OpenAI
        ({"input_tokens": 7, "output_tokens": 3}, (7, 3, 10)),  # Anthropic: no total, summed
        ({"prompt_token_count": 4, "candidates_token_count": 6, "total_token_count": 11}, (4, 6, 11)),  # Gemini
        (SimpleNamespace(prompt_tokens=2, completion_tokens=1, total_tokens=3), (2, 1, 3)),  # an SDK object
        ({"total_tokens": 9}, (0, 0, 9)),
    ],
)
def test_provider_usage_shapes(usage, expected):
    """Each provider's key names give the same prompt/completion/total counts."""
    counts = usage_counts(usage)
    assert (counts["prompt"], counts["completion"], counts["total"]) == expected


def test_no_counts_means_no_usage():
    """A usage object without numbers (or with booleans) reports nothing rather than zeros."""
    assert usage_counts({}) is None
    assert usage_counts({"prompt_tokens": True, "model": "x"}) is None
