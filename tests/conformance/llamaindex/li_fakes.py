"""A ``CustomLLM`` written the way LlamaIndex documents it, answering offline and counting its calls.

Source: https://developers.llamaindex.ai/python/framework/module_guides/models/llms/usage_custom/index.md
("Example: Using a Custom LLM Model - Advanced"): implement ``metadata``, ``complete`` and
``stream_complete`` with ``@llm_completion_callback()``; ``CustomLLM.chat`` turns the messages
into a prompt and calls ``complete`` (https://developers.llamaindex.ai/python/framework-api-reference/llms/custom_llm).
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import Any

from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
from llama_index.core.llms.callbacks import llm_completion_callback

_LOCK = threading.Lock()


class EchoLLM(CustomLLM):
    """Answers "Echo: <last prompt line>" and reports OpenAI-style usage (words as tokens)."""

    context_window: int = 3900
    num_output: int = 256
    model_name: str = "echo-1"

    _calls: int = PrivateAttr(default=0)
    _reported: list[dict[str, int]] = PrivateAttr(default_factory=list)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self.context_window, num_output=self.num_output, model_name=self.model_name)

    def _answer(self, prompt: str) -> CompletionResponse:
        lines = [line for line in prompt.splitlines() if line.strip()]
        text = f"Echo: {lines[-1].strip() if lines else ''}"
        prompt_tokens, completion_tokens = len(prompt.split()), len(text.split())
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        with _LOCK:
            self._calls += 1
            self._reported.append(usage)
        return CompletionResponse(text=text, raw={"model": self.model_name, "usage": dict(usage)})

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return self._answer(prompt)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> Generator[CompletionResponse, None, None]:
        answer = self._answer(prompt)
        words = answer.text.split(" ")
        text = ""
        for n, word in enumerate(words):
            delta = word if n == 0 else " " + word
            text += delta
            yield CompletionResponse(text=text, delta=delta, raw=answer.raw if n == len(words) - 1 else None)

    @property
    def calls(self) -> int:
        return self._calls

    @property
    def reported_tokens(self) -> dict[str, int]:
        with _LOCK:
            reported = list(self._reported)
        return {key: sum(usage[f"{key}_tokens"] for usage in reported) for key in ("prompt", "completion", "total")}
