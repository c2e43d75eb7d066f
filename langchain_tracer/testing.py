"""An offline test kit for LangChain programs: scripted models and readers of recorded traces.

``ScriptedChatModel`` speaks LangChain's chat-model interface (``invoke``/``stream``, sync and
async, ``bind_tools``), so chains, LangGraph graphs and ``create_agent`` agents run with it and
call real tools::

    model = ScriptedChatModel(script=[ToolCall("calculator", {"expression": "2+3"}), "2 + 3 = 5"])
    agent = create_agent(model, tools=[calculator])

Each model call takes the next turn of the script; the last turn repeats. A turn is an answer
(``str``), a ``ToolCall`` or a list of them, an exception to raise, or a callable that receives
the messages and returns one of those. Responses report token usage like providers do (word
counts), so token totals are predictable. ``ScriptedLLM`` is the completion-model counterpart.
The trace readers (``flushed``, ``outline``, ``walk``, ``find``) are ``chaintracer.testing``'s.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel, FakeListLLM
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult, LLMResult
from pydantic import Field, PrivateAttr

from chaintracer.testing import find, flushed, outline, walk

__all__ = ["ScriptedChatModel", "ScriptedLLM", "ToolCall", "find", "flushed", "outline", "walk"]

# One lock for all scripted models (not one each): a model must stay copyable.
_TURN_LOCK = threading.Lock()


@dataclass(frozen=True)
class ToolCall:
    """A turn in which the model asks for a tool."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


def words(text: Any) -> int:
    """The scripted models' token count of a text: its words."""
    return len(str(text).split())


class ScriptedLLM(FakeListLLM):
    """A completion model answering from ``responses``, reporting token usage like OpenAI's API."""

    model_name: str = "scripted-llm"
    temperature: float = 0.7
    max_tokens: int = 256

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "temperature": self.temperature, "max_tokens": self.max_tokens}

    def _generate(
        self, prompts: list[str], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> LLMResult:
        result = super()._generate(prompts, stop=stop, run_manager=run_manager, **kwargs)
        prompt_tokens = sum(words(p) for p in prompts)
        completion_tokens = sum(words(g[0].text) for g in result.generations)
        result.llm_output = {
            "model_name": self.model_name,
            "token_usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        return result


class ScriptedChatModel(BaseChatModel):
    """A tool-calling chat model that answers from ``script``, one turn per call (the last repeats)."""

    script: list[Any] = Field(default_factory=lambda: ["OK"])
    model_name: str = "scripted-chat"
    temperature: float = 0.0
    max_tokens: int = 512
    bound_tools: tuple[str, ...] = ()
    # Shared by the copies ``bind_tools`` makes (agents bind tools on every call): one script.
    _turns: list[int] = PrivateAttr(default_factory=lambda: [0])

    @property
    def _llm_type(self) -> str:
        return "scripted-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "temperature": self.temperature, "max_tokens": self.max_tokens}

    @property
    def calls(self) -> int:
        """How many model calls the script has answered."""
        return self._turns[0]

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
        """Remembers the tools' names (the script decides which it calls)."""
        names = [getattr(t, "name", None) or getattr(t, "__name__", str(t)) for t in tools]
        return self.model_copy(update={"bound_tools": tuple(names)})

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        reply = self._reply(messages)
        prompt_tokens = sum(words(m.content) for m in messages)
        completion_tokens = words(reply.content) + 3 * len(reply.tool_calls)
        # pyright checks as Python 3.10, where the pinned langchain-core 1.8 (3.11+, `from typing import
        # NotRequired`) leaves UsageMetadata unresolved; langchain-core 1.7 on 3.10 checks clean.
        reply.usage_metadata = UsageMetadata(  # pyright: ignore[reportCallIssue]
            input_tokens=prompt_tokens,
            output_tokens=completion_tokens,
            total_tokens=prompt_tokens + completion_tokens,
        )
        reply.response_metadata = {
            "model_name": self.model_name,
            "finish_reason": "tool_calls" if reply.tool_calls else "stop",
        }
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        with _TURN_LOCK:
            step = self._turns[0]
            turn = self.script[min(step, len(self.script) - 1)]
            self._turns[0] = step + 1
        if callable(turn) and not isinstance(turn, (BaseException, type)):
            turn = turn(list(messages))
        if isinstance(turn, BaseException):
            raise turn
        if isinstance(turn, ToolCall):
            turn = [turn]
        if isinstance(turn, list):
            calls = [
                {"name": call.name, "args": call.args, "id": call.id or f"call_{call.name}_{step}_{n}"}
                for n, call in enumerate(turn)
            ]
            return AIMessage(content="", tool_calls=calls)
        if isinstance(turn, AIMessage):
            return turn.model_copy()
        return AIMessage(content=str(turn))
