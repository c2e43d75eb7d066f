"""LCEL chains, models, parsers and prompts become correctly nested, typed spans."""

from __future__ import annotations

from langchain_core.language_models import FakeListChatModel, FakeListLLM
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from langchain_core.runnables import RunnableLambda, RunnableParallel

from chaintracer.testing import find, flushed, outline
from demo.scripted import ScriptedChatModel, ScriptedLLM


def test_prompt_llm_parser_chain_nests_under_the_sequence(tracer):
    """A prompt | llm | parser chain is one trace with three typed children in order."""
    chain = (
        PromptTemplate.from_template("Tell me about {topic}")
        | FakeListLLM(responses=["Bees are great."])
        | StrOutputParser()
    )
    assert chain.invoke({"topic": "bees"}, config={"callbacks": [tracer]}) == "Bees are great."

    doc = flushed(tracer, "lcel")
    (root,) = doc["traces"]
    assert outline(root) == (
        "chain",
        "RunnableSequence",
        "ok",
        [
            ("prompt", "PromptTemplate", "ok", []),
            ("llm", "FakeListLLM", "ok", []),
            ("parser", "StrOutputParser", "ok", []),
        ],
    )
    assert root["inputs"] == {"topic": "bees"}
    assert root["outputs"] == "Bees are great."
    prompt, llm, parser = root["children"]
    assert prompt["outputs"] == "Tell me about bees"  # a StringPromptValue, stored as its text
    assert llm["inputs"] == ["Tell me about bees"]
    assert llm["outputs"]["generations"][0][0]["text"] == "Bees are great."
    assert parser["outputs"] == "Bees are great."
    assert all(
        child["parent_id"] == root["span_id"] and child["trace_id"] == root["span_id"] for child in root["children"]
    )


def test_chat_model_records_messages_model_and_invocation_params(tracer):
    """Chat model spans keep the messages sent, the model name, parameters and token usage."""
    prompt = ChatPromptTemplate.from_messages([("system", "You are terse."), ("human", "{question}")])
    chain = prompt | ScriptedChatModel(temperature=0.3, max_tokens=64)
    chain.invoke({"question": "Hello there"}, config={"callbacks": [tracer]})

    (chat,) = find(flushed(tracer)["traces"][0], kind="chat_model")
    assert chat["inputs"] == [
        [{"role": "system", "content": "You are terse."}, {"role": "human", "content": "Hello there"}]
    ]
    assert chat["attributes"]["invocation_params"]["temperature"] == 0.3
    assert chat["attributes"]["invocation_params"]["max_tokens"] == 64
    assert chat["attributes"]["tokens"] == {"prompt": 5, "completion": 9, "total": 14}
    message = chat["outputs"]["generations"][0][0]["message"]
    assert message["role"] == "ai" and message["content"].startswith("I am a scripted model")


def test_token_usage_from_llm_output_is_summed_per_session(tracer):
    """Token usage reported in ``llm_output['token_usage']`` lands on spans and in the summary."""
    llm = ScriptedLLM(responses=["one two three"])
    llm.generate(["a b", "c d e"], callbacks=[tracer])

    doc = flushed(tracer)
    # LangChain reports a batch's usage once, on the first prompt's run (LLMResult.flatten):
    # each prompt's trace gets an even share, marked as such, with the call's totals.
    batch = {"size": 2, "shared": True, "split": "even", "prompt": 5, "completion": 6, "total": 11}
    assert [t["attributes"].get("tokens") for t in doc["traces"]] == [
        {"prompt": 3, "completion": 3, "total": 6, "batch": batch},
        {"prompt": 2, "completion": 3, "total": 5, "batch": batch},
    ]
    assert doc["session"]["summary"]["tokens"] == {"prompt": 5, "completion": 6, "total": 11}
    assert doc["traces"][0]["attributes"]["response_model"] == "scripted-llm"


def test_models_without_usage_report_no_tokens(tracer):
    """Fake models report no usage: spans carry no token counts and the summary stays zero."""
    FakeListChatModel(responses=["hi"]).invoke("yo", config={"callbacks": [tracer]})
    doc = flushed(tracer)
    assert "tokens" not in doc["traces"][0]["attributes"]
    assert doc["session"]["summary"]["tokens"]["total"] == 0
    assert doc["session"]["summary"]["llm_calls"] == 1


def test_parallel_branches_and_lambdas_nest_under_their_parents(tracer):
    """Sub-chains inside a RunnableParallel each nest under the parallel step, in start order."""
    upper = RunnableLambda(lambda s: s.upper()).with_config(run_name="upper")
    length = RunnableLambda(len).with_config(run_name="length")
    chain = RunnableLambda(lambda s: s.strip()).with_config(run_name="strip") | RunnableParallel(up=upper, n=length)
    assert chain.invoke("  hi ", config={"callbacks": [tracer]}) == {"up": "HI", "n": 2}

    (root,) = flushed(tracer)["traces"]
    strip, parallel = root["children"]
    assert strip["name"] == "strip" and strip["outputs"] == "hi"
    assert parallel["name"].startswith("RunnableParallel")
    assert sorted(child["name"] for child in parallel["children"]) == ["length", "upper"]
    assert {child["parent_id"] for child in parallel["children"]} == {parallel["span_id"]}


def test_tags_and_metadata_are_recorded(tracer):
    """Tags and metadata given in the run config appear in the span's attributes."""
    RunnableLambda(lambda x: x).invoke(
        1, config={"callbacks": [tracer], "tags": ["exp-7"], "metadata": {"user": "ana"}}
    )
    attributes = flushed(tracer)["traces"][0]["attributes"]
    assert attributes["tags"] == ["exp-7"]
    assert attributes["metadata"] == {"user": "ana"}


def test_batch_makes_one_trace_per_input(tracer):
    """``batch`` over four inputs gives four separate traces, oldest first."""
    chain = RunnableLambda(lambda x: x * 2).with_config(run_name="double")
    chain.batch([1, 2, 3, 4], config={"callbacks": [tracer]})
    doc = flushed(tracer)
    assert sorted(t["inputs"] for t in doc["traces"]) == [1, 2, 3, 4]
    assert [t["start_time"] for t in doc["traces"]] == sorted(t["start_time"] for t in doc["traces"])
    assert doc["session"]["summary"]["traces"] == 4
