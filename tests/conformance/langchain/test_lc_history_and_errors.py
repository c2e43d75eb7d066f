"""Message history and errors at each level, traced as LangChain's own tracer records them."""

from __future__ import annotations

import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.chat_history import BaseChatMessageHistory, InMemoryChatMessageHistory
from langchain_core.documents import Document
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import FakeListLLM
from langchain_core.output_parsers import PydanticOutputParser, StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnableParallel
from langchain_core.runnables.history import RunnableWithMessageHistory
from langchain_core.tools import ToolException, tool
from lc_fakes import BrokenChat, chat, format_docs, reply
from pydantic import BaseModel

# LangChain 1.x deprecates these classes; its documentation still teaches them.
DEPRECATED_HISTORY = pytest.mark.filterwarnings(
    "ignore:RunnableWithMessageHistory is deprecated", "ignore:The class `InMemoryChatMessageHistory` was deprecated"
)


def _with_history(store: dict[str, BaseChatMessageHistory]) -> RunnableWithMessageHistory:
    # https://python.langchain.com/docs/how_to/message_history/ ("Dictionary input")
    def get_session_history(session_id: str) -> BaseChatMessageHistory:
        if session_id not in store:
            store[session_id] = InMemoryChatMessageHistory()
        return store[session_id]

    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "You're an assistant who's good at {ability}. Respond in 20 words or fewer"),
            MessagesPlaceholder(variable_name="history"),
            ("human", "{question}"),
        ]
    )
    runnable = prompt | chat(reply("Cosine is adjacent over hypotenuse."), reply("It is the ratio again."))
    return RunnableWithMessageHistory(
        runnable, get_session_history, input_messages_key="question", history_messages_key="history"
    )


@DEPRECATED_HISTORY
def test_message_history_two_turns(conformance):
    """Each turn of a ``RunnableWithMessageHistory`` is one trace with the history loaded inside it."""
    # https://python.langchain.com/docs/how_to/message_history/
    store: dict[str, BaseChatMessageHistory] = {}
    with_message_history = _with_history(store)
    config = {"configurable": {"session_id": "abc123"}, **conformance.config}
    with_message_history.invoke({"ability": "math", "question": "What does cosine mean?"}, config=config)
    with_message_history.invoke({"ability": "math", "question": "What?"}, config=config)
    conformance.check(traces=2)
    assert len(store["abc123"].messages) == 4


@DEPRECATED_HISTORY
def test_message_history_architecture_is_drawn(conformance):
    """The architecture of a ``RunnableWithMessageHistory`` is LangChain's drawing, without opening a session."""
    # https://python.langchain.com/docs/how_to/message_history/
    store: dict[str, BaseChatMessageHistory] = {}
    with_message_history = _with_history(store)
    config = {"configurable": {"session_id": "abc123"}, **conformance.config}
    with_message_history.invoke({"ability": "math", "question": "What does cosine mean?"}, config=config)
    doc = conformance.check(traces=1, asset=with_message_history)

    drawn = with_message_history.get_graph(config={"configurable": {"session_id": "abc123"}})
    model = doc["session"]["model"]
    assert model["type"] == "RunnableWithMessageHistory"
    assert [node["name"] for node in model["nodes"]] == [node.name for node in drawn.nodes.values()]
    assert len(model["edges"]) == len(drawn.edges)
    assert not [node for node in model["nodes"] if "error" in node]
    assert [component["type"] for component in model["models"]] == ["ToolChat"]
    assert list(store) == ["abc123"]  # drawing opened no session history of its own


def test_prompt_missing_variable(conformance):
    """A prompt missing an input variable fails, and so does its chain, with the prompt's error."""
    # https://python.langchain.com/docs/how_to/prompts_partial/ (variables a prompt expects)
    prompt = ChatPromptTemplate.from_template("Tell me a {adjective} joke about {content}")
    with pytest.raises(KeyError):
        (prompt | chat(reply("never")) | StrOutputParser()).invoke({"content": "chickens"}, config=conformance.config)
    conformance.check(traces=1)


def test_parser_error(conformance):
    """A parser that cannot parse the model's answer fails with ``OutputParserException``."""

    # https://python.langchain.com/docs/how_to/output_parser_structured/
    class Joke(BaseModel):
        setup: str
        punchline: str

    pipeline = ChatPromptTemplate.from_template("{query}") | FakeListLLM(responses=["not json"])
    with pytest.raises(OutputParserException):
        (pipeline | PydanticOutputParser(pydantic_object=Joke)).invoke({"query": "joke"}, config=conformance.config)
    conformance.check(traces=1)


class FlakyRetriever(BaseRetriever):
    """A custom retriever whose backend is down."""

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        raise TimeoutError(f"index timed out for {query!r}")


def test_retriever_error(conformance):
    """A custom retriever that raises: the retriever run and the RAG chain fail."""
    # https://python.langchain.com/docs/how_to/custom_retriever/
    rag_chain = {"context": FlakyRetriever() | format_docs, "question": lambda q: q} | ChatPromptTemplate.from_template(
        "{context}\n{question}"
    )
    with pytest.raises(TimeoutError):
        rag_chain.invoke("What is task decomposition?", config=conformance.config)
    conformance.check(traces=1)


def test_model_error(conformance):
    """A chat model whose provider is down fails its run and the chain's."""
    # https://python.langchain.com/docs/how_to/fallbacks/ (the failure a fallback would handle)
    pipeline = ChatPromptTemplate.from_template("Hello {name}") | BrokenChat() | StrOutputParser()
    with pytest.raises(ConnectionError):
        pipeline.invoke({"name": "Ada"}, config=conformance.config)
    conformance.check(traces=1)


def test_tool_errors_raised_and_handled(conformance):
    """A tool that raises fails its run; with ``handle_tool_error`` it ends ok with the error text."""

    # https://python.langchain.com/docs/how_to/tools_error/ and .../custom_tools/ ("Handling Tool Errors")
    @tool
    def get_weather(city: str) -> int:
        """Get weather for a given city."""
        raise ToolException(f"Error: There is no city by the name of {city}.")

    with pytest.raises(ToolException):
        get_weather.invoke({"city": "foobar"}, config=conformance.config)
    get_weather.handle_tool_error = True
    assert get_weather.invoke({"city": "foobar"}, config=conformance.config).startswith("Error: There is no city")
    conformance.check(traces=2)


def test_error_in_one_of_two_parallel_branches(conformance):
    """In a sync ``RunnableParallel`` one branch fails; the other still ends ok under the failed root."""
    # https://python.langchain.com/docs/how_to/parallel/

    def explode(_: str) -> str:
        raise ValueError("branch exploded")

    parallel = RunnableParallel(fine=chat(reply("fine")), broken=RunnableLambda(explode))
    with pytest.raises(ValueError, match="branch exploded"):
        (RunnableLambda(lambda x: x, name="prepare") | parallel).invoke("go", config=conformance.config)
    conformance.check(traces=1)
