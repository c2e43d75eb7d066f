"""A batched completion call's token usage is split over its prompts' traces, marked as shared, never one trace's."""

from __future__ import annotations

from cli_helpers import run_cli
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate

from chaintracer.spantree import find
from chaintracer.testing import flushed
from langchain_tracer import Tracer
from langchain_tracer.testing import ScriptedChatModel, ScriptedLLM

PRICES = {"scripted-llm": {"input": 1.0, "output": 2.0}}


def _llm_tokens(document: dict, kind: str = "llm") -> list[dict]:
    return [span["attributes"]["tokens"] for root in document["traces"] for span in find(root, kind=kind)]


def test_batch_over_a_prompt_and_llm_chain_splits_the_usage(store_path):
    """`(prompt | llm).batch` of 3: each trace counts an even share; the shares add up to the provider's total."""
    tracer = Tracer(store=store_path, prices=PRICES)
    chain = PromptTemplate.from_template("Tell me about {topic}") | ScriptedLLM(responses=["one two three", "four"])
    chain.batch([{"topic": "bees"}, {"topic": "ants and moths"}, {"topic": "owls"}], config={"callbacks": [tracer]})
    document = flushed(tracer)
    # The provider reported (word counts) 4 + 6 + 4 = 14 prompt and 3 + 1 + 3 = 7 completion tokens for the call.
    batch = {"size": 3, "shared": True, "split": "even", "prompt": 14, "completion": 7, "total": 21}
    assert _llm_tokens(document) == [
        {"prompt": 5, "completion": 3, "total": 8, "batch": batch},
        {"prompt": 5, "completion": 2, "total": 7, "batch": batch},
        {"prompt": 4, "completion": 2, "total": 6, "batch": batch},
    ]
    summary = document["session"]["summary"]
    assert summary["tokens"] == {"prompt": 14, "completion": 7, "total": 21}
    # Each share is priced on its own; together they cost what the call did: 14 x $1 + 7 x $2 per 1M tokens.
    costs = [span["attributes"]["cost"]["total"] for root in document["traces"] for span in find(root, kind="llm")]
    assert costs == [0.000011, 0.000009, 0.000008]
    assert summary["cost"]["total"] == 0.000028 == round(14 * 1e-6 + 7 * 2e-6, 10)


def test_generate_with_several_prompts_gives_no_trace_the_whole_batch(store_path):
    """`llm.generate([...])`: one trace per prompt, none holding the batch's usage (LLMResult.flatten's first)."""
    tracer = Tracer(store=store_path)
    ScriptedLLM(responses=["a b", "c"]).generate(["first prompt", "the second prompt", "third"], callbacks=[tracer])
    document = flushed(tracer)
    totals = [root["attributes"]["tokens"]["total"] for root in document["traces"]]
    reported = 2 + 3 + 1 + 2 + 1 + 2  # prompts' and answers' words
    assert sum(totals) == reported and max(totals) < reported
    assert all(root["attributes"]["tokens"]["batch"]["total"] == reported for root in document["traces"])


def test_per_call_usage_stays_on_its_own_trace(store_path):
    """Chat models call the provider once per prompt even in a batch: each keeps its own usage, unmarked."""
    tracer = Tracer(store=store_path)
    chain = ChatPromptTemplate.from_template("{q}") | ScriptedChatModel(script=["ok"]) | StrOutputParser()
    chain.batch([{"q": "one"}, {"q": "two words"}, {"q": "and three words"}], config={"callbacks": [tracer]})
    document = flushed(tracer)
    assert sorted(tokens["prompt"] for tokens in _llm_tokens(document, "chat_model")) == [1, 2, 3]
    assert not any("batch" in tokens for tokens in _llm_tokens(document, "chat_model"))


def test_a_single_prompt_is_not_a_batch(store_path):
    """An ordinary completion call keeps the usage the provider reported, unmarked."""
    tracer = Tracer(store=store_path)
    ScriptedLLM(responses=["one two"]).invoke("a b c", config={"callbacks": [tracer]})
    document = flushed(tracer)
    assert _llm_tokens(document) == [{"prompt": 3, "completion": 2, "total": 5}]


def test_show_marks_batch_shares(store_path, tmp_path):
    """`chaintracer show` labels a shared count so nobody reads it as the trace's own."""
    tracer = Tracer(store=store_path)
    ScriptedLLM(responses=["x"]).generate(["p one", "p two"], callbacks=[tracer])
    tracer.flush_tracker(name="batched", finish=True)
    out = run_cli("show", "batched", "--store", store_path, cwd=tmp_path).stdout
    assert out.count("(batch share)") == 2
