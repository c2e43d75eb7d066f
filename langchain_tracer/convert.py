"""Reading LangChain objects: names, kinds, model names, token usage, plain-data forms.

``simplify`` runs in the encoding worker; the small helpers used by callbacks only read a few
dict keys.
"""

from __future__ import annotations

from typing import Any

from langchain_core.agents import AgentAction, AgentFinish
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, Generation, LLMResult
from langchain_core.prompt_values import ChatPromptValue, PromptValue, StringPromptValue

from chaintracer.payloads import NOT_SIMPLIFIED
from chaintracer.usage import usage_counts

_AGENT_CLASSES = ("AgentExecutor", "RunnableAgent", "RunnableMultiActionAgent")


def serialized_name(serialized: dict[str, Any] | None, default: str) -> str:
    """The run's name from LangChain's ``serialized`` dict (often ``None`` under LCEL)."""
    if serialized:
        name = serialized.get("name")
        if name:
            return str(name)
        ident = serialized.get("id")
        if ident:
            return str(ident[-1])
    return default


# LangChain's ``run_type`` (passed to ``on_chain_start``) -> span kind. Prompts, parsers and
# runnables that declare a run type keep it whatever they are named; "chain" (or none) may
# still be an agent.
RUN_TYPE_KINDS = {
    "prompt": "prompt",
    "parser": "parser",
    "retriever": "retriever",
    "tool": "tool",
    "llm": "llm",
    "chat_model": "chat_model",
    "embedding": "embedding",
}


def chain_kind(
    run_type: str | None, name: str, serialized: dict[str, Any] | None, metadata: dict[str, Any] | None
) -> str:
    """The span kind of a run LangChain reports through ``on_chain_start``."""
    kind = RUN_TYPE_KINDS.get(run_type) if run_type else None
    if kind is not None:
        return kind
    if "agent" in name.lower():
        return "agent"
    if serialized:
        ident = serialized.get("id")
        if ident and ident[-1] in _AGENT_CLASSES:
            return "agent"
    # The root of a ``create_agent`` graph; its nodes carry the same flag plus their node name.
    if metadata and metadata.get("ls_integration") == "langchain_create_agent" and "langgraph_node" not in metadata:
        return "agent"
    return "chain"


def model_name(params: dict[str, Any], metadata: dict[str, Any] | None, fallback: str) -> str:
    """The model a call asked for, from invocation params or LangSmith metadata."""
    for key in ("model", "model_name", "model_id", "deployment_name"):
        value = params.get(key)
        if value:
            return str(value)
    if metadata:
        value = metadata.get("ls_model_name")
        if value:
            return str(value)
    return params.get("_type") or fallback


def token_usage(response: LLMResult) -> dict[str, int] | None:
    """Prompt/completion/total tokens of a model call, from any shape providers use."""
    prompt = completion = total = 0
    found = False
    for generations in response.generations or ():
        for generation in generations:
            message = generation.message if isinstance(generation, ChatGeneration) else None
            usage = message.usage_metadata if isinstance(message, AIMessage) else None
            if usage:
                found = True
                prompt += int(usage.get("input_tokens") or 0)
                completion += int(usage.get("output_tokens") or 0)
                total += int(usage.get("total_tokens") or 0)
    if found:
        return {"prompt": prompt, "completion": completion, "total": total or prompt + completion}
    output = response.llm_output or {}
    usage = output.get("token_usage") or output.get("usage") or output.get("usage_metadata")
    return usage_counts(usage) if isinstance(usage, dict) else None


def response_details(response: LLMResult) -> tuple[str | None, str | None]:
    """The model the provider says answered, and why it stopped (finish reason), when reported.

    Providers put these in ``llm_output`` (completion APIs), in the message's
    ``response_metadata`` (chat models) or in ``generation_info``; only the first generation
    is read, so this stays a few dict lookups.
    """
    output = response.llm_output or {}
    served_by = output.get("model_name") or output.get("model")
    finish_reason = None
    generations = response.generations
    if generations and generations[0]:
        first = generations[0][0]
        # isinstance, not getattr: a missing attribute of a pydantic model costs ~10 µs.
        metadata = first.message.response_metadata if isinstance(first, ChatGeneration) else None
        if metadata:
            served_by = served_by or metadata.get("model_name") or metadata.get("model")
            finish_reason = metadata.get("finish_reason") or metadata.get("stop_reason")
        info = first.generation_info
        if info and not finish_reason:
            finish_reason = info.get("finish_reason") or info.get("stop_reason")
    return (str(served_by) if served_by else None), (str(finish_reason) if finish_reason else None)


