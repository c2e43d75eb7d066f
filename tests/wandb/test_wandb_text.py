"""Plain text of odd payloads: the table cells never fail and never lose the text they can find."""

from __future__ import annotations

import pytest

from chaintracer.exporters.wandb_text import CELL_CHARS, answer_text, output_text, prompt_text

ODD_PAYLOADS = [
    None,
    "",
    0,
    3.5,
    True,
    [],
    {},
    [None, 1, "a"],
    [[{"role": "human", "content": None}]],
    {"messages": [{"role": "ai", "content": [{"type": "image"}, 7, "text block"], "tool_calls": 5}]},
    {"role": "ai", "content": "", "tool_calls": 5},
    {"generations": "not a list"},
    {"generations": [["x", None, {"message": "not a message"}]]},
    {"message": {"role": "assistant", "content": {"nested": True}}},
    {"_type": "StopEvent"},
    {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": "deep"}}}}}}}},
    [[[[["nested lists"]]]]],
]


@pytest.mark.parametrize("payload", ODD_PAYLOADS)
def test_odd_payloads_give_text_not_errors(payload):
    """Any JSON shape a span may hold becomes a string cell, without raising."""
    for extract in (prompt_text, output_text, answer_text):
        assert isinstance(extract(payload), str)


def test_text_is_found_where_it_hides():
    """Content blocks, tool-call-only replies and single-key wrappers read as their text."""
    blocks = {"role": "ai", "content": [{"type": "text", "text": "Hello"}, {"type": "image"}]}
    assert answer_text(blocks) == "Hello"
    calls = {"role": "ai", "content": "", "tool_calls": [{"name": "add", "args": {"a": 1}}, "junk"]}
    assert answer_text(calls) == 'add({"a": 1})'
    assert answer_text({"_type": "Event", "payload": {"answer": "42"}}) == "42"
    assert prompt_text({"prompt": "Complete this"}) == "Complete this"
    assert output_text({"text": "done"}) == "done"


def test_long_text_is_cut_with_a_mark():
    """A cell longer than CELL_CHARS is cut and ends with an ellipsis; the trace keeps it whole."""
    cell = answer_text("x" * (CELL_CHARS + 5))
    assert len(cell) == CELL_CHARS and cell.endswith("…")
