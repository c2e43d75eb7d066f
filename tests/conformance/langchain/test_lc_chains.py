"""LCEL chains from LangChain's documentation, traced as LangChain's own tracer records them."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import FakeListChatModel, FakeListLLM
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser, StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from langchain_core.prompts.structured import StructuredPrompt
from langchain_core.runnables import (
    ConfigurableField,
    RunnableConfig,
    RunnableLambda,
    RunnablePassthrough,
    chain,
)
from lc_fakes import call, chat, format_docs, reply, vector_store
from pydantic import BaseModel, Field

from demo.scripted import ScriptedChatModel, ScriptedLLM


def test_prompt_model_parser(conformance):
    """A prompt | chat model | parser chain is one trace of a prompt, a chat model and a parser."""
    # https://python.langchain.com/docs/tutorials/llm_chain/
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Translate the following from English into {language}"), ("user", "{text}")]
    )
    pipeline = prompt | ScriptedChatModel() | StrOutputParser()
    pipeline.invoke({"language": "Italian", "text": "hi!"}, config=conformance.config)
    conformance.check(traces=1)


def test_rag_chain_with_retriever(conformance):
    """The LCEL RAG chain: retriever and formatter in a parallel step, then prompt, model, parser."""
    # https://python.langchain.com/v0.2/docs/tutorials/rag/ ("rag_chain = {context, question} | prompt | llm")
    retriever = vector_store().as_retriever(search_kwargs={"k": 2})
    prompt = ChatPromptTemplate.from_template("Answer from the context.\n{context}\nQuestion: {question}")
    rag_chain = (
        {"context": retriever | format_docs, "question": RunnablePassthrough()}
        | prompt
        | chat(reply("Task decomposition splits a task into steps.", prompt_tokens=40))
        | StrOutputParser()
    )
    rag_chain.invoke("What is Task Decomposition?", config=conformance.config)
    doc = conformance.check(traces=1)
    assert doc["session"]["summary"]["tokens"] == {"prompt": 40, "completion": 7, "total": 47}


def test_passthrough_assign(conformance):
    """``RunnablePassthrough.assign`` adds keys through a parallel step of its own."""
    # https://python.langchain.com/docs/how_to/passthrough/
    runnable = RunnablePassthrough.assign(extra=lambda x: x["num"] * 3) | RunnableLambda(lambda x: x["extra"] + 1)
    runnable.invoke({"num": 1}, config=conformance.config)
    conformance.check(traces=1)


def test_nested_chains(conformance):
    """A chain used as a step of another chain nests as a sub-sequence."""
    # https://python.langchain.com/docs/how_to/sequence/ ("Composing chains")
    joke_chain = (
        ChatPromptTemplate.from_template("tell me a joke about {topic}") | ScriptedChatModel() | StrOutputParser()
    )
    analysis_prompt = ChatPromptTemplate.from_template("is this a funny joke? {joke}")
    composed_chain = {"joke": joke_chain} | analysis_prompt | ScriptedChatModel() | StrOutputParser()
    composed_chain.invoke({"topic": "bears"}, config=conformance.config)
    conformance.check(traces=1)


def test_prompt_and_parser_renamed(conformance):
    """A prompt and a parser renamed with ``with_config(run_name=...)`` keep their kinds."""
    # https://python.langchain.com/docs/how_to/lcel_cheatsheet/ ("Set run name")
    greeting = PromptTemplate.from_template("Say hello to {name}").with_config(run_name="greeting")
    tidy = StrOutputParser().with_config(run_name="tidy")
    (greeting | FakeListLLM(responses=["Hello, Ada."]) | tidy).invoke({"name": "Ada"}, config=conformance.config)
    conformance.check(traces=1)


@pytest.mark.filterwarnings("ignore:The class `StructuredPrompt` is in beta")
def test_structured_prompt(conformance):
    """A ``StructuredPrompt`` piped into a model that supports structured output is a prompt run."""

    # https://reference.langchain.com/python/langchain-core/prompts/structured/StructuredPrompt
    class OutputSchema(BaseModel):
        name: str
        value: int

    prompt = StructuredPrompt([("human", "Hello, how are you? {topic}")], OutputSchema)
    model = chat(reply(tool_calls=[call("OutputSchema", {"name": "mood", "value": 7}, "call_1")]))
    result = (prompt | model).invoke({"topic": "weather"}, config=conformance.config)
    assert result == OutputSchema(name="mood", value=7)
    conformance.check(traces=1)


def test_renamed_runnables(conformance):
    """Runnables named by ``@chain``, ``RunnableLambda(name=...)`` and ``with_config`` keep those names."""
    # https://python.langchain.com/docs/how_to/functions/ ("The @chain decorator")
    prompt1 = ChatPromptTemplate.from_template("Tell me a joke about {topic}")
    prompt2 = ChatPromptTemplate.from_template("What is the subject of this joke: {joke}")

    @chain
    def custom_chain(text: dict[str, Any]) -> str:
        prompt_val1 = prompt1.invoke({"topic": text["topic"]})
        output1 = ScriptedChatModel().invoke(prompt_val1)
        parsed_output1 = StrOutputParser().invoke(output1)
        chain2 = prompt2 | ScriptedChatModel() | StrOutputParser()
        return chain2.invoke({"joke": parsed_output1})

    shout = RunnableLambda(lambda text: text.upper(), name="shout")
    (custom_chain | shout).with_config(run_name="joke pipeline").invoke({"topic": "bears"}, config=conformance.config)
    conformance.check(traces=1)


def test_lambda_with_config_runs_nested_runnable(conformance):
    """A lambda that accepts a ``RunnableConfig`` and invokes a model nests the model under itself."""
    # https://python.langchain.com/docs/how_to/functions/ ("Accepting a Runnable Config")
    fixer = PromptTemplate.from_template("Fix the spelling of: {text}") | FakeListLLM(responses=["fixed"])

    def parse_or_fix(text: str, config: RunnableConfig) -> str:
        for _ in range(2):
            if text == "fixed":
                return text
            text = fixer.invoke({"text": text}, config)
        return "Failed to parse"

    RunnableLambda(parse_or_fix).invoke("teh text", {"tags": ["my-tag"], **conformance.config})
    conformance.check(traces=1)


def test_pydantic_parser_chain(conformance):
    """A prompt | LLM | ``PydanticOutputParser`` chain parses the model's JSON."""

    # https://python.langchain.com/docs/how_to/output_parser_structured/
    class Joke(BaseModel):
        setup: str = Field(description="question to set up a joke")
        punchline: str = Field(description="answer to resolve the joke")

    parser = PydanticOutputParser(pydantic_object=Joke)
    prompt = PromptTemplate(
        template="Answer the user query.\n{format_instructions}\n{query}\n",
        input_variables=["query"],
        partial_variables={"format_instructions": parser.get_format_instructions()},
    )
    llm = ScriptedLLM(responses=['{"setup": "Why?", "punchline": "Because."}'])
    (prompt | llm | parser).invoke({"query": "Tell me a joke."}, config=conformance.config)
    conformance.check(traces=1)


