"""LangChain integration: ``callbacks=[Tracer()]`` on any chain, model, tool, agent or graph."""

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    raise ImportError(
        "langchain_tracer needs LangChain (langchain-core); install it with: pip install 'chaintracer[langchain]'"
    ) from exc

from langchain_tracer.tracer import Tracer

__all__ = ["Tracer"]
