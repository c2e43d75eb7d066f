"""Reading LlamaIndex objects: span kinds, model names and parameters, token usage, plain data.

``simplify`` runs in the encoding worker (never in a callback). The helpers used on the hot
path (``infer_kind``, ``model_name``, ``token_usage``) read a few attributes only; the span
kind of a class is computed once per (class, method) by the caller's cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import AsyncGeneratorType, GeneratorType
from typing import Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse, ToolCallBlock
from llama_index.core.base.response.schema import AsyncStreamingResponse, Response, StreamingResponse
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.structured_llm import StructuredLLM
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.prompts.base import BasePromptTemplate
from llama_index.core.schema import BaseComponent, BaseNode, NodeWithScore, QueryBundle, TransformComponent
from llama_index.core.tools.types import BaseTool, ToolMetadata, ToolOutput
from llama_index.core.workflow import Context, Event, StopEvent, Workflow

from chaintracer.payloads import NOT_SIMPLIFIED
from chaintracer.usage import usage_counts

# Workflow runtime state passed to dispatcher spans: large and internal.
_OPAQUE = frozenset({"BrokerState", "ContextStateStore", "InMemoryStateStore"})
CHAT_METHODS = frozenset({"chat", "achat", "stream_chat", "astream_chat"})
COMPLETION_METHODS = frozenset({"complete", "acomplete", "stream_complete", "astream_complete"})
_NODE_VECTOR = re.compile(r"embedding=\[([^\]]*)\]")
# Stored node text is cut here: enough to recognise a chunk, not a copy of the corpus.
MAX_NODE_CHARS = 500
PARAM_NAMES = (
    "model",
    "model_name",
    "temperature",
    "max_tokens",
    "max_new_tokens",
    "num_output",
    "top_p",
    "top_k",
    "context_window",
    "is_chat_model",
    "is_function_calling_model",
    "timeout",
    "max_retries",
    "additional_kwargs",
)


def infer_kind(instance: Any, method: str) -> str:
    """The span kind of ``instance.method`` (a ``@dispatcher.span`` method)."""
    if isinstance(instance, StructuredLLM):
        return "chain"  # folds.FOLD["structured-llm"]: the wrapped LLM's own span is the model call
    if isinstance(instance, BaseLLM):
        if method in CHAT_METHODS:
            return "chat_model"
        # predict/stream/structured_predict format a prompt and then call chat or complete:
        # a chain around the model call, so that one call is counted once.
        return "llm" if method in COMPLETION_METHODS else "chain"
    if isinstance(instance, BaseEmbedding):
        return "embedding"
    if isinstance(instance, BaseRetriever):
        return "retriever"
    if isinstance(instance, BaseNodePostprocessor):
        return "reranker"
    if isinstance(instance, BaseTool):
        return "tool"
    if isinstance(instance, Workflow):  # FunctionAgent, ReActAgent, AgentWorkflow, any workflow
        return "agent"
    if isinstance(instance, TransformComponent):  # node parsers and text splitters
        return "parser"
    if isinstance(instance, BasePromptTemplate):
        return "prompt"
    return "chain"  # query and chat engines, synthesizers, selectors, anything else


def model_name(instance: Any) -> str:
    """The model a component calls: its ``model``/``model_name`` field, else its class name."""
    # Read the instance dict: getattr of a missing field goes through pydantic's slow
    # ``__getattr__`` (an exception per miss), and this runs once per model span.
    fields = getattr(instance, "__dict__", None) or {}
    for attr in ("model", "model_name"):
        value = fields.get(attr)
        if isinstance(value, str) and value and value != "unknown":
            return value
    return type(instance).__name__


def model_name_from_dict(model_dict: Mapping[str, Any] | None, default: str) -> str:
    """The model name in a LlamaIndex ``to_payload()``/``to_dict()`` dict."""
    if model_dict:
        for key in ("model", "model_name"):
            value = model_dict.get(key)
            if isinstance(value, str) and value and value != "unknown":
                return value
        if model_dict.get("class_name"):
            return str(model_dict["class_name"])
    return default


class ModelParams:
    """A model's parameters, read when the trace is encoded rather than on the caller's thread."""

    __slots__ = ("instance",)

    def __init__(self, instance: Any) -> None:
        self.instance = instance

    def read(self) -> dict[str, Any]:
        instance = self.instance
        fields = getattr(instance, "__dict__", None) or {}
        params: dict[str, Any] = {"class_name": type(instance).__name__}
        for name in PARAM_NAMES:
            value = fields.get(name)
            if value is not None and value != {}:
                params[name] = value
        return params


class EmbeddingSummary:
    """Embedding vectors reduced to what a trace needs: how many and how long, never the numbers.

    Holds what an embedding call returned: vectors, one vector, or the nodes an embedding
    transformation (``BaseEmbedding.__call__`` in an ``IngestionPipeline``) filled in.
    """

    __slots__ = ("vectors",)

    def __init__(self, vectors: Any) -> None:
        self.vectors = vectors

    def read(self) -> dict[str, Any]:
        vectors = self.vectors
        if isinstance(vectors, list) and vectors and isinstance(vectors[0], BaseNode):
            vectors = [node.embedding for node in vectors if node.embedding is not None]
        if isinstance(vectors, list) and vectors and not isinstance(vectors[0], (list, tuple, dict)):
            return {"count": 1, "dimension": len(vectors)}
        if isinstance(vectors, (list, tuple)):
            first: Any = vectors[0] if vectors else None
            return {"count": len(vectors), "dimension": len(first) if hasattr(first, "__len__") else None}
        return {"count": None, "dimension": None}


def token_usage(response: Any) -> dict[str, int] | None:
    """Prompt/completion/total tokens of a ``ChatResponse``/``CompletionResponse``, if reported."""
    raw = getattr(response, "raw", None)
    usage = None
    if raw is not None:
        for key in ("usage", "usage_metadata", "token_usage"):
            usage = raw.get(key) if isinstance(raw, Mapping) else getattr(raw, key, None)
            if usage is not None:
                break
    counts = usage_counts(usage) if usage is not None else None
    if counts is None:  # some integrations copy the counts into additional_kwargs
        extra = getattr(response, "additional_kwargs", None)
        counts = usage_counts(extra) if isinstance(extra, Mapping) else None
    return counts


def simplify(value: Any) -> Any:
    """Plain data for LlamaIndex objects; ``NOT_SIMPLIFIED`` for anything else.

    Which reader applies is decided once per class (``_READERS``): an object costs a dict
    lookup, not the chain of ``isinstance`` checks below.
    """
    kind = type(value)
    reader = _READERS.get(kind)
    if reader is None:
        if len(_READERS) >= _MAX_CLASSES:  # classes made on the fly must not grow it without bound
            _READERS.clear()
        reader = _READERS[kind] = _reader_for(kind)
    return reader(value)


def _reader_for(kind: type) -> Callable[[Any], Any]:
    """The function that reads objects of class ``kind`` into plain data."""
    if issubclass(kind, NodeWithScore):
        return _scored_node
    if issubclass(kind, BaseNode):
        return _node
    if issubclass(kind, ChatMessage):
        return _message
    if issubclass(kind, QueryBundle):
        return lambda value: value.query_str  # never its embedding
    if issubclass(kind, (EmbeddingSummary, ModelParams)):
        return lambda value: value.read()
    if issubclass(kind, ChatResponse):
        return lambda value: {"message": value.message}
    if issubclass(kind, CompletionResponse):
        return lambda value: {"text": value.text}
    if issubclass(kind, Response):
        return lambda value: {"response": value.response, "source_nodes": value.source_nodes}
    if issubclass(kind, (StreamingResponse, AsyncStreamingResponse)):
        return lambda value: {"response": value.response_txt, "source_nodes": value.source_nodes}
    if issubclass(kind, ToolOutput):
        return _tool_output
    if issubclass(kind, ToolSelection):
        return lambda value: {"tool_id": value.tool_id, "tool_name": value.tool_name, "tool_kwargs": value.tool_kwargs}
    if issubclass(kind, ToolMetadata):
        return lambda value: {"name": value.name, "description": value.description}
    if issubclass(kind, BaseTool):
        return lambda value: {"tool": value.metadata.name}
    if issubclass(kind, BasePromptTemplate):
        return lambda value: {"template": _template(value)}
    if issubclass(kind, Event):
        return _event
    if issubclass(kind, Context) or kind.__name__ in _OPAQUE:
        return lambda value: {"_type": type(value).__name__}  # a workflow's whole state: not an input worth storing
    if issubclass(kind, (BaseLLM, BaseEmbedding)):
        return lambda value: {"_type": type(value).__name__, "model": model_name(value)}
    if issubclass(kind, (BaseComponent, BaseQueryEngine)):
        return lambda value: {"_type": type(value).__name__}
    if issubclass(kind, (GeneratorType, AsyncGeneratorType)):
        return lambda value: {"_type": "stream"}
    return _sub_question  # read by duck typing: per object


def _scored_node(value: NodeWithScore) -> dict[str, Any]:
    data = _node(value.node)
    data["score"] = value.score
    return data


def _tool_output(value: ToolOutput) -> dict[str, Any]:
    content = without_vectors(value.content)
    out: dict[str, Any] = {"tool_name": value.tool_name, "content": content, "raw_input": value.raw_input}
    if value.is_error:
        out["is_error"] = True
    return out


def _sub_question(value: Any) -> Any:
    if hasattr(value, "sub_q") and hasattr(value, "answer"):  # SubQuestionAnswerPair
        sub_q = value.sub_q
        return {
            "sub_question": getattr(sub_q, "sub_question", None),
            "tool_name": getattr(sub_q, "tool_name", None),
            "answer": value.answer,
        }
    return NOT_SIMPLIFIED


_MAX_CLASSES = 4096
_READERS: dict[type, Callable[[Any], Any]] = {}


def without_vectors(text: Any) -> Any:
    """``text`` with the embedding vectors of node reprs (``embedding=[0.5, ...]``) summarised.

    ``str()`` of a container of nodes shows each node's vector: a tool returning such a
    container gives LlamaIndex a ``ToolOutput.content`` (and the next model call a message)
    full of numbers. A trace keeps ``embedding=<8 floats>`` instead.
    """
    if type(text) is not str or "embedding=[" not in text:
        return text
    return _NODE_VECTOR.sub(lambda m: f"embedding=<{m.group(1).count(',') + 1} floats>", text)


def _node(node: BaseNode) -> dict[str, Any]:
    try:
        text = node.get_content()
    except Exception:
        text = ""
    if len(text) > MAX_NODE_CHARS:
        text = text[:MAX_NODE_CHARS] + f"... [truncated: {len(text) - MAX_NODE_CHARS} more chars]"
    data: dict[str, Any] = {"id": node.node_id, "text": text}
    if node.metadata:
        data["metadata"] = node.metadata
    return data


def _message(message: ChatMessage) -> dict[str, Any]:
    role = message.role
    content = message.content
    data: dict[str, Any] = {"role": getattr(role, "value", role), "content": without_vectors(content)}
    calls = [block for block in message.blocks if isinstance(block, ToolCallBlock)]
    if calls:
        data["tool_calls"] = [
            {"id": call.tool_call_id, "name": call.tool_name, "args": call.tool_kwargs} for call in calls
        ]
    if message.additional_kwargs:
        data["additional_kwargs"] = message.additional_kwargs
    return data


def _template(prompt: BasePromptTemplate) -> Any:
    try:
        return prompt.get_template()
    except Exception:
        return type(prompt).__name__


def _event(event: Event) -> dict[str, Any]:
    data: dict[str, Any] = {"_type": type(event).__name__}
    for name in type(event).model_fields:
        data[name] = getattr(event, name, None)
    extra = getattr(event, "_data", None)
    if extra:
        data.update(extra)
    if isinstance(event, StopEvent):
        data["result"] = getattr(event, "result", None)
    return data


def prompt_text(inputs: Any) -> str | None:
    """The text sent to a model: a completion prompt, or the chat messages' text content."""
    if not isinstance(inputs, dict):
        return None
    for key in ("prompt", "formatted_prompt"):  # instrumentation / legacy payload
        if isinstance(inputs.get(key), str):
            return inputs[key]
    messages = inputs.get("messages")
    if isinstance(messages, (list, tuple)):
        parts = [getattr(message, "content", None) for message in messages]
        return "\n".join(part for part in parts if isinstance(part, str)) or None
    return None


def output_text(outputs: Any) -> str | None:
    """The text a model answered: a CompletionResponse's text or a ChatResponse's message."""
    if isinstance(outputs, dict):  # the legacy path keeps the response under its payload key
        outputs = outputs.get("response") or outputs.get("completion")
    text = getattr(outputs, "text", None)
    if not isinstance(text, str):
        text = getattr(getattr(outputs, "message", None), "content", None)
    return text if isinstance(text, str) and text else None
