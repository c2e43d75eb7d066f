"""Streaming, stream events and custom events, traced as LangChain's own tracer records them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from langchain_core.callbacks import adispatch_custom_event, dispatch_custom_event
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableConfig, RunnableGenerator, RunnableLambda
from lc_fakes import StreamingChat, reply

from chaintracer.spantree import find


def _streaming_chain(text: str = "Why did the parrot talk? Because it could."):
    prompt = ChatPromptTemplate.from_template("tell me a joke about {topic}")
    return prompt | StreamingChat(messages=iter([reply(text, prompt_tokens=6)])) | StrOutputParser()


def test_stream_a_chain(conformance):
    """A consumed ``stream`` is one trace; the model counts its chunks and reports its usage once."""
    # https://python.langchain.com/docs/how_to/streaming/ ("Chains")
    chunks = list(_streaming_chain().stream({"topic": "parrot"}, config=conformance.config))
    doc = conformance.check(traces=1)
    (model,) = find(doc["traces"][0], kind="chat_model")
    # Eight words, then the empty closing chunk LangChain adds to every chat model stream.
    assert model["attributes"]["chunks"] == len(chunks) == 9
    assert doc["session"]["summary"]["tokens"] == {"prompt": 6, "completion": 8, "total": 14}


async def test_astream_a_chain(conformance):
    """``astream`` traces like ``stream``; the streamed chain's input is recorded at its end."""
    # https://python.langchain.com/docs/how_to/streaming/ ("Using .astream()")
    chunks = [chunk async for chunk in _streaming_chain().astream({"topic": "parrot"}, config=conformance.config)]
    doc = conformance.check(traces=1)
    assert "".join(chunks) == "Why did the parrot talk? Because it could."
    assert doc["traces"][0]["inputs"] == {"topic": "parrot"}


async def test_astream_events(conformance):
    """``astream_events(version="v2")`` with our handlers in the config traces the chain once."""
    # https://python.langchain.com/docs/how_to/streaming/ ("Using Stream Events")
    kinds = [
        event["event"]
        async for event in _streaming_chain().astream_events(
            {"topic": "parrot"}, version="v2", config=conformance.config
        )
    ]
    assert kinds.count("on_chat_model_stream") == 9
    conformance.check(traces=1)


def test_generator_function_streams_through_a_chain(conformance):
    """A generator step (``RunnableGenerator``) in a streamed chain is one run of the sequence."""

    # https://python.langchain.com/docs/how_to/functions/ ("Streaming")
    def split_into_list(chunks: Iterator[str]) -> Iterator[list[str]]:
        buffer = ""
        for chunk in chunks:
            buffer += chunk
            while "," in buffer:
                comma_index = buffer.index(",")
                yield [buffer[:comma_index].strip()]
                buffer = buffer[comma_index + 1 :]
        yield [buffer.strip()]

    list_chain = _streaming_chain("lion, tiger, wolf, gorilla, panda") | RunnableGenerator(split_into_list)
    assert list(list_chain.stream({"topic": "animals"}, config=conformance.config))[-1] == ["panda"]
    conformance.check(traces=1)


def test_custom_event_payloads_are_snapshots(conformance):
    """One dict updated and dispatched three times is stored with each dispatch's value."""

    # https://python.langchain.com/docs/how_to/callbacks_custom_events/ ("Callback handler")
    def foo(x: int, config: RunnableConfig) -> int:
        progress = {"step": 0}
        for step in (1, 2, 3):
            progress["step"] = step
            dispatch_custom_event("progress", progress, config=config)
        return x

    RunnableLambda(foo).invoke(1, config=conformance.config)
    doc = conformance.check(traces=1)
    events = doc["traces"][0]["attributes"]["events"]
    assert [(event["name"], event["payload"]) for event in events] == [("progress", {"step": n}) for n in (1, 2, 3)]


async def test_async_custom_events_in_astream_events(conformance):
    """Async custom events reach both ``astream_events`` and the trace, in order."""

    # https://python.langchain.com/docs/how_to/callbacks_custom_events/ ("Astream Events API")
    async def reflect(x: str, config: RunnableConfig) -> str:
        await adispatch_custom_event("event1", {"x": x}, config=config)
        await adispatch_custom_event("event2", 5, config=config)
        return x

    seen = [
        (event["name"], event["data"])
        async for event in RunnableLambda(reflect).astream_events(
            "hello world", version="v2", config=conformance.config
        )
        if event["event"] == "on_custom_event"
    ]
    doc = conformance.check(traces=1)
    stored = [(event["name"], event["payload"]) for event in doc["traces"][0]["attributes"]["events"]]
    assert stored == seen == [("event1", {"x": "hello world"}), ("event2", 5)]


async def test_async_generator_step(conformance):
    """An async generator in a chain streams its items; the run ends with the combined output."""

    # https://python.langchain.com/docs/how_to/functions/ ("Streaming", async version)
    async def asplit_into_list(chunks: AsyncIterator[str]) -> AsyncIterator[list[str]]:
        buffer = ""
        async for chunk in chunks:
            buffer += chunk
            while "," in buffer:
                comma_index = buffer.index(",")
                yield [buffer[:comma_index].strip()]
                buffer = buffer[comma_index + 1 :]
        yield [buffer.strip()]

    list_chain = _streaming_chain("lion, tiger, wolf") | RunnableGenerator(asplit_into_list)
    items = [item async for item in list_chain.astream({"topic": "animals"}, config=conformance.config)]
    assert items == [["lion"], ["tiger"], ["wolf"]]
    conformance.check(traces=1)
