"""Plain text of exported payloads, for W&B table cells: prompts, generations, questions, answers.

The trace keeps every payload as captured (JSON); a table cell shows what a person reads: the
prompt as the model saw it, the generated text, the user's question and the final answer.
Shapes read here are those the adapters export: LangChain prompts (``[str]``), chat messages
(``[[{role, content}]]``), ``{"generations": [[{text | message}]]}``; LlamaIndex
``{"messages": [...]}``, ``{"message": {...}}``, ``{"prompt": str}``, ``{"text": str}``,
``{"response": ...}``; workflow events. What has no text becomes compact JSON. The readers are
``chaintracer.previews``' (the store's previews, the CLI and the viewer read the same text);
this module cuts them to a cell and writes prompts as W&B's old handler did.
"""

from __future__ import annotations

from typing import Any

from chaintracer import previews
from chaintracer.previews import message_list, message_text
from chaintracer.spantree import as_text, clip

CELL_CHARS = 10_000  # a cell longer than this is cut (the trace keeps the whole payload)


def messages_text(messages: list[Any]) -> str:
    """A conversation as LangChain's ``get_buffer_string`` writes it: ``Human: ...`` per line."""
    lines = []
    for message in messages:
        role = str(message.get("role"))
        lines.append(f"{'AI' if role == 'ai' else role.capitalize()}: {message_text(message)}")
    return "\n".join(lines)


def prompt_text(inputs: Any) -> str:
    """What a model span was prompted with: the prompt(s), or the conversation as text."""
    if isinstance(inputs, str):
        return clip(inputs, CELL_CHARS)
    messages = message_list(inputs)
    if messages is not None:
        return clip(messages_text(messages), CELL_CHARS)
    if isinstance(inputs, list) and inputs:
        parts = [item if isinstance(item, str) else prompt_text(item) for item in inputs]
        return clip("\n\n".join(parts), CELL_CHARS)
    if isinstance(inputs, dict) and isinstance(inputs.get("prompt"), str):
        return clip(inputs["prompt"], CELL_CHARS)
    return clip(as_text(inputs), CELL_CHARS)


def output_text(outputs: Any) -> str:
    """What a model span generated, cut to a cell (``chaintracer.previews.output_text``)."""
    return clip(previews.output_text(outputs), CELL_CHARS)


def answer_text(value: Any) -> str:
    """The text a person reads in a payload, cut to a cell (``chaintracer.previews.answer_text``)."""
    return clip(previews.answer_text(value), CELL_CHARS)


def grade_text(value: Any) -> Any:
    """textstat's ``text_standard`` as textstat prints it (``"7th and 8th grade"``) from its number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    upper = int(value)
    lower = upper - 1
    return f"{lower}{_suffix(lower)} and {upper}{_suffix(upper)} grade"


def _suffix(grade: int) -> str:
    # textstat.backend.utils.get_grade_suffix
    if grade % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(grade % 10, "th")
