"""LlamaIndex integration: the legacy callback manager and the instrumentation dispatcher.

```python
from llama_index.core import Settings
from llama_index.core.callbacks import CallbackManager
from llamaindex_tracer import Tracer

tracer = Tracer(project="rag_demo")
Settings.callback_manager = CallbackManager([tracer])  # legacy events (or set_global_handler(tracer))
tracer.instrument()                                     # workflow agents and every dispatcher span
answer = index.as_query_engine().query("What did the author do growing up?")
tracer.flush_tracker(query_engine, name="rag")
```
"""

try:
    import llama_index.core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    raise ImportError(
        "llamaindex_tracer needs LlamaIndex (llama-index-core); install it with: pip install 'chaintracer[llamaindex]'"
    ) from exc

from llamaindex_tracer.tracer import Tracer, set_global_handler

__all__ = ["Tracer", "set_global_handler"]
