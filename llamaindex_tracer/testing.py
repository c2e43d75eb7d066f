"""An offline test kit: a scripted LLM that answers, calls tools and reports token usage.

``ScriptedLLM`` speaks LlamaIndex's LLM interface (chat and completion, sync and async,
streaming, function calling), so query engines, chat engines and workflow agents
(``FunctionAgent``, ``ReActAgent``, ``AgentWorkflow``) run with it and call real tools::

    llm = ScriptedLLM(script=[ToolCall("add", {"a": 2, "b": 3}), "2 + 3 = 5"])
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(add)], llm=llm)

Each model call takes the next turn of the script; the last turn repeats. Responses report
usage like OpenAI does (``raw["usage"]``), counting words, so token totals are predictable.
The trace readers (``flushed``, ``outline``, ``walk``, ``find``) are ``chaintracer.testing``'s,
as in ``langchain_tracer.testing``.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection

from chaintracer.testing import find, flushed, outline, walk

__all__ = ["ScriptedLLM", "ToolCall", "echo", "find", "flushed", "outline", "walk"]

# One lock for all scripted models (not one each): a model must stay deep-copyable.
_TURN_LOCK = threading.Lock()


@dataclass(frozen=True)
class ToolCall:
    """A turn in which the model asks for a tool."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


class ScriptedLLM(FunctionCallingLLM):
    """Answers from ``script``, one turn per model call (the last turn repeats).

    A turn is an answer (``str``), a ``ToolCall`` or a list of them, an exception to raise, or a
    callable that receives the messages and returns one of those.
    """

    script: list[Any] = Field(default_factory=lambda: ["OK"])
    model: str = Field(default="scripted-1")
    temperature: float = Field(default=0.0)
    max_tokens: int = Field(default=256)
    chat_mode: bool = Field(default=True, description="Report itself as a chat model (else completion).")

    _turn: int = PrivateAttr(default=0)
    _reported: list[dict[str, int]] = PrivateAttr(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "ScriptedLLM"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            model_name=self.model,
            num_output=self.max_tokens,
            is_chat_model=self.chat_mode,
            is_function_calling_model=True,
        )

    @property
    def calls(self) -> int:
        """How many model calls the script has answered."""
        return self._turn

    @property
    def reported_tokens(self) -> dict[str, int]:
        """The token usage this model reported, summed over its answers (what a trace should total)."""
        with _TURN_LOCK:
            reported = list(self._reported)
        return {key: sum(usage[f"{key}_tokens"] for usage in reported) for key in ("prompt", "completion", "total")}

    # -- the script -----------------------------------------------------------------------

    def _reply(self, messages: Sequence[ChatMessage]) -> tuple[ChatMessage, dict[str, Any]]:
        with _TURN_LOCK:
            turn = self.script[min(self._turn, len(self.script) - 1)]
            self._turn += 1
        if callable(turn) and not isinstance(turn, (BaseException, type)):
            turn = turn(list(messages))
        if isinstance(turn, BaseException):
            raise turn
        if isinstance(turn, ToolCall):
            turn = [turn]
        if isinstance(turn, list):
            blocks: list[Any] = [
                ToolCallBlock(
                    tool_call_id=call.id or f"call_{self._turn}_{n}", tool_name=call.name, tool_kwargs=call.kwargs
                )
                for n, call in enumerate(turn)
            ]
            message = ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks)
            completion = len(blocks)
        else:
            message = ChatMessage(role=MessageRole.ASSISTANT, content=str(turn))
            completion = len(str(turn).split())
        prompt = sum(len(str(m.content or "").split()) for m in messages)
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        with _TURN_LOCK:
            self._reported.append(usage)
        return message, {"model": self.model, "usage": dict(usage)}

    def _chunks(self, message: ChatMessage, raw: dict[str, Any]) -> list[ChatResponse]:
        words = (message.content or "").split(" ") if message.content else []
        chunks: list[ChatResponse] = []
        text = ""
        for n, word in enumerate(words):
            delta = word if n == 0 else " " + word
            text += delta
            chunks.append(ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=delta))
        # The last chunk carries the whole message (tool calls included) and the usage.
        final = ChatResponse(message=message, delta=chunks[-1].delta if chunks else "", raw=raw)
        return [*chunks[:-1], final] if chunks else [final]

    # -- chat -----------------------------------------------------------------------------

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        message, raw = self._reply(messages)
        return ChatResponse(message=message, raw=raw)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Generator[ChatResponse, None, None]:
        chunks = self._chunks(*self._reply(messages))
        return (chunk for chunk in chunks)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        message, raw = self._reply(messages)
        return ChatResponse(message=message, raw=raw)

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> AsyncGenerator[ChatResponse, None]:
        chunks = self._chunks(*self._reply(messages))

        async def gen() -> AsyncGenerator[ChatResponse, None]:
            for chunk in chunks:
                yield chunk

        return gen()

    # -- completion -----------------------------------------------------------------------

    def _complete(self, prompt: str) -> CompletionResponse:
        message, raw = self._reply([ChatMessage(role=MessageRole.USER, content=prompt)])
        return CompletionResponse(text=message.content or "", raw=raw)

    def _completion_chunks(self, response: CompletionResponse) -> list[CompletionResponse]:
        words = response.text.split(" ")
        chunks, text = [], ""
        for n, word in enumerate(words):
            delta = word if n == 0 else " " + word
            text += delta
            chunks.append(CompletionResponse(text=text, delta=delta, raw=response.raw if n == len(words) - 1 else None))
        return chunks

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return self._complete(prompt)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> Generator[CompletionResponse, None, None]:
        chunks = self._completion_chunks(self._complete(prompt))
        return (chunk for chunk in chunks)

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return self._complete(prompt)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> AsyncGenerator[CompletionResponse, None]:
        chunks = self._completion_chunks(self._complete(prompt))

        async def gen() -> AsyncGenerator[CompletionResponse, None]:
            for chunk in chunks:
                yield chunk

        return gen()

    # -- function calling -----------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[Any],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        return {"messages": messages, "tools": [tool.metadata.name for tool in tools], **kwargs}

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        calls = [block for block in response.message.blocks if isinstance(block, ToolCallBlock)]
        if not calls and error_on_no_tool_call:
            raise ValueError(f"Expected a tool call, got: {response.message.content!r}")
        return [
            ToolSelection(
                tool_id=call.tool_call_id or "",
                tool_name=call.tool_name,
                tool_kwargs=call.tool_kwargs if isinstance(call.tool_kwargs, dict) else {},
            )
            for call in calls
        ]


def echo(prefix: str = "Answer to") -> Callable[[list[ChatMessage]], str]:
    """A turn that repeats the question it was asked (the prompt's "Query:" line, else its last line).

    Concurrent runs then get answers that tell them apart.
    """

    def turn(messages: list[ChatMessage]) -> str:
        text = str(messages[-1].content or "") if messages else ""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        asked = [line for line in lines if line.lower().startswith("query:")] or lines[-1:] or [""]
        query = asked[-1]
        return f"{prefix} {query.removeprefix('Query:').strip()}"

    return turn
