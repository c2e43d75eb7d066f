"""Reading LangChain objects: names, kinds, model names, token usage, plain-data forms.

``simplify`` runs in the encoding worker; the small helpers used by callbacks only read a few
dict keys. ``BatchUsage`` shares a batched completion call's tokens among its prompts' runs.
"""

from __future__ import annotations

import threading
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


def generation_usage(response: LLMResult) -> dict[str, int] | None:
    """Tokens the provider reported per generation (chat messages' ``usage_metadata``, ``generation_info``)."""
    prompt = completion = total = 0
    found = False
    for generations in response.generations or ():
        for generation in generations:
            message = generation.message if isinstance(generation, ChatGeneration) else None
            usage: Any = message.usage_metadata if isinstance(message, AIMessage) else None
            if not usage and generation.generation_info:
                info = generation.generation_info
                usage = usage_counts(info.get("usage") or info.get("token_usage") or info.get("usage_metadata") or {})
            else:
                usage = usage_counts(usage) if usage else None
            if usage:
                found = True
                prompt += usage["prompt"]
                completion += usage["completion"]
                total += usage["total"]
    if found:
        return {"prompt": prompt, "completion": completion, "total": total or prompt + completion}
    return None


def call_usage(response: LLMResult) -> dict[str, int] | None:
    """Tokens reported for the whole provider call (``llm_output``): a batched call's, for every prompt."""
    output = response.llm_output or {}
    usage = output.get("token_usage") or output.get("usage") or output.get("usage_metadata")
    return usage_counts(usage) if isinstance(usage, dict) else None


class BatchUsage:
    """Shares the token usage of a batched completion call among the runs of its prompts.

    ``BaseLLM.generate`` (what ``llm.generate([...])`` and ``(prompt | llm).batch`` call) starts
    one run per prompt, all with the same ``invocation_params`` dict and ``batch_size`` n, makes
    one provider call, then ends the runs through ``LLMResult.flatten()``: the call's whole usage
    on the first run, none on the others. Counted as it comes, one trace would hold the batch's
    tokens and the others none. Each run gets instead an even share (the remainder on the first
    runs), marked ``"batch": {"size", "shared": True, "split": "even", "prompt", "completion",
    "total"}`` with the call's totals, so the shares add up to what the provider reported.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._starting: dict[int, _Batch] = {}  # id(invocation_params) -> the batch whose runs start
        self._runs: dict[Any, _Batch] = {}

    def start(self, run_id: Any, params: Any, size: Any) -> None:
        """Notes a completion run that is one of a call's ``size`` prompts (all starts come before any end)."""
        if type(size) is not int or size < 2 or not isinstance(params, dict):
            return
        with self._lock:
            batch = self._starting.get(id(params))
            if batch is None or batch.params is not params:
                batch = self._starting[id(params)] = _Batch(params, size)
            batch.runs.append(run_id)
            self._runs[run_id] = batch

    def usage(self, run_id: Any, reported: dict[str, int] | None) -> dict[str, Any] | None:
        """The tokens to record on an ending run: its share when it was part of a batch, else ``reported``."""
        with self._lock:
            batch = self._runs.pop(run_id, None)
            if batch is None:
                return reported
            self._starting.pop(id(batch.params), None)  # the call is answered: no more runs will join it
            if reported and reported.get("total"):
                batch.total = reported
            index = batch.runs.index(run_id)
        if batch.total is None:  # the call's usage went to a run this tracer does not see
            return {"batch": {"size": batch.size, "shared": True}} if reported is not None else None
        return _share(batch.total, batch.size, min(index, batch.size - 1))

    def discard(self, run_id: Any) -> None:
        """Forgets a run that failed."""
        with self._lock:
            batch = self._runs.pop(run_id, None)
            if batch is not None:
                self._starting.pop(id(batch.params), None)


class _Batch:
    __slots__ = ("params", "runs", "size", "total")

    def __init__(self, params: dict[str, Any], size: int) -> None:
        self.params = params  # held: its id() names the batch while its runs start
        self.size = size
        self.runs: list[Any] = []
        self.total: dict[str, int] | None = None


def _share(total: dict[str, int], size: int, index: int) -> dict[str, Any]:
    def part(value: int) -> int:
        return value // size + (1 if index < value % size else 0)

    prompt, completion = part(total["prompt"]), part(total["completion"])
    whole = total["total"]
    tokens: dict[str, Any] = {
        "prompt": prompt,
        "completion": completion,
        "total": prompt + completion if whole == total["prompt"] + total["completion"] else part(whole),
    }
    tokens["batch"] = {"size": size, "shared": True, "split": "even", **total}
    return tokens


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
