"""Model architecture of a flushed LlamaIndex asset: its components and their parameters.

An index, query engine, chat engine, retriever, agent, workflow, LLM or tool is described as a
nested dict: type and kind, its parameters (top_k, query mode, response mode, model names,
temperature, max tokens...) and the components it holds (retriever, postprocessors, response
synthesizer, LLM, embedding model, tools with their descriptions, sub-engines, agents).
Components are found through the attributes LlamaIndex classes keep them in. Secrets: keys
that name credentials are masked here; the store's converter masks again by key name and
``SecretStr`` type.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from llama_index.core.agent.workflow import AgentWorkflow, BaseWorkflowAgent
from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.indices.base import BaseIndex
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.response_synthesizers.base import BaseSynthesizer
from llama_index.core.tools.types import BaseTool

from chaintracer.payloads import MASK, is_secret_key

MAX_DEPTH = 6
MAX_TEXT = 2000
# Where LlamaIndex classes keep their components (engines, retrievers, chat engines, routers).
_COMPONENT_ATTRS = (
    "_index",
    "_retriever",
    "_node_postprocessors",
    "_response_synthesizer",
    "_llm",
    "_embed_model",
    "_query_engine",
    "_query_engines",
    "_selector",
    "_question_gen",
    "_summarizer",
    "_memory",
)
_RESPONSE_MODES = {
    "Refine": "refine",
    "CompactAndRefine": "compact",
    "TreeSummarize": "tree_summarize",
    "SimpleSummarize": "simple_summarize",
    "Generation": "generation",
    "Accumulate": "accumulate",
    "CompactAndAccumulate": "compact_accumulate",
    "NoText": "no_text",
    "ContextOnly": "context_only",
}
_SKIPPED_FIELDS = frozenset(
    {
        "callback_manager",
        "messages_to_prompt",
        "completion_to_prompt",
        "output_parser",
        "rate_limiter",
        "query_wrapper_prompt",
        "embeddings_cache",
        "num_workers",
    }
)


def describe(asset: Any) -> dict[str, Any]:
    """The architecture dict of any LlamaIndex object."""
    return _describe(asset, 0, set())


def _describe(obj: Any, depth: int, seen: set[int]) -> dict[str, Any]:
    description: dict[str, Any] = {"type": type(obj).__name__}
    if depth >= MAX_DEPTH or id(obj) in seen:
        return description
    seen.add(id(obj))
    if isinstance(obj, BaseLLM):
        metadata = obj.metadata
        description["kind"] = "chat_model" if metadata.is_chat_model else "llm"
        description["model"] = metadata.model_name if metadata.model_name != "unknown" else type(obj).__name__
        description["params"] = {
            **_scalar_fields(obj),
            "context_window": metadata.context_window,
            "num_output": metadata.num_output,
            "is_function_calling_model": metadata.is_function_calling_model,
        }
        return description
    if isinstance(obj, BaseEmbedding):
        model = obj.model_name if obj.model_name and obj.model_name != "unknown" else type(obj).__name__
        description.update(kind="embedding", model=model, params=_scalar_fields(obj))
        return description
    if isinstance(obj, BaseTool):
        return _tool(obj, description, depth, seen)
    if isinstance(obj, BaseWorkflowAgent):
        description.update(
            kind="agent",
            name=obj.name,
            description=obj.description,
            system_prompt=_text(obj.system_prompt),
            streaming=obj.streaming,
        )
        if obj.can_handoff_to:
            description["can_handoff_to"] = list(obj.can_handoff_to)
        if obj.llm is not None:
            description["llm"] = _describe(obj.llm, depth + 1, seen)
        description["tools"] = [_describe(tool, depth + 1, seen) for tool in obj.tools or ()]
        return description
    if isinstance(obj, AgentWorkflow):
        description.update(
            kind="agent",
            root_agent=obj.root_agent,
            agents=[_describe(agent, depth + 1, seen) for agent in obj.agents.values()],
        )
        return description
    if isinstance(obj, BaseIndex):
        description["kind"] = "index"
        if not _is_uuid(obj.index_id):  # a generated id would change the description every run
            description["index_id"] = obj.index_id
        description["index_struct"] = type(obj.index_struct).__name__
        vector_store = getattr(obj, "vector_store", None)
        if vector_store is not None:
            description["vector_store"] = type(vector_store).__name__
        with contextlib.suppress(Exception):  # remote docstores may not list their documents
            description["documents"] = len(obj.docstore.docs)
    elif isinstance(obj, BaseRetriever):
        description["kind"] = "retriever"
        params = {
            "top_k": getattr(obj, "_similarity_top_k", None),
            "mode": _enum(getattr(obj, "_vector_store_query_mode", None)),
            "sparse_top_k": getattr(obj, "_sparse_top_k", None),
            "alpha": getattr(obj, "_alpha", None),
            "filters": getattr(obj, "_filters", None),
        }
        description["params"] = {key: value for key, value in params.items() if value is not None}
    elif isinstance(obj, BaseSynthesizer):
        description.update(
            kind="response_synthesizer",
            response_mode=_RESPONSE_MODES.get(type(obj).__name__, type(obj).__name__),
            streaming=getattr(obj, "_streaming", None),
        )
    elif isinstance(obj, BaseNodePostprocessor):
        description.update(kind="postprocessor", params=_scalar_fields(obj))
        return description
    elif isinstance(obj, BaseQueryEngine):
        description["kind"] = "query_engine"
    for attr in _COMPONENT_ATTRS:
        value = getattr(obj, attr, None)
        if value is None:
            continue
        key = attr.lstrip("_")
        if isinstance(value, dict):
            description[key] = {str(k): _describe(v, depth + 1, seen) for k, v in value.items()}
        elif isinstance(value, (list, tuple)):
            description[key] = [_describe(v, depth + 1, seen) for v in value]
        else:
            description[key] = _describe(value, depth + 1, seen)
    tools = getattr(obj, "_metadatas", None)  # routers and sub-question engines: their tools
    if tools:
        description["tools"] = [{"name": meta.name, "description": _text(meta.description)} for meta in tools]
    return description


def _tool(tool: BaseTool, description: dict[str, Any], depth: int, seen: set[int]) -> dict[str, Any]:
    metadata = tool.metadata
    description.update(
        kind="tool", name=metadata.name, description=_text(metadata.description), return_direct=metadata.return_direct
    )
    with contextlib.suppress(Exception):  # a tool without a schema
        description["args"] = metadata.get_parameters_dict()
    engine = getattr(tool, "query_engine", None)
    if engine is not None:  # QueryEngineTool
        description["query_engine"] = _describe(engine, depth + 1, seen)
    return description


def _scalar_fields(obj: Any) -> dict[str, Any]:
    """A pydantic component's simple fields (numbers, strings, flags), credentials masked."""
    fields: dict[str, Any] = {}
    for name in getattr(type(obj), "model_fields", {}):
        if name in _SKIPPED_FIELDS:
            continue
        value = getattr(obj, name, None)
        if is_secret_key(name) and value:
            fields[name] = MASK
        elif value is None or isinstance(value, (str, int, float, bool)):
            fields[name] = _text(value) if isinstance(value, str) else value
        elif type(value).__name__ in ("SecretStr", "SecretBytes"):
            fields[name] = MASK
        elif isinstance(value, dict) and len(value) <= 50:
            fields[name] = value
    return fields


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _enum(value: Any) -> Any:
    return getattr(value, "value", value)


def _text(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "..."
    return value
