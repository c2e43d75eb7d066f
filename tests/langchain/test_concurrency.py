"""One tracer shared by threads and asyncio tasks keeps every trace and every parent right."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from langchain_core.runnables import RunnableLambda

from chaintracer.testing import flushed, walk


def make_chain():
    """A three-level chain whose output names its input, so mixed-up traces show."""

    async def aslow(x):
        await asyncio.sleep(0.001)
        return x

    inner = RunnableLambda(lambda x: x, afunc=aslow).with_config(run_name="inner")
    middle = (RunnableLambda(lambda x: x).with_config(run_name="pre") | inner).with_config(run_name="middle")
    return (middle | RunnableLambda(lambda x: f"done-{x}").with_config(run_name="post")).with_config(run_name="outer")


def check_traces(doc, inputs):
    assert sorted(trace["inputs"] for trace in doc["traces"]) == sorted(inputs)
    for trace in doc["traces"]:
        assert trace["outputs"] == f"done-{trace['inputs']}"
        spans = list(walk(trace))
        assert len(spans) == 5
        by_id = {span["span_id"]: span for span in spans}
        for span in spans:
            assert span["trace_id"] == trace["span_id"]
            if span is not trace:
                assert span["parent_id"] in by_id
                assert span in by_id[span["parent_id"]]["children"]
            # every step of this trace saw this trace's input
            if span["name"] in ("pre", "inner", "middle"):
                assert span["inputs"] == trace["inputs"]


def test_many_threads_share_one_tracer(tracer):
    """Two hundred invokes from eight threads give two hundred intact traces."""
    chain = make_chain()
    inputs = list(range(200))
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: chain.invoke(i, config={"callbacks": [tracer]}), inputs))
    check_traces(flushed(tracer), inputs)


async def test_asyncio_gather_keeps_traces_apart(tracer):
    """Concurrent ``ainvoke`` calls interleave on one loop and still nest by run id."""
    chain = make_chain()
    inputs = list(range(50))
    await asyncio.gather(*(chain.ainvoke(i, config={"callbacks": [tracer]}) for i in inputs))
    check_traces(flushed(tracer), inputs)


async def test_abatch_and_astream(tracer):
    """``abatch`` and ``astream`` produce complete traces like ``invoke``."""
    chain = make_chain()
    await chain.abatch([1, 2, 3], config={"callbacks": [tracer]})
    chunks = [chunk async for chunk in chain.astream(4, config={"callbacks": [tracer]})]
    assert chunks == ["done-4"]
    check_traces(flushed(tracer), [1, 2, 3, 4])
