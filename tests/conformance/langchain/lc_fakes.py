"""Offline stand-ins for the models and stores LangChain's documentation uses.

``reply`` builds the ``AIMessage`` a provider would return, with the token usage and
``response_metadata`` real providers report, so the suite can check token totals and message
fields. ``ToolChat`` is ``GenericFakeChatModel`` with ``bind_tools`` (which it lacks), for agents
and ``with_structured_output``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.vectorstores import InMemoryVectorStore

MODEL_NAME = "fake-model-1"

DOCS = [
    "Task decomposition breaks a complicated task into smaller, simpler steps.",
    "Chain of thought prompting asks the model to think step by step.",
    "Self-reflection lets an agent refine past actions and correct mistakes.",
    "Tree of thoughts explores several reasoning possibilities at each step.",
]


def usage(prompt: int, completion: int) -> dict[str, int]:
    """A message's ``usage_metadata`` as providers report it."""
    return {"input_tokens": prompt, "output_tokens": completion, "total_tokens": prompt + completion}


def reply(
    content: str = "",
    prompt_tokens: int = 10,
    completion_tokens: int | None = None,
    tool_calls: Sequence[dict[str, Any]] = (),
    invalid_tool_calls: Sequence[dict[str, Any]] = (),
    finish_reason: str | None = None,
) -> AIMessage:
    """An AI message with token usage, finish reason and model name, like a provider's."""
    completion = len(content.split()) + 3 * len(tool_calls) if completion_tokens is None else completion_tokens
    reason = finish_reason or ("tool_calls" if tool_calls else "stop")
    return AIMessage(
        content=content,
        tool_calls=[{"type": "tool_call", **call} for call in tool_calls],
        invalid_tool_calls=[{"type": "invalid_tool_call", **call} for call in invalid_tool_calls],
        usage_metadata=usage(prompt_tokens, completion),  # type: ignore[arg-type]
        response_metadata={"finish_reason": reason, "model_name": MODEL_NAME},
    )


def call(name: str, args: dict[str, Any], call_id: str) -> dict[str, Any]:
    """One tool call of an AI message."""
    return {"name": name, "args": args, "id": call_id}


class ToolChat(GenericFakeChatModel):
    """``GenericFakeChatModel`` answering from a script, with tools bound (and ignored)."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> ToolChat:  # type: ignore[override]
        return self


def chat(*messages: AIMessage | str) -> ToolChat:
    """A fake chat model that answers with ``messages`` in turn."""
    return ToolChat(messages=iter(messages))


class StreamingChat(GenericFakeChatModel):
    """A fake chat model that streams word by word and reports usage on the last chunk.

    ``GenericFakeChatModel`` streams only the content; providers that stream usage (OpenAI's
    ``stream_usage``) send it with the final chunk, which is what this does.
    """

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = next(self.messages)
        assert isinstance(message, AIMessage) and isinstance(message.content, str)
        words = message.content.split(" ")
        for index, word in enumerate(words):
            last = index == len(words) - 1
            chunk = ChatGenerationChunk(
                message=AIMessageChunk(
                    content=word if last else word + " ",
                    usage_metadata=message.usage_metadata if last else None,
                    response_metadata=message.response_metadata if last else {},
                )
            )
            if run_manager:
                run_manager.on_llm_new_token(str(chunk.message.content), chunk=chunk)
            yield chunk


def vector_store(texts: Sequence[str] = DOCS) -> InMemoryVectorStore:
    """An in-memory vector store over ``texts`` with deterministic fake embeddings."""
    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=16))
    store.add_documents([Document(page_content=text, metadata={"source": f"doc-{i}"}) for i, text in enumerate(texts)])
    return store


def format_docs(docs: Sequence[Document]) -> str:
    """The documents' texts, one paragraph each (as in LangChain's RAG tutorial)."""
    return "\n\n".join(doc.page_content for doc in docs)


class BrokenChat(GenericFakeChatModel):
    """A chat model whose provider is down: every call raises ``ConnectionError``."""

    messages: Iterator[AIMessage | str] = iter(())

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
        raise ConnectionError("provider unavailable (503)")
