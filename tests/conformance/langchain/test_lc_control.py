"""Routing, fallbacks, retries and parallel steps, traced as LangChain's own tracer records them."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.language_models import FakeListLLM
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate
from langchain_core.runnables import RunnableBranch, RunnableLambda, RunnableParallel
from lc_fakes import chat, reply

from chaintracer.spantree import find


def _classifier(label: str):
    return PromptTemplate.from_template("Classify: {question}") | FakeListLLM(responses=[label]) | StrOutputParser()


def _expert(name: str):
    return PromptTemplate.from_template(f"You are an expert in {name}. {{question}}") | chat(
        reply(f"As the {name} expert told me, yes.")
    )


def test_routing_with_runnable_branch(conformance):
    """A ``RunnableBranch`` runs its conditions and the chosen branch as its children."""
    # https://python.langchain.com/docs/how_to/routing/ ("Using a RunnableBranch")
    branch = RunnableBranch(
        (lambda x: "anthropic" in x["topic"].lower(), _expert("anthropic")),
        (lambda x: "langchain" in x["topic"].lower(), _expert("langchain")),
        _expert("general"),
    )
    full_chain = {"topic": _classifier("LangChain"), "question": lambda x: x["question"]} | branch
    full_chain.invoke({"question": "how do I use LangChain?"}, config=conformance.config)
    conformance.check(traces=1)


def test_routing_with_a_custom_function(conformance):
    """A routing function that returns a runnable: the runnable nests under the function's run."""
    # https://python.langchain.com/docs/how_to/routing/ ("Using a custom function (Recommended)")
    experts = {"anthropic": _expert("anthropic"), "langchain": _expert("langchain")}

    def route(info: dict) -> object:
        return experts.get(info["topic"].lower(), _expert("general"))

    full_chain = {"topic": _classifier("Anthropic"), "question": lambda x: x["question"]} | RunnableLambda(route)
    full_chain.invoke({"question": "how do I use Anthropic?"}, config=conformance.config)
    conformance.check(traces=1)


def _failing_model(message: str = "rate limited"):
    def fail(_: object) -> str:
        raise RuntimeError(message)

    return RunnableLambda(fail, name="FlakyProvider")


def test_model_fallbacks_are_separate_traces(conformance):
    """Attempts of a root ``with_fallbacks`` are traces of their own (they get the caller's config)."""
    # https://python.langchain.com/docs/how_to/fallbacks/ ("Fallback for LLM API Errors")
    llm = _failing_model().with_fallbacks([chat(reply("Why did the chicken cross the road?"))])
    llm.invoke("Why did the chicken cross the road?", config=conformance.config)
    # The attempts run with the parent's callbacks, not as children of RunnableWithFallbacks.
    conformance.check(traces=3)


def test_chain_fallbacks_run_beside_the_wrapper(conformance):
    """Inside a sequence, fallback attempts are siblings of ``RunnableWithFallbacks``, as LangChain records them."""
    # https://python.langchain.com/docs/how_to/fallbacks/ ("Fallbacks for Sequences")
    prompt = PromptTemplate.from_template("Tell me a joke about {topic}")
    bad_chain = prompt | _failing_model("model is down") | StrOutputParser()
    good_chain = prompt | FakeListLLM(responses=["A joke."]) | StrOutputParser()
    pipeline = RunnableLambda(lambda x: {"topic": x}, name="to_input") | bad_chain.with_fallbacks([good_chain])
    assert pipeline.invoke("bears", config=conformance.config) == "A joke."
    conformance.check(traces=1)


def test_retry_shows_each_attempt(conformance):
    """``with_retry``: every attempt is a child run named with its retry number."""
    # https://reference.langchain.com/python/langchain-core/runnables/base/Runnable/with_retry
    attempts = {"count": 0}

    def flaky(text: str) -> str:
        attempts["count"] += 1
        if attempts["count"] < 3:
            raise ValueError(f"attempt {attempts['count']} failed")
        return text.upper()

    runnable = RunnableLambda(flaky).with_retry(stop_after_attempt=3, wait_exponential_jitter=False)
    assert runnable.invoke("ok", config=conformance.config) == "OK"
    conformance.check(traces=1)


def test_retry_gives_up(conformance):
    """A retry that runs out of attempts fails with the last attempt's error."""
    # https://reference.langchain.com/python/langchain-core/runnables/base/Runnable/with_retry
    runnable = _failing_model("still down").with_retry(stop_after_attempt=2, wait_exponential_jitter=False)
    with pytest.raises(RuntimeError):
        runnable.invoke("x", config=conformance.config)
    conformance.check(traces=1)


def test_parallel_branches(conformance):
    """A ``RunnableParallel`` of two chains: both nest under the parallel step."""
    # https://python.langchain.com/docs/how_to/parallel/
    joke_chain = PromptTemplate.from_template("tell me a joke about {topic}") | chat(reply("A joke."))
    poem_chain = PromptTemplate.from_template("write a 2-line poem about {topic}") | chat(reply("A poem."))
    map_chain = RunnableParallel(joke=joke_chain, poem=poem_chain)
    map_chain.invoke({"topic": "bear"}, config=conformance.config)
    conformance.check(traces=1)


async def test_async_parallel_branches(conformance):
    """``ainvoke`` of a ``RunnableParallel`` traces both branches like ``invoke``."""
    # https://python.langchain.com/docs/how_to/parallel/
    map_chain = RunnableParallel(
        joke=PromptTemplate.from_template("a joke about {topic}") | chat(reply("A joke.")),
        poem=PromptTemplate.from_template("a poem about {topic}") | chat(reply("A poem.")),
    )
    await map_chain.ainvoke({"topic": "bear"}, config=conformance.config)
    conformance.check(traces=1)


async def test_async_parallel_branch_finishing_after_its_root(conformance):
    """One branch fails the root; the other ends later and is kept ``ok`` with its output."""
    # https://python.langchain.com/docs/how_to/parallel/ (asyncio.gather does not cancel the slow branch)
    release, finished = asyncio.Event(), asyncio.Event()

    async def slow(topic: str) -> str:
        await release.wait()
        finished.set()
        return f"slow answer about {topic}"

    async def broken(topic: str) -> str:
        raise ValueError("broken branch")

    parallel = RunnableParallel(slow=RunnableLambda(slow), broken=RunnableLambda(broken))
    with pytest.raises(ValueError, match="broken branch"):
        await parallel.ainvoke("bears", config=conformance.config)
    # Write whatever is finished now, as the background writer may at any moment: the trace
    # must wait for its running branch rather than be stored with that branch incomplete.
    conformance.tracer.force_flush()
    release.set()
    await asyncio.wait_for(finished.wait(), timeout=10)
    # The slow branch's task still has its end callbacks to run (how many loop turns that takes
    # differs between Python versions): wait for every other task of the loop to finish.
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    await asyncio.wait(others, timeout=10)

    doc = conformance.check(traces=1)
    (root,) = doc["traces"]
    (late,) = find(root, name="slow")
    assert late["status"] == "ok" and late["outputs"] == "slow answer about bears"
    assert late["end_time"] > root["end_time"]
