"""What a person reads in a trace: the question it was asked and the answer it gave, as text.

One reader for every summary: the store's trace table (``input``/``output`` columns, computed
once when a trace is encoded), the CLI, the Jupyter view, the report and W&B's tables. It reads
exported payloads (JSON), whatever framework made them:

- chat messages ``{"role", "content"}`` (LangChain ``human``/``ai``/``tool``, LlamaIndex
  ``user``/``assistant``), alone, in lists, or under ``{"messages": [...]}`` (LangChain agents
  and LangGraph states): a question is the last user message, an answer the last AI message
  that has text (a reply that only calls tools reads ``name({...args})``);
- LangChain model results ``{"generations": [[{text | message}]]}``;
- LlamaIndex ``{"response": ...}`` (query engines), ``{"str_or_query_bundle": ...}``, workflow
  events (``start_event.user_msg``, ``StopEvent.result.response``);
- plain strings (a parsed chain output), and single-key wrappers of any of these.

What has no text becomes compact JSON. Every reader returns a ``str`` and never raises.
"""

from __future__ import annotations

import json
from typing import Any

from chaintracer.kinds import MODEL_KINDS
from chaintracer.spantree import as_text, one_line, walk

PREVIEW_CHARS = 300  # the store's preview columns: one line, this long at most

_USER_ROLES = frozenset({"human", "user"})
_AI_ROLES = frozenset({"ai", "assistant", "AIMessageChunk"})
# Keys whose value is the text a span was asked or answered, most telling first.
_ANSWER_KEYS = (
    "output",
    "answer",
    "response",
    "result",
    "return_values",
    "text",
    "content",
    "message",
    "input",
    "question",
    "query",
    "query_str",
    "str_or_query_bundle",
    "user_msg",
    "start_event",
)
_QUESTION_KEYS = (
    "input",
    "question",
    "query",
    "query_str",
    "str_or_query_bundle",
    "user_msg",
    "start_event",
    "message",
    "prompt",
    "text",
    "texts",
    "content",
)
# Workflow bookkeeping beside the user's input (LlamaIndex ``Workflow.run`` spans).
_NOT_INPUT = frozenset({"_type", "init_state", "tags", "chat_history", "memory", "ctx"})
_MAX_DEPTH = 6


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


def message_list(value: Any) -> list[dict[str, Any]] | None:
    """The messages of a conversation (a list of messages, or ``{"messages": [...]}``), else None."""
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        value = value["messages"]
    if isinstance(value, list) and value and all(is_message(item) for item in value):
        return value
    return None


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
        return "\n\n".join(texts)
    if isinstance(outputs, dict) and is_message(outputs.get("message")):
        return message_text(outputs["message"])
    if isinstance(outputs, dict) and isinstance(outputs.get("text"), str):
        return outputs["text"]
    return answer_text(outputs)


def answer_text(value: Any) -> str:
    """The answer a payload holds: a reply's text, a response, a parsed output, a tool's result."""
    return _read(value, 0, _ANSWER_KEYS, _last_answer)


def question_text(value: Any) -> str:
    """The question a payload holds: the user's last message, a query, a prompt, an input text."""
    return _read(value, 0, _QUESTION_KEYS, _last_question)


def trace_question(root: dict[str, Any]) -> str:
    """What an exported trace was asked (its root's inputs), whole."""
    return question_text(root.get("inputs"))


def trace_answer(root: dict[str, Any]) -> str:
    """What an exported trace answered, whole; a failed trace answers with its error."""
    error = root.get("error")
    if root.get("status") == "error" and isinstance(error, dict):
        return f"{error.get('type') or 'Error'}: {error.get('message') or ''}"
    outputs = root.get("outputs")
    if outputs in (None, "", [], {}):
        # Nothing returned (an incomplete trace, a streamed run): the last model reply says most.
        replies = [span for span in walk(root) if span.get("kind") in MODEL_KINDS and span.get("outputs")]
        return output_text(replies[-1]["outputs"]) if replies else ""
    return answer_text(outputs)


def trace_texts(root: dict[str, Any]) -> tuple[str, str]:
    """``(question, answer)`` of an exported trace, whole."""
    return trace_question(root), trace_answer(root)


def question_preview(root: dict[str, Any]) -> str:
    """The store's ``input`` column of a trace: its question on one line, ``PREVIEW_CHARS`` at most."""
    return one_line(trace_question(root), PREVIEW_CHARS)


def answer_preview(root: dict[str, Any]) -> str:
    """The store's ``output`` column of a trace: its answer (or error) on one line, ``PREVIEW_CHARS`` at most."""
    return one_line(trace_answer(root), PREVIEW_CHARS)


def _read(value: Any, depth: int, keys: tuple[str, ...], conversation: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str) or depth > _MAX_DEPTH:
        return as_text(value)
    if is_message(value):
        return message_text(value)
    messages = message_list(value)
    if messages is not None:
        return conversation(messages)
    if isinstance(value, list) and value and all(isinstance(item, list) for item in value):
        # A chat model's input: one conversation per prompt (read the first).
        return _read(value[0], depth + 1, keys, conversation)
    if generations(value):
        return output_text(value)
    if isinstance(value, dict):
        for key in keys:
            if value.get(key) not in (None, "", [], {}):
                return _read(value[key], depth + 1, keys, conversation)
        plain = {key: item for key, item in value.items() if key not in _NOT_INPUT}
        if len(plain) == 1:
            return _read(next(iter(plain.values())), depth + 1, keys, conversation)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return "\n\n".join(value)
    texts = _document_texts(value)
    if texts:
        return "\n\n".join(texts)
    if isinstance(value, list) and len(value) == 1:
        return _read(value[0], depth + 1, keys, conversation)
    return as_text(value)


def _document_texts(value: Any) -> list[str]:
    """The texts of a list of documents or nodes (``page_content`` / ``text``), else []."""
    if not isinstance(value, list) or not value:
        return []
    texts = []
    for item in value:
        text = item.get("page_content", item.get("text")) if isinstance(item, dict) else None
        if not isinstance(text, str):
            return []
        texts.append(text)
    return texts


def _last_answer(messages: list[dict[str, Any]]) -> str:
    """The last AI message with text; else the last message (a tool call, a tool's result)."""
    for message in reversed(messages):
        if message.get("role") in _AI_ROLES and _has_text(message):
            return message_text(message)
    return message_text(messages[-1])


def _last_question(messages: list[dict[str, Any]]) -> str:
    """The last user message; else the last message."""
    for message in reversed(messages):
        if message.get("role") in _USER_ROLES:
            return message_text(message)
    return message_text(messages[-1])


def _has_text(message: dict[str, Any]) -> bool:
    """Whether a message has text content of its own (not only tool calls)."""
    content = message.get("content")
    if isinstance(content, list):
        texts = [block.get("text") if isinstance(block, dict) else block for block in content]
        return any(isinstance(text, str) and text.strip() for text in texts)
    return bool(content.strip()) if isinstance(content, str) else content not in (None, {}, [])
