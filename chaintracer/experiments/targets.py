"""What an experiment runs: a LangChain runnable, a LlamaIndex engine or agent, or a callable.

``adapt(target, params, framework)`` returns a ``Target``: which tracer records it (the
framework's own handler) and how one example is run under that tracer. Frameworks are
recognised by the classes of objects the user already built, so nothing is imported that the
user's program did not import first.

* LangChain runnable: ``runnable.invoke(inputs, config={"callbacks": [tracer], "configurable":
  params})``; params must name the runnable's configurable fields or alternatives.
* LlamaIndex query engine (``query``), chat engine (``chat`` with an empty history) or workflow
  agent (``run(user_msg=...)``), given the example's one input text; the tracer is instrumented
  for the run. Variants of these are whole targets (another engine), not params.
* Any callable: ``target(inputs, **params)`` (awaited if it is async). LangChain runs inside it
  are traced through LangChain's configure hook; with ``framework="llamaindex"`` (the default
  when only LlamaIndex is imported) LlamaIndex's dispatcher is instrumented instead.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FRAMEWORKS = ("langchain", "llamaindex", "none")
TEXT_INPUTS = ("query", "question", "input", "message", "user_msg", "text")


@dataclass
class Target:
    """One variant's target, ready to run examples."""

    framework: str  # which tracer records it: "langchain", "llamaindex" or "none"
    run: Callable[[Any, dict[str, Any]], Any]  # (tracer, inputs) -> output
    asset: Any  # what the session's architecture is captured from

    @property
    def architecture_source(self) -> Any:
        """The asset to capture an architecture from, or None: a plain function has none."""
        plain = inspect.isfunction(self.asset) or inspect.ismethod(self.asset) or inspect.isbuiltin(self.asset)
        return None if self.framework == "none" or plain else self.asset


def adapt(target: Any, params: dict[str, Any], framework: str | None = None) -> Target:
    """The ``Target`` for a user's target and a variant's params (TypeError/ValueError when unfit)."""
    if framework is not None and framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {', '.join(FRAMEWORKS)} or None, not {framework!r}")
    if _is(target, "langchain_core.runnables.base", "Runnable"):
        return _langchain_runnable(target, params)
    kind = _llamaindex_kind(target)
    if kind is not None:
        if params:
            raise TypeError(
                f"a LlamaIndex {kind} takes no variant params ({sorted(params)}); give each variant as its own "
                "engine or agent: variants={'a': engine_a, 'b': engine_b}"
            )
        return Target("llamaindex", _llamaindex_runner(target, kind), target)
    if callable(target):
        return _callable(target, params, framework or _default_framework())
    raise TypeError(
        "target must be a LangChain runnable, a LlamaIndex query/chat engine or workflow agent, or a callable "
        f"taking the example's inputs dict; not {type(target).__name__}"
    )


def _is(value: Any, module: str, name: str) -> bool:
    """isinstance against a framework class, without importing the framework."""
    loaded = sys.modules.get(module)
    cls = getattr(loaded, name, None) if loaded is not None else None
    return cls is not None and isinstance(value, cls)


def _default_framework() -> str:
    if "langchain_core" in sys.modules:
        return "langchain"
    if "llama_index.core" in sys.modules:
        return "llamaindex"
    return "none"


# -- LangChain ------------------------------------------------------------------------------


def _langchain_runnable(runnable: Any, params: dict[str, Any]) -> Target:
    if params:
        known = {spec.id for spec in runnable.config_specs}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(
                f"variant params {unknown} are not configurable fields of this runnable (it has: "
                f"{sorted(known) or 'none'}); declare them with configurable_fields(...) or "
                "configurable_alternatives(...)"
            )
    configurable = dict(params)

    def run(tracer: Any, inputs: dict[str, Any]) -> Any:
        config: dict[str, Any] = {"callbacks": [tracer]}
        if configurable:
            config["configurable"] = configurable
        return runnable.invoke(inputs, config=config)

    return Target("langchain", run, runnable)


_HOOK_LOCK = threading.Lock()
_handler_var: contextvars.ContextVar[Any] | None = None


def _langchain_hook() -> contextvars.ContextVar[Any]:
    """A context variable LangChain adds as a callback handler to every run started under it."""
    global _handler_var
    with _HOOK_LOCK:
        if _handler_var is None:
            from langchain_core.tracers.context import register_configure_hook

            variable: contextvars.ContextVar[Any] = contextvars.ContextVar("chaintracer_evaluate", default=None)
            register_configure_hook(variable, inheritable=True)
            _handler_var = variable
        return _handler_var


# -- LlamaIndex -----------------------------------------------------------------------------


def _llamaindex_kind(target: Any) -> str | None:
    if _is(target, "llama_index.core.base.base_query_engine", "BaseQueryEngine"):
        return "query engine"
    if _is(target, "llama_index.core.chat_engine.types", "BaseChatEngine"):
        return "chat engine"
    if _is(target, "llama_index.core.agent.workflow.base_agent", "BaseWorkflowAgent"):
        return "agent"
    if _is(target, "llama_index.core.agent.workflow.multi_agent_workflow", "AgentWorkflow"):
        return "agent"
    return None


def _llamaindex_runner(target: Any, kind: str) -> Callable[[Any, dict[str, Any]], Any]:
    def run(tracer: Any, inputs: dict[str, Any]) -> Any:
        text = input_text(inputs)
        if kind == "query engine":
            return target.query(text)
        if kind == "chat engine":
            return target.chat(text, chat_history=[])

        async def ask() -> Any:
            return await target.run(user_msg=text)

        return asyncio.run(ask())

    return run


def input_text(inputs: dict[str, Any]) -> str:
    """The one text of an example's inputs, for targets that take a text (LlamaIndex engines)."""
    if len(inputs) == 1:
        (value,) = inputs.values()
    else:
        named = [key for key in TEXT_INPUTS if key in inputs]
        if not named:
            raise ValueError(
                f"this target takes one text; the example's inputs {sorted(inputs)} have several keys "
                f"and none of {', '.join(TEXT_INPUTS)}"
            )
        value = inputs[named[0]]
    if not isinstance(value, str):
        raise TypeError(f"this target takes a text; the example's input is {type(value).__name__}: {value!r:.80}")
    return value


# -- callables ------------------------------------------------------------------------------


def _callable(function: Callable[..., Any], params: dict[str, Any], framework: str) -> Target:
    _check_keywords(function, params)

    def call(inputs: dict[str, Any]) -> Any:
        result = function(inputs, **params)
        if inspect.isawaitable(result):
            return asyncio.run(_awaited(result))
        return result

    if framework == "langchain":
        variable = _langchain_hook()

        def run(tracer: Any, inputs: dict[str, Any]) -> Any:
            token = variable.set(tracer)
            try:
                return call(inputs)
            finally:
                variable.reset(token)

        return Target("langchain", run, function)
    return Target(framework, lambda tracer, inputs: call(inputs), function)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _check_keywords(function: Callable[..., Any], params: dict[str, Any]) -> None:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return
    try:
        signature.bind({}, **params)
    except TypeError as exc:
        raise TypeError(
            f"target {getattr(function, '__name__', function)!r} cannot be called as target(inputs, **params) "
            f"with params {sorted(params)}: {exc}"
        ) from None
