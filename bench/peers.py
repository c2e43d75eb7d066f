"""The peers the benchmarks compare with: the frameworks' own tracers and OpenInference.

OpenInference (``openinference-instrumentation-langchain`` / ``-llama-index``) is measured only
where it is installed: ``make bench`` installs it into .venv (the ``bench`` extra); the tests
never need it. Its spans go through the OpenTelemetry SDK's ``BatchSpanProcessor`` to an
exporter that drops them, so the figure is OpenInference's and the SDK's work, not a network's.
"""

from __future__ import annotations

from typing import Any


class DiscardExporter:
    """An OpenTelemetry span exporter that accepts every batch and keeps nothing."""

    def export(self, spans: Any) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def otel_provider() -> Any:
    """A tracer provider batching spans to ``DiscardExporter`` (None without the OpenTelemetry SDK)."""
    try:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        return None
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(DiscardExporter()))  # type: ignore[arg-type]
    return provider


def _oi_tracer(provider: Any, module: str) -> Any:
    from openinference.instrumentation import OITracer, TraceConfig
    from opentelemetry import trace as trace_api

    return OITracer(trace_api.get_tracer(module, None, provider), config=TraceConfig())


def openinference_langchain() -> tuple[Any, Any] | None:
    """(OpenInference's LangChain callback handler, its tracer provider), or None when not installed."""
    provider = otel_provider()
    try:
        from openinference.instrumentation.langchain._tracer import OpenInferenceTracer
    except ImportError:
        return None
    if provider is None:
        return None
    tracer = _oi_tracer(provider, "openinference.instrumentation.langchain")
    return OpenInferenceTracer(tracer, separate_trace_from_runtime_context=True), provider


def openinference_llamaindex_callback() -> tuple[Any, Any] | None:
    """(OpenInference's LlamaIndex legacy callback handler, its provider), or None when not installed."""
    provider = otel_provider()
    try:
        from openinference.instrumentation.llama_index._callback import OpenInferenceTraceCallbackHandler
    except ImportError:
        return None
    if provider is None:
        return None
    return OpenInferenceTraceCallbackHandler(tracer=_oi_tracer(provider, "openinference.llama_index")), provider


def openinference_llamaindex_instrumentor() -> tuple[Any, Any] | None:
    """(OpenInference's LlamaIndex instrumentor, its provider): ``instrument``/``uninstrument`` toggle it."""
    provider = otel_provider()
    try:
        from openinference.instrumentation.llama_index import LlamaIndexInstrumentor
    except ImportError:
        return None
    if provider is None:
        return None
    return LlamaIndexInstrumentor(), provider