def retry_details(retry_state: Any) -> dict[str, Any]:
    """Attempt number and the error that caused a retry (tenacity's RetryCallState)."""
    details: dict[str, Any] = {"attempt": getattr(retry_state, "attempt_number", None)}
    outcome = getattr(retry_state, "outcome", None)
    if outcome is not None and getattr(outcome, "failed", False):
        error = outcome.exception()
        details["error"] = f"{type(error).__name__}: {error}"
    return details


def prompt_text(inputs: Any) -> str | None:
    """The text sent to a model: completion prompts, or the chat messages' text content."""
    if not isinstance(inputs, list) or not inputs:
        return None
    first = inputs[0]
    if isinstance(first, str):
        return "\n\n".join(p for p in inputs if isinstance(p, str))
    if isinstance(first, list):
        return "\n".join(m.content for m in first if isinstance(m, BaseMessage) and isinstance(m.content, str)) or None
    return None


def output_text(response: Any) -> str | None:
    """The first generation's text of a model response."""
    if not isinstance(response, LLMResult) or not response.generations or not response.generations[0]:
        return None
    generation = response.generations[0][0]
    if isinstance(generation, ChatGeneration) and isinstance(generation.message.content, str):
        return generation.message.content or None
    return str(generation.text) or None


def simplify(value: Any) -> Any:
    """Plain data for LangChain objects; ``NOT_SIMPLIFIED`` for anything else."""
    if isinstance(value, BaseMessage):
        return _message(value)
    if isinstance(value, StringPromptValue):
        return value.text
    if isinstance(value, ChatPromptValue):
        return {"messages": value.messages}
    if isinstance(value, PromptValue):
        return value.to_string()
    if isinstance(value, Document):
        doc: dict[str, Any] = {"page_content": value.page_content, "metadata": value.metadata}
        if value.id:
            doc["id"] = value.id
        return doc
    if isinstance(value, LLMResult):
        result: dict[str, Any] = {"generations": value.generations}
        if value.llm_output:
            result["llm_output"] = value.llm_output
        return result
    if isinstance(value, ChatGeneration):
        chat: dict[str, Any] = {"message": value.message}
        if value.generation_info:
            chat["generation_info"] = value.generation_info
        return chat
    if isinstance(value, Generation):
        # ``text`` may be an accessor object rather than a str on newer langchain-core.
        gen: dict[str, Any] = {"text": str(value.text)}
        if value.generation_info:
            gen["generation_info"] = value.generation_info
        return gen
    if isinstance(value, AgentAction):
        return {"tool": value.tool, "tool_input": value.tool_input, "log": value.log}
    if isinstance(value, AgentFinish):
        return {"return_values": value.return_values, "log": value.log}
    return NOT_SIMPLIFIED


def _message(message: BaseMessage) -> dict[str, Any]:
    data: dict[str, Any] = {"role": message.type, "content": message.content}
    if message.name:
        data["name"] = message.name
    if isinstance(message, AIMessage):
        if message.tool_calls:
            data["tool_calls"] = [
                {"name": call["name"], "args": call["args"], "id": call.get("id")} for call in message.tool_calls
            ]
        if message.invalid_tool_calls:
            # Tool calls the provider sent but LangChain could not parse (bad JSON arguments...).
            data["invalid_tool_calls"] = [
                {"name": call.get("name"), "args": call.get("args"), "id": call.get("id"), "error": call.get("error")}
                for call in message.invalid_tool_calls
            ]
        if message.usage_metadata:
            data["usage_metadata"] = dict(message.usage_metadata)
    elif isinstance(message, ToolMessage):
        data["tool_call_id"] = message.tool_call_id
        if message.status != "success":
            data["status"] = message.status
        if message.artifact is not None:
            # What a content_and_artifact tool kept from the model (a RAG tool's source Documents...).
            data["artifact"] = message.artifact
    if message.response_metadata:
        data["response_metadata"] = message.response_metadata
    return data
