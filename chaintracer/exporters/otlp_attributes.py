"""What a span says in OpenInference and GenAI terms: models, tools, agents, messages, documents.

Part of the OTLP mapping (``otlp_mapping`` builds the spans): pure functions from an exported
SPAN dict to attribute dicts, with the value helpers both modules use. Values are always valid
OpenTelemetry attribute values (strings, numbers, booleans, lists of strings); ``None`` and
empty values are left out.
"""

from __future__ import annotations

import json
from typing import Any

from openinference.semconv.trace import DocumentAttributes, MessageAttributes, SpanAttributes, ToolCallAttributes
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai

from chaintracer.kinds import MODEL_KINDS

# LangChain's message types, in OpenInference's (OpenAI's) role names.
_ROLES = {"human": "user", "ai": "assistant", "AIMessageChunk": "assistant"}
# GenAI's operation for each kind that has one.
_OPERATIONS = {
    "chat_model": gen_ai.GenAiOperationNameValues.CHAT.value,
    "llm": gen_ai.GenAiOperationNameValues.TEXT_COMPLETION.value,
    "embedding": gen_ai.GenAiOperationNameValues.EMBEDDINGS.value,
    "retriever": gen_ai.GenAiOperationNameValues.RETRIEVAL.value,
    "tool": gen_ai.GenAiOperationNameValues.EXECUTE_TOOL.value,
    "agent": gen_ai.GenAiOperationNameValues.INVOKE_AGENT.value,
}
# Invocation parameters (LangChain's and LlamaIndex's names) with a GenAI request attribute.
_REQUEST_PARAMETERS = {
    "temperature": gen_ai.GEN_AI_REQUEST_TEMPERATURE,
    "max_tokens": gen_ai.GEN_AI_REQUEST_MAX_TOKENS,
    "max_new_tokens": gen_ai.GEN_AI_REQUEST_MAX_TOKENS,
    "max_output_tokens": gen_ai.GEN_AI_REQUEST_MAX_TOKENS,
    "top_p": gen_ai.GEN_AI_REQUEST_TOP_P,
    "top_k": gen_ai.GEN_AI_REQUEST_TOP_K,
    "frequency_penalty": gen_ai.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    "presence_penalty": gen_ai.GEN_AI_REQUEST_PRESENCE_PENALTY,
    "seed": gen_ai.GEN_AI_REQUEST_SEED,
}


def kind_attributes(span: dict[str, Any], attributes: dict[str, Any]) -> dict[str, Any]:
    """Model, provider, tokens and parameters (models), tool and agent names, embedding model."""
    out: dict[str, Any] = {}
    kind = span["kind"]
    model, response_model = text(attributes.get("model")), text(attributes.get("response_model"))
    metadata = mapping(attributes.get("metadata"))
    provider = text(attributes.get("provider")) or text(metadata.get("ls_provider"))
    params = mapping(attributes.get("invocation_params"))
    tokens = mapping(attributes.get("tokens"))
    put(out, gen_ai.GEN_AI_OPERATION_NAME, _OPERATIONS.get(kind))
    if kind in MODEL_KINDS:
        put(out, SpanAttributes.LLM_MODEL_NAME, response_model or model)
        put(out, SpanAttributes.LLM_PROVIDER, provider)
        put(out, gen_ai.GEN_AI_PROVIDER_NAME, provider)
        put(out, gen_ai.GEN_AI_REQUEST_MODEL, model)
        put(out, gen_ai.GEN_AI_RESPONSE_MODEL, response_model)
        for key, name in (("prompt", "PROMPT"), ("completion", "COMPLETION"), ("total", "TOTAL")):
            put(out, getattr(SpanAttributes, f"LLM_TOKEN_COUNT_{name}"), count(tokens.get(key)))
        put(out, gen_ai.GEN_AI_USAGE_INPUT_TOKENS, count(tokens.get("prompt")))
        put(out, gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS, count(tokens.get("completion")))
        for key, name in _REQUEST_PARAMETERS.items():
            put(out, name, number(params.get(key)))
        stop = params.get("stop")
        put(out, gen_ai.GEN_AI_REQUEST_STOP_SEQUENCES, [stop] if isinstance(stop, str) else strings(stop))
        put(out, SpanAttributes.LLM_INVOCATION_PARAMETERS, json_text(params) if params else None)
    elif kind == "embedding":
        put(out, SpanAttributes.EMBEDDING_MODEL_NAME, model)
        put(out, gen_ai.GEN_AI_REQUEST_MODEL, model)
    elif kind == "tool":
        put(out, SpanAttributes.TOOL_NAME, span["name"])
        put(out, gen_ai.GEN_AI_TOOL_NAME, span["name"])
        put(out, SpanAttributes.TOOL_DESCRIPTION, text(attributes.get("description")))
        parameters = attributes.get("parameters")  # the tool's argument schema, when an adapter records it
        put(out, SpanAttributes.TOOL_PARAMETERS, json_text(parameters) if isinstance(parameters, dict) else None)
    elif kind == "agent":
        put(out, SpanAttributes.AGENT_NAME, span["name"])
        put(out, gen_ai.GEN_AI_AGENT_NAME, span["name"])
    return out


