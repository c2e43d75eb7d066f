"""One vocabulary of span kinds: their families and their names in W&B and OpenInference.

Kinds are the lowercase strings stored and exported (``SpanKind`` values). Everything that
groups or renames kinds reads this module, so the session summary, W&B's tables, W&B's Trace
panel and the OTLP export agree on what a retriever or a chat model is.
"""

from __future__ import annotations

KINDS = ("agent", "chain", "llm", "chat_model", "tool", "retriever", "embedding", "reranker", "parser", "prompt")

# A model call: counted in ``llm_calls``, carries tokens, gets readability metrics.
MODEL_KINDS = frozenset({"llm", "chat_model"})

# The counter family of a kind (``<family>_starts`` / ``<family>_ends``): the old W&B handler's
# families (llm, chain, tool, agent) plus those it did not know, each counted on its own.
FAMILY = {
    "agent": "agent",
    "chain": "chain",
    "parser": "chain",
    "prompt": "chain",
    "llm": "llm",
    "chat_model": "llm",
    "tool": "tool",
    "retriever": "retriever",
    "embedding": "embedding",
    "reranker": "reranker",
}
FAMILIES = ("agent", "chain", "embedding", "llm", "reranker", "retriever", "tool")

# W&B's Trace panel knows four kinds: chat models are LLMs, retrievers are tools, the rest chains.
WANDB_KIND = {"agent": "AGENT", "llm": "LLM", "chat_model": "LLM", "tool": "TOOL", "retriever": "TOOL"}

# OpenInference's span kinds (``openinference.span.kind``).
OPENINFERENCE_KIND = {
    "agent": "AGENT",
    "chain": "CHAIN",
    "llm": "LLM",
    "chat_model": "LLM",
    "tool": "TOOL",
    "retriever": "RETRIEVER",
    "embedding": "EMBEDDING",
    "reranker": "RERANKER",
    "parser": "CHAIN",
    "prompt": "CHAIN",
}


def family(kind: str) -> str:
    """The counter family of ``kind`` (unknown kinds count as chains)."""
    return FAMILY.get(kind, "chain")


def wandb_kind(kind: str) -> str:
    """W&B's name for ``kind``: AGENT, LLM, TOOL or CHAIN."""
    return WANDB_KIND.get(kind, "CHAIN")


def openinference_kind(kind: str) -> str:
    """OpenInference's name for ``kind`` (CHAIN for kinds it has no name for)."""
    return OPENINFERENCE_KIND.get(kind, "CHAIN")
