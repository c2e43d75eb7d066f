"""Plain text of exported payloads, for W&B table cells: prompts, generations, questions, answers.

The trace keeps every payload as captured (JSON); a table cell shows what a person reads: the
prompt as the model saw it, the generated text, the user's question and the final answer.
Shapes read here are those the adapters export: LangChain prompts (``[str]``), chat messages
(``[[{role, content}]]``), ``{"generations": [[{text | message}]]}``; LlamaIndex
``{"messages": [...]}``, ``{"message": {...}}``, ``{"prompt": str}``, ``{"text": str}``,
``{"response": ...}``; workflow events. What has no text becomes compact JSON.
"""

from __future__ import annotations

import json
from typing import Any

from chaintracer.spantree import as_text, clip

CELL_CHARS = 10_000  # a cell longer than this is cut (the trace keeps the whole payload)

# Keys whose value is the text a root span was asked or answered, most telling first.
_TEXT_KEYS = (
    "output",
    "answer",
    "response",
    "result",
    "text",
    "content",
    "input",
    "question",
    "query",
    "query_str",
    "str_or_query_bundle",
    "user_msg",
    "start_event",
)


def is_message(value: Any) -> bool:
    """True for an exported chat message (``{"role": str, "content": ...}``)."""
    return isinstance(value, dict) and isinstance(value.get("role"), str) and "content" in value


def message_text(message: dict[str, Any]) -> str:
    """A message's text; a message that only calls tools reads ``name({...args})``."""
    content = message.get("content")
    if isinstance(content, list):  # content blocks: keep their text
        parts = [block.get("text") if isinstance(block, dict) else block for block in content]
        content = "\n".join(part for part in parts if isinstance(part, str))
    text = content if isinstance(content, str) else as_text(content)
    if text:
        return text
    calls = message.get("tool_calls")
    calls = [call for call in calls if isinstance(call, dict)] if isinstance(calls, list) else []
    return "; ".join(f"{call.get('name')}({json.dumps(call.get('args'), ensure_ascii=False)})" for call in calls)


def messages_text(messages: list[Any]) -> str:
    """A conversation as LangChain's ``get_buffer_string`` writes it: ``Human: ...`` per line."""
    lines = []
    for message in messages:
        role = str(message.get("role"))
        lines.append(f"{'AI' if role == 'ai' else role.capitalize()}: {message_text(message)}")
    return "\n".join(lines)


def _message_list(value: Any) -> list[Any] | None:
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        value = value["messages"]
    if isinstance(value, list) and value and all(is_message(item) for item in value):
        return value
    return None


def prompt_text(inputs: Any) -> str:
    """What a model span was prompted with: the prompt(s), or the conversation as text."""
    if isinstance(inputs, str):
        return clip(inputs, CELL_CHARS)
    messages = _message_list(inputs)
    if messages is not None:
        return clip(messages_text(messages), CELL_CHARS)
    if isinstance(inputs, list) and inputs:
        parts = [item if isinstance(item, str) else prompt_text(item) for item in inputs]
        return clip("\n\n".join(parts), CELL_CHARS)
    if isinstance(inputs, dict) and isinstance(inputs.get("prompt"), str):
        return clip(inputs["prompt"], CELL_CHARS)
    return clip(as_text(inputs), CELL_CHARS)


def generations(outputs: Any) -> list[dict[str, Any]]:
    """The generations of a LangChain model result, flattened (empty for other shapes)."""
    if not isinstance(outputs, dict) or not isinstance(outputs.get("generations"), list):
        return []
    flat = []
    for group in outputs["generations"]:
        for generation in group if isinstance(group, list) else [group]:
            if isinstance(generation, dict):
                flat.append(generation)
    return flat


def output_text(outputs: Any) -> str:
    """What a model span generated: the generation text(s) or the reply message's text."""
    found = generations(outputs)
    if found:
        texts = [
            message_text(item["message"]) if is_message(item.get("message")) else as_text(item.get("text"))
            for item in found
        ]
        return clip("\n\n".join(texts), CELL_CHARS)
    if isinstance(outputs, dict) and is_message(outputs.get("message")):
        return clip(message_text(outputs["message"]), CELL_CHARS)
    if isinstance(outputs, dict) and isinstance(outputs.get("text"), str):
        return clip(outputs["text"], CELL_CHARS)
    return answer_text(outputs)


def answer_text(value: Any) -> str:
    """The text a person reads in a payload: a question, an answer, a tool's result."""
    return clip(_answer(value, 0), CELL_CHARS)


def _answer(value: Any, depth: int) -> str:
    if value is None:
        return ""
    if isinstance(value, str) or depth > 6:
        return as_text(value)
    if is_message(value):
        return message_text(value)
    messages = _message_list(value)
    if messages is not None:  # a conversation: its last word is the question or the answer
        return message_text(messages[-1])
    if generations(value):
        return output_text(value)
    if isinstance(value, dict):
        for key in _TEXT_KEYS:
            if value.get(key) not in (None, "", [], {}):
                return _answer(value[key], depth + 1)
        plain = {key: item for key, item in value.items() if key != "_type"}
        if len(plain) == 1:
            return _answer(next(iter(plain.values())), depth + 1)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return "\n\n".join(value)
    if isinstance(value, list) and len(value) == 1:
        return _answer(value[0], depth + 1)
    return as_text(value)


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