def payload_attributes(span: dict[str, Any]) -> dict[str, Any]:
    """Chat messages (with tool calls), completion prompts and retrieved documents, flattened."""
    out: dict[str, Any] = {}
    kind, inputs, outputs = span["kind"], span.get("inputs"), span.get("outputs")
    if kind in MODEL_KINDS:
        prompts = strings(inputs)
        if prompts:
            put(out, SpanAttributes.LLM_PROMPTS, prompts)
        for prefix, messages in (
            (SpanAttributes.LLM_INPUT_MESSAGES, _input_messages(inputs)),
            (SpanAttributes.LLM_OUTPUT_MESSAGES, _output_messages(outputs)),
        ):
            for index, message in enumerate(messages):
                out.update(_message(f"{prefix}.{index}.", message))
    elif kind == "retriever":
        for index, document in enumerate(_documents(outputs)):
            base = f"{SpanAttributes.RETRIEVAL_DOCUMENTS}.{index}."
            put(out, base + DocumentAttributes.DOCUMENT_ID, text(document.get("id")))
            content = document.get("text", document.get("page_content", document.get("content")))
            put(out, base + DocumentAttributes.DOCUMENT_CONTENT, text(content))
            put(out, base + DocumentAttributes.DOCUMENT_SCORE, number(document.get("score")))
            metadata = document.get("metadata")
            put(out, base + DocumentAttributes.DOCUMENT_METADATA, json_text(metadata) if metadata else None)
    return out


def _input_messages(inputs: Any) -> list[dict[str, Any]]:
    if isinstance(inputs, dict):  # LlamaIndex: {"messages": [...]}
        inputs = inputs.get("messages")
    elif isinstance(inputs, list) and inputs and isinstance(inputs[0], list):  # LangChain: one list per prompt
        inputs = inputs[0]
    return [message for message in inputs if isinstance(message, dict)] if isinstance(inputs, list) else []


def _output_messages(outputs: Any) -> list[dict[str, Any]]:
    if not isinstance(outputs, dict):
        return []
    if isinstance(outputs.get("message"), dict):  # LlamaIndex: {"message": {...}}
        return [outputs["message"]]
    generations = outputs.get("generations")  # LangChain: {"generations": [[{"message": {...}}]]}
    first = generations[0] if isinstance(generations, list) and generations else None
    if not isinstance(first, list):
        return []
    return [g["message"] for g in first if isinstance(g, dict) and isinstance(g.get("message"), dict)]


def _message(base: str, message: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    role = text(message.get("role"))
    put(out, base + MessageAttributes.MESSAGE_ROLE, _ROLES.get(role, role) if role else None)
    content = message.get("content")
    put(out, base + MessageAttributes.MESSAGE_CONTENT, textual(content))
    put(out, base + MessageAttributes.MESSAGE_NAME, text(message.get("name")))
    extra = mapping(message.get("additional_kwargs"))
    call_id = text(message.get("tool_call_id")) or text(extra.get("tool_call_id"))  # LlamaIndex keeps it in extra
    put(out, base + MessageAttributes.MESSAGE_TOOL_CALL_ID, call_id)
    for index, call in enumerate(message.get("tool_calls") or ()):
        if not isinstance(call, dict):
            continue
        function = mapping(call.get("function"))  # OpenAI's shape
        arguments = call.get("args", call.get("arguments", function.get("arguments")))
        call_base = f"{base}{MessageAttributes.MESSAGE_TOOL_CALLS}.{index}."
        put(out, call_base + ToolCallAttributes.TOOL_CALL_ID, text(call.get("id")))
        put(out, call_base + ToolCallAttributes.TOOL_CALL_FUNCTION_NAME, text(call.get("name", function.get("name"))))
        put(
            out,
            call_base + ToolCallAttributes.TOOL_CALL_FUNCTION_ARGUMENTS_JSON,
            textual(arguments),
        )
    return out


def _documents(outputs: Any) -> list[dict[str, Any]]:
    if isinstance(outputs, dict):
        outputs = outputs.get("documents", outputs.get("nodes"))
    return [document for document in outputs if isinstance(document, dict)] if isinstance(outputs, list) else []


def mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a dict, else an empty one (payloads may hold anything)."""
    return value if isinstance(value, dict) else {}


def put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "" and value != []:
        out[key] = value


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def textual(value: Any) -> str | None:
    """Strings as they are, other JSON values as JSON text."""
    return None if value is None else value if isinstance(value, str) else json_text(value)


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def number(value: Any) -> int | float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def strings(value: Any) -> list[str] | None:
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return value
    return None


def scalar(value: Any) -> Any:
    """A valid attribute value: strings, numbers and booleans as they are, anything else as JSON."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return json_text(value)
