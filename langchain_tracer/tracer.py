"""LangChain callback events -> chaintracer recorder calls.

One fixed shape: every ``on_*`` is guarded, spans are keyed by ``run_id``, parents come from
``parent_run_id`` only. Each method does the least it can: it stores references to what
LangChain passed and leaves conversion to the encoding worker.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

import chaintracer
from chaintracer.guard import guarded, raise_internal_errors
from langchain_tracer import convert
from langchain_tracer.architecture import describe

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langchain_core.agents import AgentAction, AgentFinish
    from langchain_core.documents import Document
    from langchain_core.messages import BaseMessage
    from langchain_core.outputs import LLMResult


class Tracer(chaintracer.Tracer, BaseCallbackHandler):
    """A LangChain callback handler that records every run as a span of a nested trace.

    Pass it as ``callbacks=[tracer]`` (or ``config={"callbacks": [tracer]}``) to any runnable,
    model, tool, agent or LangGraph graph; call ``flush_tracker(asset, name=...)`` after each
    scenario. Settings are those of ``chaintracer.Tracer``.
    """

    # Called on the thread that runs the step, also from async code: no thread-pool hop.
    run_inline = True

    @property
    def raise_error(self) -> bool:  # type: ignore[override]
        # LangChain swallows handler errors unless this is set; the test suite wants them.
        return raise_internal_errors()

    # -- adapter hooks ------------------------------------------------------------------

    def _simplify(self, value: Any) -> Any:
        return convert.simplify(value)

    def _describe_asset(self, asset: Any) -> dict[str, Any] | None:
        return describe(asset)

    def _model_texts(self, span: chaintracer.Span) -> tuple[str | None, str | None]:
        return convert.prompt_text(span.inputs), convert.output_text(span.outputs)

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
        self.recorder.start(
            run_id, parent_run_id, convert.chain_kind(name, serialized, metadata), name, inputs, attributes
        )

    @guarded
    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        # Streamed runs start with a placeholder input and pass the real one here.
        self.recorder.end(run_id, outputs, kwargs.get("inputs"))

    @guarded
    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self.recorder.fail(run_id, error, kwargs.get("inputs"))

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
        self.recorder.start(run_id, parent_run_id, kind, name, inputs, attributes)

    @guarded
    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        span = self.recorder.get(run_id)
        if span is not None:
            _count_chunk(span.attributes)

    @guarded
    def on_stream_event(self, event: Any, *, run_id: UUID, **kwargs: Any) -> None:
        span = self.recorder.get(run_id)
        if span is not None and isinstance(event, dict) and event.get("event") == "content-block-delta":
            _count_chunk(span.attributes)

    @guarded
    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        span = self.recorder.get(run_id)
        if span is not None:
            # Model calls are rare next to chain steps and cost milliseconds: reading the
            # usage here keeps the encoder framework-neutral.
            usage = convert.token_usage(response)
            if usage:
                span.attributes["tokens"] = usage
            served_by = convert.response_model(response)
            if served_by:
                span.attributes["response_model"] = served_by
        self.recorder.end(run_id, response)

    @guarded
    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self.recorder.fail(run_id, error)

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
        self.recorder.start(
            run_id, parent_run_id, "tool", name, inputs if inputs is not None else input_str, attributes
        )

    @guarded
    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.recorder.end(run_id, output)

    @guarded
    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self.recorder.fail(run_id, error)

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
        self.recorder.start(run_id, parent_run_id, "retriever", name, {"query": query}, attributes)

    @guarded
    def on_retriever_end(self, documents: Sequence[Document], *, run_id: UUID, **kwargs: Any) -> None:
        self.recorder.end(run_id, {"documents": documents})

    @guarded
    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self.recorder.fail(run_id, error)

    # -- events on an open run ------------------------------------------------------------

    @guarded
    def on_agent_action(self, action: AgentAction, *, run_id: UUID, **kwargs: Any) -> None:
        self._mark_agent(run_id)
        self.recorder.add_event(run_id, "agent_action", action)

    @guarded
    def on_agent_finish(self, finish: AgentFinish, *, run_id: UUID, **kwargs: Any) -> None:
        self._mark_agent(run_id)
        self.recorder.add_event(run_id, "agent_finish", finish)

    @guarded
    def on_text(self, text: str, *, run_id: UUID, **kwargs: Any) -> None:
        self.recorder.add_event(run_id, "text", text)

    @guarded
    def on_retry(self, retry_state: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.recorder.add_event(run_id, "retry", convert.retry_details(retry_state))

    @guarded
    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.recorder.add_event(run_id, str(name), data)

    def _mark_agent(self, run_id: UUID) -> None:
        span = self.recorder.get(run_id)
        if span is not None:
            span.kind = "agent"


def _count_chunk(attributes: dict[str, Any]) -> None:
    if "first_token_time_ns" not in attributes:
        attributes["first_token_time_ns"] = time.time_ns()
        attributes["chunks"] = 1
    else:
        attributes["chunks"] += 1