def test_with_structured_output(conformance):
    """``with_structured_output`` on a tool-calling model: the bound model and the tools parser."""

    # https://python.langchain.com/docs/how_to/structured_output/
    class Joke(BaseModel):
        """Joke to tell user."""

        setup: str
        punchline: str
        rating: int | None = None

    model = chat(reply(tool_calls=[call("Joke", {"setup": "Cats?", "punchline": "Purr.", "rating": 7}, "c1")]))
    structured_llm = model.with_structured_output(Joke)
    assert structured_llm.invoke("Tell me a joke about cats", config=conformance.config).rating == 7
    conformance.check(traces=1)


def test_json_parser_streams(conformance):
    """A streamed ``JsonOutputParser`` chain records the parser's input at its end."""
    # https://python.langchain.com/docs/how_to/output_parser_json/
    model = FakeListChatModel(responses=['{"setup": "Why?", "punchline": "Because."}'])
    prompt = PromptTemplate.from_template("Answer as JSON: {query}")
    chunks = list((prompt | model | JsonOutputParser()).stream({"query": "a joke"}, config=conformance.config))
    assert chunks[-1] == {"setup": "Why?", "punchline": "Because."}
    conformance.check(traces=1)


def test_configurable_alternatives(conformance):
    """A model chosen with ``configurable_alternatives`` runs under the chosen alternative's name."""
    # https://python.langchain.com/docs/how_to/configure/ ("Configurable alternatives")
    llm = FakeListLLM(responses=["from the default"]).configurable_alternatives(
        ConfigurableField(id="llm"), default_key="default", other=ScriptedLLM(responses=["from the other"])
    )
    pipeline = PromptTemplate.from_template("Tell me a joke about {topic}") | llm
    pipeline.invoke({"topic": "bears"}, config=conformance.config)
    pipeline.with_config(configurable={"llm": "other"}).invoke({"topic": "bears"}, config=conformance.config)
    conformance.check(traces=2)


def test_batch_and_llm_token_usage(conformance):
    """``batch`` makes one trace per input; a completion model's batch usage is counted once."""
    # https://python.langchain.com/docs/how_to/lcel_cheatsheet/ ("Batch a runnable")
    pipeline = PromptTemplate.from_template("Tell me about {topic}") | ScriptedLLM(responses=["one", "two words"])
    pipeline.batch([{"topic": "bees"}, {"topic": "ants"}], config=conformance.config)
    ScriptedLLM(responses=["a b", "c"]).generate(
        ["first prompt", "second prompt here"], callbacks=conformance.callbacks
    )
    conformance.check(traces=4)


def test_batch_with_return_exceptions(conformance):
    """``batch(return_exceptions=True)``: the failing input is an error trace, the others are ok."""

    # https://python.langchain.com/docs/how_to/lcel_cheatsheet/ ("Batch a runnable")
    def check_positive(number: int) -> int:
        if number < 0:
            raise ValueError(f"{number} is negative")
        return number

    results = RunnableLambda(check_positive).batch([1, -2, 3], config=conformance.config, return_exceptions=True)
    assert isinstance(results[1], ValueError)
    conformance.check(traces=3)


async def test_abatch(conformance):
    """``abatch`` runs the inputs concurrently and still makes one trace per input."""
    # https://python.langchain.com/docs/how_to/lcel_cheatsheet/ ("Batch a runnable")
    pipeline = ChatPromptTemplate.from_template("Tell me about {topic}") | ScriptedChatModel() | StrOutputParser()
    await pipeline.abatch([{"topic": t} for t in ("bees", "ants", "moths")], config=conformance.config)
    conformance.check(traces=3)
