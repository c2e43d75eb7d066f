"""LangChain callback events -> chaintracer recorder calls.

One fixed shape: every ``on_*`` is guarded, spans are keyed by ``run_id``, parents come from
``parent_run_id`` only. Each method does the least it can: it stores references to what
LangChain passed and leaves conversion to the encoding worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

import chaintracer
from chaintracer.guard import guarded, raise_internal_errors
from chaintracer.handle import CoreHandle
from langchain_tracer import convert
from langchain_tracer.adapter import LangChainAdapter

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langchain_core.agents import AgentAction, AgentFinish
    from langchain_core.documents import Document
    from langchain_core.messages import BaseMessage
    from langchain_core.outputs import LLMResult


class Tracer(BaseCallbackHandler, CoreHandle):
    """A LangChain callback handler that records every run as a span of a nested trace.

    Pass it as ``callbacks=[tracer]`` (or ``config={"callbacks": [tracer]}``) to any runnable,
    model, tool, agent or LangGraph graph; call ``flush_tracker(asset, name=...)`` after each
    scenario. Settings are those of ``chaintracer.Tracer``, which this handler holds and
    delegates to (sessions, store, exporters).
    """

    # Called on the thread that runs the step, also from async code: no thread-pool hop.
    run_inline = True

    def __init__(self, *args: Any, **settings: Any) -> None:
        super().__init__()
        self._core = chaintracer.Tracer(*args, adapter=LangChainAdapter(), **settings)
        self._errors = self._core._errors  # for @guarded: one error path with the core's threads
        self._batches = convert.BatchUsage()

    @property
    def raise_error(self) -> bool:  # type: ignore[override]
        # LangChain swallows handler errors unless this is set; the test suite wants them.
        return raise_internal_errors()

    # -- chains -------------------------------------------------------------------------

    @guarded
    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or convert.serialized_name(serialized, "chain")
        attributes: dict[str, Any] = {}
        if tags:
            attributes["tags"] = tags
        if metadata:
            attributes["metadata"] = metadata
        kind = convert.chain_kind(kwargs.get("run_type"), name, serialized, metadata)
        self._core.recorder.start(run_id, parent_run_id, kind, name, inputs, attributes)

    @guarded
    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        # Streamed runs start with a placeholder input and pass the real one here.
        self._core.recorder.end(run_id, outputs, kwargs.get("inputs"))

    @guarded
    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._core.recorder.fail(run_id, error, kwargs.get("inputs"))

    # -- models -------------------------------------------------------------------------

    @guarded
    def on_llm_start(
        self,
        serialized: dict[str, Any] | None,
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._start_model("llm", serialized, prompts, run_id, parent_run_id, tags, metadata, kwargs)
        # Chat models call the provider once per prompt; completion models once for the batch.
        self._batches.start(run_id, kwargs.get("invocation_params"), kwargs.get("batch_size"))

    @guarded
    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._start_model("chat_model", serialized, messages, run_id, parent_run_id, tags, metadata, kwargs)

    def _start_model(
        self,
        kind: str,
        serialized: dict[str, Any] | None,
        inputs: Any,
        run_id: UUID,
        parent_run_id: UUID | None,
        tags: list[str] | None,
        metadata: dict[str, Any] | None,
        kwargs: dict[str, Any],
    ) -> None:
        name = kwargs.get("name") or convert.serialized_name(serialized, kind)
        params = kwargs.get("invocation_params") or {}
        attributes: dict[str, Any] = {"model": convert.model_name(params, metadata, name)}
        if params:
            attributes["invocation_params"] = params
        if tags:
            attributes["tags"] = tags
        if metadata:
            attributes["metadata"] = metadata
        self._core.recorder.start(run_id, parent_run_id, kind, name, inputs, attributes)

    @guarded
    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._core.recorder.add_chunk(run_id)

    @guarded
    def on_stream_event(self, event: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if isinstance(event, dict) and event.get("event") == "content-block-delta":
            self._core.recorder.add_chunk(run_id)

    @guarded
    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        recorder = self._core.recorder
        # Model calls are rare next to chain steps and cost milliseconds: reading the usage
        # here keeps the encoder framework-neutral.
        usage = convert.generation_usage(response)
        if usage is None:
            usage = self._batches.usage(run_id, convert.call_usage(response))
        else:
            self._batches.discard(run_id)  # reported per generation: already this run's own
        if usage:
            recorder.annotate(run_id, "tokens", usage)
        served_by, finish_reason = convert.response_details(response)
        if served_by:
            recorder.annotate(run_id, "response_model", served_by)
        if finish_reason:
            recorder.annotate(run_id, "finish_reason", finish_reason)
        recorder.end(run_id, response)

    @guarded
    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._batches.discard(run_id)
        self._core.recorder.fail(run_id, error)

    # -- tools and retrievers -----------------------------------------------------------

    @guarded
    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or convert.serialized_name(serialized, "tool")
        attributes: dict[str, Any] = {}
        if serialized and serialized.get("description"):
            attributes["description"] = serialized["description"]
        if tags:
            attributes["tags"] = tags
        if metadata:
            attributes["metadata"] = metadata
        self._core.recorder.start(
            run_id, parent_run_id, "tool", name, inputs if inputs is not None else input_str, attributes
        )

    @guarded
    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._core.recorder.end(run_id, output)

    @guarded
    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._core.recorder.fail(run_id, error)

    @guarded
    def on_retriever_start(
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or convert.serialized_name(serialized, "retriever")
        attributes: dict[str, Any] = {}
        if tags:
            attributes["tags"] = tags
        if metadata:
            attributes["metadata"] = metadata
        self._core.recorder.start(run_id, parent_run_id, "retriever", name, {"query": query}, attributes)

    @guarded
    def on_retriever_end(self, documents: Sequence[Document], *, run_id: UUID, **kwargs: Any) -> None:
        self._core.recorder.end(run_id, {"documents": documents})

    @guarded
    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._core.recorder.fail(run_id, error)

    # -- events on an open run ------------------------------------------------------------

    @guarded
    def on_agent_action(self, action: AgentAction, *, run_id: UUID, **kwargs: Any) -> None:
        self._mark_agent(run_id)
        self._core.recorder.add_event(run_id, "agent_action", action)

    @guarded
    def on_agent_finish(self, finish: AgentFinish, *, run_id: UUID, **kwargs: Any) -> None:
        self._mark_agent(run_id)
        self._core.recorder.add_event(run_id, "agent_finish", finish)

    @guarded
    def on_text(self, text: str, *, run_id: UUID, **kwargs: Any) -> None:
        self._core.recorder.add_event(run_id, "text", text)

    @guarded
    def on_retry(self, retry_state: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._core.recorder.add_event(run_id, "retry", convert.retry_details(retry_state))

    @guarded
    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._core.recorder.add_event(run_id, str(name), data)

    def _mark_agent(self, run_id: UUID) -> None:
        self._core.recorder.set_kind(run_id, "agent")
