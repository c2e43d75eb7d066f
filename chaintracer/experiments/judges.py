"""Scorers that call the user's models: embedding similarity and a model acting as judge.

Both accept LangChain or LlamaIndex objects, recognised by the methods they have (so nothing
here imports a framework): LangChain ``Embeddings`` (``embed_documents``) or a LlamaIndex
embed model (``get_text_embedding_batch``); a LangChain chat model or LLM (``invoke``) or a
LlamaIndex LLM (``complete``). Scorers run after the example's trace is written, so these
model calls are not part of the example's trace.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from chaintracer.experiments.builtin import _expected_text, as_text
from chaintracer.experiments.scoring import Score

JUDGE_PROMPT = """You are grading an answer against a rubric.

Rubric:
{rubric}

Input:
{inputs}

Expected answer (may be empty):
{expected}

Answer to grade:
{output}

Give a score from {low} to {high} (higher is better). Reply with JSON only:
{{"reasoning": "<one or two sentences>", "score": <number>}}"""

_SCORE_LINE = re.compile(r"score\W{0,3}\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE)


def embedding_similarity(embeddings: Any, name: str = "embedding_similarity") -> Callable[..., float]:
    """A scorer: cosine similarity of the output's and the expected text's embeddings."""
    if hasattr(embeddings, "embed_documents"):

        def embed(texts: list[str]) -> list[list[float]]:
            return embeddings.embed_documents(texts)

    elif hasattr(embeddings, "get_text_embedding_batch"):

        def embed(texts: list[str]) -> list[list[float]]:
            return embeddings.get_text_embedding_batch(texts)

    else:
        raise TypeError(
            "embedding_similarity needs a LangChain Embeddings (embed_documents) or a LlamaIndex embed model "
            f"(get_text_embedding_batch), not {type(embeddings).__name__}"
        )

    def scorer(output: Any, expected: Any) -> float:
        first, second = embed([as_text(output), _expected_text(expected, name)])
        return cosine(first, second)

    scorer.__name__ = name
    return scorer


def cosine(first: list[float], second: list[float]) -> float:
    """Cosine similarity of two vectors (0 when either is all zeros)."""
    if len(first) != len(second):
        raise ValueError(f"embeddings of different lengths: {len(first)} and {len(second)}")
    norms = math.sqrt(math.fsum(x * x for x in first)) * math.sqrt(math.fsum(y * y for y in second))
    if norms == 0:
        return 0.0
    return math.fsum(x * y for x, y in zip(first, second)) / norms


def llm_judge(
    model: Any, rubric: str, name: str = "llm_judge", scale: tuple[float, float] = (1, 5)
) -> Callable[..., Score]:
    """A scorer: the model grades the output by ``rubric`` on ``scale``; the score keeps its reasoning."""
    if not isinstance(rubric, str) or not rubric.strip():
        raise ValueError(f"llm_judge needs a rubric (a non-empty string), not {rubric!r}")
    low, high = scale
    if not low < high:
        raise ValueError(f"llm_judge scale must be (low, high) with low < high, not {scale!r}")
    ask = _asker(model)

    def scorer(output: Any, expected: Any = None, inputs: Any = None) -> Score:
        prompt = JUDGE_PROMPT.format(
            rubric=rubric.strip(),
            inputs=json.dumps(inputs, ensure_ascii=False, default=str),
            expected="" if expected is None else as_text(expected),
            output=as_text(output),
            low=low,
            high=high,
        )
        reply = ask(prompt)
        value, reasoning = parse_judgement(reply)
        if not low <= value <= high:
            raise ValueError(f"the judge's score {value} is outside {low}..{high}: {reply[:200]!r}")
        return Score(value, reasoning)

    scorer.__name__ = name
    return scorer


def _asker(model: Any) -> Callable[[str], str]:
    if hasattr(model, "invoke"):  # LangChain chat models and LLMs
        return lambda prompt: as_text(model.invoke(prompt))
    if hasattr(model, "complete"):  # LlamaIndex LLMs
        return lambda prompt: as_text(model.complete(prompt))
    raise TypeError(
        "llm_judge needs a LangChain chat model/LLM (invoke) or a LlamaIndex LLM (complete), "
        f"not {type(model).__name__}"
    )


def parse_judgement(reply: str) -> tuple[float, str | None]:
    """``(score, reasoning)`` from the judge's reply: a JSON object, or a "Score: N" line."""
    match = re.search(r"\{.*\}", reply, re.DOTALL)
    if match:
        try:
            parsed = json.loads(match.group())
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("score"), (int, float)):
            reasoning = parsed.get("reasoning")
            return float(parsed["score"]), None if reasoning is None else str(reasoning)
    line = _SCORE_LINE.search(reply)
    if line is None:
        raise ValueError(f"no score in the judge's reply: {reply[:200]!r}")
    return float(line.group(1)), reply.strip()
