"""chaintracer: traces of LangChain and LlamaIndex programs, stored locally, viewable offline."""

from typing import TYPE_CHECKING, Any

from chaintracer.session import SessionInfo
from chaintracer.spans import Result, Span, SpanKind, Status, StatusCode
from chaintracer.store import SessionNotFound, Store, StoreError
from chaintracer.tracer import Tracer

if TYPE_CHECKING:
    from chaintracer import scorers
    from chaintracer.experiments import evaluate

__version__ = "0.1.0"

__all__ = [
    "Result",
    "SessionInfo",
    "SessionNotFound",
    "Span",
    "SpanKind",
    "Status",
    "StatusCode",
    "Store",
    "StoreError",
    "Tracer",
    "__version__",
    "evaluate",
    "scorers",
]


def __getattr__(name: str) -> Any:
    # Experiments load on first use: `import chaintracer` stays small and fast.
    if name == "evaluate":
        from chaintracer.experiments import evaluate

        return evaluate
    if name == "scorers":
        import importlib

        return importlib.import_module("chaintracer.scorers")
    raise AttributeError(f"module 'chaintracer' has no attribute {name!r}")
