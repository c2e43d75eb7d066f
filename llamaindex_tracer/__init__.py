"""LlamaIndex integration (callback manager and instrumentation dispatcher)."""
