"""Two prompt experiments, offline: a question at three temperatures, and two wordings of a prompt.

The scripted model answers a capital right unless its temperature makes it drift (decided by
a hash of the question, so every run gives the same answers): accuracy falls as the
temperature rises, which the Experiments page shows as a chart with intervals and as
regressions in the per-example grid.
"""

from __future__ import annotations

import hashlib
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import ConfigurableField

import chaintracer
from chaintracer import scorers

CAPITALS = {
    "France": "Paris",
    "Spain": "Madrid",
    "Italy": "Rome",
    "Germany": "Berlin",
    "Portugal": "Lisbon",
    "Greece": "Athens",
    "Poland": "Warsaw",
    "Austria": "Vienna",
    "Norway": "Oslo",
    "Ireland": "Dublin",
    "Hungary": "Budapest",
    "Finland": "Helsinki",
}
# What a drifting model says instead: a big city of the same country, never its capital.
DRIFT = {
    "France": "Lyon",
    "Spain": "Barcelona",
    "Italy": "Milan",
    "Germany": "Munich",
    "Portugal": "Porto",
    "Greece": "Thessaloniki",
    "Poland": "Krakow",
    "Austria": "Salzburg",
    "Norway": "Bergen",
    "Ireland": "Cork",
    "Hungary": "Debrecen",
    "Finland": "Tampere",
}


class ScriptedGeographer(BaseChatModel):
    """Answers "What is the capital of X?"; drifts to another city more often the hotter it runs."""

    model_name: str = "scripted-geographer"
    temperature: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "scripted-geographer"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "temperature": self.temperature}

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        prompt = " ".join(str(m.content) for m in messages)
        country = next((name for name in CAPITALS if name in prompt), None)
        if country is None:
            text = "I do not know."
        else:
            roll = int(hashlib.sha256(country.encode()).hexdigest()[:4], 16) / 0xFFFF
            city = DRIFT[country] if roll < self.temperature * 0.6 else CAPITALS[country]
            text = city if "one word" in prompt else f"The capital of {country} is {city}."
        usage = {"input_tokens": len(prompt.split()), "output_tokens": len(text.split())}
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
        message = AIMessage(content=text, usage_metadata=usage, response_metadata={"model_name": self.model_name})
        return ChatResult(generations=[ChatGeneration(message=message)])


def words(output: str) -> int:
    """A scorer of our own: the answer's length in words."""
    return len(str(output).split())


def run(store: str) -> list[str]:
    """Runs both experiments into ``store``; returns their names."""
    data = [{"inputs": {"country": country}, "expected": city, "id": country} for country, city in CAPITALS.items()]
    model = ScriptedGeographer().configurable_fields(temperature=ConfigurableField(id="temperature"))
    chain = ChatPromptTemplate.from_template("What is the capital of {country}?") | model | StrOutputParser()
    chaintracer.evaluate(
        chain,
        data,
        scorers=[scorers.contains, scorers.exact_match, words],
        variants={"t0.0": {"temperature": 0.0}, "t0.5": {"temperature": 0.5}, "t1.0": {"temperature": 1.0}},
        name="capitals-temperature",
        project="experiments_demo",
        tags=["demo"],
        store=store,
        progress=False,
    )
    steady = ScriptedGeographer(temperature=0.4)
    sentence = ChatPromptTemplate.from_template("What is the capital of {country}?") | steady | StrOutputParser()
    one_word = ChatPromptTemplate.from_template("In one word: the capital of {country}?") | steady | StrOutputParser()
    chaintracer.evaluate(
        sentence,
        data,
        scorers=[scorers.contains, scorers.exact_match, words],
        variants={"sentence": sentence, "one-word": one_word},
        name="capitals-wording",
        project="experiments_demo",
        tags=["demo"],
        store=store,
        progress=False,
    )
    return ["capitals-temperature", "capitals-wording"]
