"""What the core tracer needs to know about LlamaIndex (the ``chaintracer.adapter.Adapter``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chaintracer.spans import Span
from llamaindex_tracer import convert
from llamaindex_tracer.architecture import describe

if TYPE_CHECKING:
    from llamaindex_tracer.tracer import Tracer


class LlamaIndexAdapter:
    """Plain data for LlamaIndex objects, architectures of engines and agents, model texts."""

    name = "llamaindex"

    def __init__(self, handler: Tracer) -> None:
        self._handler = handler  # forgets its per-session state after each flush

    def simplify(self, value: Any) -> Any:
        return convert.simplify(value)

    def describe_asset(self, asset: Any) -> dict[str, Any] | None:
        return describe(asset)

    def model_texts(self, span: Span) -> tuple[str | None, str | None]:
        return convert.prompt_text(span.inputs), convert.output_text(span.outputs)

    def after_flush(self, finish: bool) -> None:
        self._handler._after_flush(finish)
