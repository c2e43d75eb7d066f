"""Shared by the experiment tests: a fake chat model answering from a table, the capitals chain and data."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import ConfigurableField
from pydantic import Field

RIGHT = {"France": "Paris", "Spain": "Madrid", "Italy": "Rome"}
ONE_WRONG = {"France": "Paris", "Spain": "Madrid", "Italy": "Milan"}
CAPITALS = [
    {"inputs": {"country": "France"}, "expected": "Paris", "id": "fr"},
    {"inputs": {"country": "Spain"}, "expected": "Madrid", "id": "es"},
    {"inputs": {"country": "Italy"}, "expected": "Rome", "id": "it"},
]


class AtlasChatModel(BaseChatModel):
    """A fake chat model that answers from a table (country -> answer); unknown countries get a shrug."""

    answers: dict[str, str] = Field(default_factory=dict)
    temperature: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "atlas"

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        question = str(messages[-1].content)
        reply = next((answer for country, answer in self.answers.items() if country in question), "I don't know")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])


def capitals_chain():
    """prompt | fake chat model | parser, whose answers are a configurable field ("answers")."""
    model = AtlasChatModel(answers=RIGHT).configurable_fields(
        answers=ConfigurableField(id="answers", name="scripted answers"),
        temperature=ConfigurableField(id="temperature"),
    )
    return ChatPromptTemplate.from_template("What is the capital of {country}?") | model | StrOutputParser()
