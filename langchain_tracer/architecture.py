"""Model architecture of a flushed LangChain asset: graph, components and their parameters.

What W&B's Trace panel shows as "model architecture": for runnables their graph (nodes with
class names and non-secret parameters, edges); for models their parameters; for LangGraph
graphs and ``create_agent`` agents the graph, the models its nodes call and the tools.
Secrets: keys LangChain marks in ``lc_secrets`` are masked here; the store's converter also
masks by key name and ``SecretStr`` type.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseLanguageModel
from langchain_core.prompts import BasePromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableBinding
from langchain_core.runnables.base import RunnableBindingBase
from langchain_core.runnables.graph import Graph, is_uuid
from langchain_core.tools import BaseTool

from chaintracer.payloads import MASK

MAX_TEMPLATE_CHARS = 2000


def describe(asset: Any) -> dict[str, Any]:
    """The architecture dict of any LangChain object (model, tool, runnable, graph)."""
    if isinstance(asset, (BaseLanguageModel, BaseTool, BasePromptTemplate, BaseRetriever)):
        return component(asset)
    if isinstance(asset, Runnable):
        nodes, edges = _graph(asset)
        models: dict[int, dict[str, Any]] = {}
        tools: dict[str, dict[str, Any]] = {}
        for runnable in _graph_runnables(asset):
            for found in _referenced(runnable):
                if isinstance(found, BaseTool):
                    tools.setdefault(found.name, component(found))
                elif isinstance(found, BaseLanguageModel):
                    models.setdefault(id(found), component(found))
        # with_config()/bind() wrap a chain in a RunnableBinding: name what it wraps, by the
        # run_name its runs get (which also names its W&B model artifact).
        inner = asset.bound if isinstance(asset, RunnableBinding) else asset
        run_name = (asset.config or {}).get("run_name") if isinstance(asset, RunnableBinding) else None
        description: dict[str, Any] = {
            "type": type(inner).__name__,
            "name": run_name or asset.get_name(),
            "nodes": nodes,
            "edges": edges,
        }
        if models:
            description["models"] = list(models.values())
        if tools:
            description["tools"] = list(tools.values())
        return description
    return {"type": type(asset).__name__}


def component(runnable: Any) -> dict[str, Any]:
    """Class, kind and parameters of one component."""
    if isinstance(runnable, RunnableBinding):
        inner = component(runnable.bound)
        if runnable.kwargs:
            inner["bound_kwargs"] = {k: v for k, v in runnable.kwargs.items() if k != "tools"}
            if "tools" in runnable.kwargs:
                inner["bound_tools"] = [_tool_name(tool) for tool in runnable.kwargs["tools"]]
        return inner
    description: dict[str, Any] = {"type": type(runnable).__name__}
    if isinstance(runnable, BaseLanguageModel):
        description["kind"] = "chat_model" if _is_chat(runnable) else "llm"
        description["params"] = _model_params(runnable)
    elif isinstance(runnable, BaseTool):
        description.update(kind="tool", name=runnable.name, description=runnable.description, args=_tool_args(runnable))
    elif isinstance(runnable, BasePromptTemplate):
        description.update(kind="prompt", params=_prompt_params(runnable))
    elif isinstance(runnable, BaseRetriever):
        description.update(
            kind="retriever", params=_public_fields(runnable, ("search_type", "search_kwargs", "k", "tags"))
        )
    elif hasattr(runnable, "tools_by_name"):  # LangGraph's ToolNode, without importing langgraph
        description.update(kind="tool", tools=[component(tool) for tool in runnable.tools_by_name.values()])
    else:
        func = getattr(runnable, "func", None)
        if callable(func):
            description["function"] = getattr(func, "__qualname__", repr(func))
    return description


def _graph(asset: Runnable) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    try:
        graph = _draw(asset)
    except Exception as exc:  # some runnables cannot draw themselves; keep the rest
        return [{"id": "0", "name": asset.get_name(), "type": type(asset).__name__, "error": str(exc)}], []
    # LangChain names unnamed nodes with random uuids: number them by position instead, as
    # Graph.to_json does, so the same asset always gets the same description (and W&B hash).
    ids = {node_id: str(index) if is_uuid(node_id) else str(node_id) for index, node_id in enumerate(graph.nodes)}
    nodes = []
    for node_id, node in graph.nodes.items():
        data = node.data
        entry: dict[str, Any] = {"id": ids[node_id], "name": node.name}
        if isinstance(data, Runnable):
            entry.update(component(data))
        elif data is None:
            entry["type"] = "marker"
        else:
            entry["type"] = "schema"
        nodes.append(entry)
    edges = [
        {
            "source": ids.get(edge.source, str(edge.source)),
            "target": ids.get(edge.target, str(edge.target)),
            "conditional": bool(edge.conditional),
            **({"label": str(edge.data)} if edge.data is not None else {}),
        }
        for edge in graph.edges
    ]
    return nodes, edges


def _draw(asset: Runnable) -> Graph:
    """LangChain's drawing of ``asset``, also of bindings that draw only with a config.

    A binding draws what it binds, after merging the config; ``RunnableWithMessageHistory``'s
    merge demands a session id and opens that session's history (user code, e.g. a database).
    Drawing what it binds gives the same graph without calling anything of the user's.
    """
    try:
        return asset.get_graph()
    except Exception:
        if isinstance(asset, RunnableBindingBase):
            return _draw(asset.bound)
        raise


def _graph_runnables(asset: Runnable) -> list[Any]:
    try:
        return [node.data for node in _draw(asset).nodes.values() if isinstance(node.data, Runnable)]
    except Exception:
        return [asset]


def _referenced(runnable: Any) -> list[Any]:
    """Models and tools a node uses: itself, bound ones, ToolNode tools, or its function's closure."""
    found: list[Any] = []
    if isinstance(runnable, RunnableBinding):
        found.append(runnable.bound)
        found.extend(runnable.kwargs.get("tools") or ())
    elif isinstance(runnable, (BaseLanguageModel, BaseTool)):
        found.append(runnable)
    tools_by_name = getattr(runnable, "tools_by_name", None)  # LangGraph's ToolNode, without importing langgraph
    if isinstance(tools_by_name, dict):
        found.extend(tools_by_name.values())
    func = getattr(runnable, "func", None)
    for cell in getattr(func, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        values = value if isinstance(value, (list, tuple)) else (value,)
        found.extend(v for v in values if isinstance(v, (BaseLanguageModel, BaseTool, RunnableBinding)))
    return [item.bound if isinstance(item, RunnableBinding) else item for item in found]


def _is_chat(model: BaseLanguageModel) -> bool:
    from langchain_core.language_models import BaseChatModel

    return isinstance(model, BaseChatModel)


def _model_params(model: BaseLanguageModel) -> dict[str, Any]:
    try:
        params = dict(model._identifying_params)
    except Exception:
        params = {}
    params.setdefault("_type", getattr(model, "_llm_type", type(model).__name__))
    for name in ("temperature", "max_tokens", "top_p", "model_name", "model"):
        if name not in params and getattr(model, name, None) is not None:
            params[name] = getattr(model, name)
    secrets = getattr(model, "lc_secrets", None) or {}
    for key in secrets:
        if key in params:
            params[key] = MASK
    return params


def _prompt_params(prompt: BasePromptTemplate) -> dict[str, Any]:
    params: dict[str, Any] = {"input_variables": list(prompt.input_variables)}
    template = getattr(prompt, "template", None)
    if isinstance(template, str):
        params["template"] = template[:MAX_TEMPLATE_CHARS]
    messages = getattr(prompt, "messages", None)
    if messages:
        params["messages"] = [
            {
                "type": type(message).__name__,
                "template": str(getattr(getattr(message, "prompt", None), "template", ""))[:MAX_TEMPLATE_CHARS],
            }
            for message in messages
        ]
    return params


def _tool_args(tool: BaseTool) -> Any:
    try:
        return tool.args
    except Exception:
        return None


def _tool_name(tool: Any) -> str:
    if isinstance(tool, BaseTool):
        return tool.name
    if isinstance(tool, dict):
        return str(tool.get("name") or tool.get("function", {}).get("name") or "tool")
    return getattr(tool, "__name__", type(tool).__name__)


def _public_fields(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names if getattr(obj, name, None) is not None}
