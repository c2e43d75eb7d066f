"""chaintracer: traces of LangChain and LlamaIndex programs, stored locally, viewable offline."""

from chaintracer.session import SessionInfo
from chaintracer.spans import Result, Span, SpanKind, Status, StatusCode
from chaintracer.store import SessionNotFound, Store, StoreError
from chaintracer.tracer import Tracer

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
]
