"""Reading exported span trees in the LlamaIndex tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from llama_index.core.question_gen.types import BaseQuestionGenerator, SubQuestion

DOCUMENTS = [
    "Alpha is the first letter of the Greek alphabet.",
    "Beta particles are electrons emitted by radioactive nuclei.",
    "Gamma rays are the most energetic electromagnetic waves.",
]


def walk(span: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The span and all its descendants, depth first in start order."""
    yield span
    for child in span["children"]:
        yield from walk(child)


def all_spans(exported: dict[str, Any]) -> list[dict[str, Any]]:
    return [span for trace in exported["traces"] for span in walk(trace)]


def shape(span: dict[str, Any]) -> tuple[Any, ...]:
    """(kind, name, children shapes): the tree without payloads or ids."""
    return (span["kind"], span["name"], [shape(child) for child in span["children"]])


def of_kind(spans: list[dict[str, Any]] | dict[str, Any], kind: str) -> list[dict[str, Any]]:
    if isinstance(spans, dict):
        spans = list(walk(spans))
    return [span for span in spans if span["kind"] == kind]


def find(spans: list[dict[str, Any]] | dict[str, Any], name: str) -> dict[str, Any]:
    """The only span whose name is ``name`` (fails if there are none or several)."""
    if isinstance(spans, dict):
        spans = list(walk(spans))
    found = [span for span in spans if span["name"] == name]
    assert len(found) == 1, f"{len(found)} spans named {name!r}: {[s['name'] for s in spans]}"
    return found[0]


def query_traces(exported: dict[str, Any]) -> list[dict[str, Any]]:
    """The traces rooted at a query (index construction traces left out)."""
    return [trace for trace in exported["traces"] if "query" in trace["name"].lower()]


def text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class TwoQuestions(BaseQuestionGenerator):
    """A question generator that always splits a query into the same two sub-questions."""

    def generate(self, tools, query):
        return [
            SubQuestion(sub_question="What is alpha?", tool_name="letters"),
            SubQuestion(sub_question="What is beta?", tool_name="letters"),
        ]

    async def agenerate(self, tools, query):
        return self.generate(tools, query)

    def _get_prompts(self):
        return {}

    def _update_prompts(self, prompts):
        pass
