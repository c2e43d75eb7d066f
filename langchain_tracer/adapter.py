"""What the core tracer needs to know about LangChain (the ``chaintracer.adapter.Adapter``)."""

from __future__ import annotations

from typing import Any

from chaintracer.spans import Span
from langchain_tracer import convert
from langchain_tracer.architecture import describe


class LangChainAdapter:
    """Plain data for LangChain objects, architectures of runnables, texts of model calls."""

    name = "langchain"

    def simplify(self, value: Any) -> Any:
        return convert.simplify(value)

    def describe_asset(self, asset: Any) -> dict[str, Any] | None:
        return describe(asset)

    def model_texts(self, span: Span) -> tuple[str | None, str | None]:
        return convert.prompt_text(span.inputs), convert.output_text(span.outputs)

    def after_flush(self, finish: bool) -> None:
        pass
