"""The built-in scorers over text: exact match, containment, regex, JSON, edit distance, BLEU, ROUGE-L, readability.

Outputs are compared as text (``as_text``): a string as it is, a chat message's content, a
LlamaIndex response's text. A missing output (the target raised) scores its lowest; a missing
``expected`` where one is needed fails the score. BLEU and ROUGE come from sacrebleu and
rouge-score, edit distance from rapidfuzz (``pip install 'chaintracer[eval]'``), readability
from chaintracer's textstat metrics (``chaintracer[metrics]``).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

EVAL_HINT = "pip install 'chaintracer[eval]'"


def as_text(value: Any) -> str:
    """The text of an output: strings as they are, messages and responses by their text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    for attribute in ("content", "response", "text"):  # LangChain messages, LlamaIndex responses
        inner = getattr(value, attribute, None)
        if isinstance(inner, str):
            return inner
        if inner is not None and attribute == "response":  # a workflow agent's AgentOutput.response
            return as_text(inner)
    if isinstance(value, dict):  # a single-key dict, or a response or message read back from the store
        if len(value) == 1:
            return as_text(next(iter(value.values())))
        for key in ("response", "content", "text"):
            if isinstance(value.get(key), str):
                return value[key]
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _expected_text(expected: Any, scorer: str) -> str:
    if expected is None:
        raise ValueError(f"{scorer} needs the example's 'expected' value")
    return as_text(expected)


def _references(expected: Any, scorer: str) -> list[str]:
    if isinstance(expected, (list, tuple)):
        if not expected:
            raise ValueError(f"{scorer} needs at least one reference in 'expected'")
        return [_expected_text(item, scorer) for item in expected]
    return [_expected_text(expected, scorer)]


def exact_match(output: Any, expected: Any) -> bool:
    """True when the output's text equals the expected text (surrounding whitespace ignored)."""
    return as_text(output).strip() == _expected_text(expected, "exact_match").strip()


def contains(output: Any, expected: Any) -> bool:
    """True when the expected text occurs in the output (each of them, for a list)."""
    text = as_text(output)
    return all(reference in text for reference in _references(expected, "contains"))


def regex(output: Any, expected: Any) -> bool:
    """True when the pattern in ``expected`` matches somewhere in the output (``re.search``)."""
    pattern = _expected_text(expected, "regex")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"regex: expected {pattern!r} is not a regular expression ({exc})") from None
    return compiled.search(as_text(output)) is not None


def json_valid(output: Any) -> bool:
    """True when the output is JSON: a dict or list, or a string that parses as JSON."""
    if isinstance(output, (dict, list)):
        return True
    if output is None:
        return False
    try:
        json.loads(as_text(output))
    except ValueError:
        return False
    return True


def levenshtein(output: Any, expected: Any) -> float:
    """Edit-distance similarity in [0, 1]: 1 - distance / length of the longer text (rapidfuzz)."""
    distance = _require("rapidfuzz.distance", "levenshtein")
    return float(distance.Levenshtein.normalized_similarity(as_text(output), _expected_text(expected, "levenshtein")))


def bleu(output: Any, expected: Any) -> float:
    """Sentence BLEU (0-100) of the output against the expected text(s), by sacrebleu's defaults."""
    sacrebleu = _require("sacrebleu", "bleu")
    return float(sacrebleu.sentence_bleu(as_text(output), _references(expected, "bleu")).score)


def rouge_l(output: Any, expected: Any) -> float:
    """ROUGE-L F-measure (0-1) of the output against the expected text (rouge-score; best over a list)."""
    scorer = _rouge_scorer()
    text = as_text(output)
    return max(
        float(scorer.score(reference, text)["rougeL"].fmeasure) for reference in _references(expected, "rouge_l")
    )


def readability(output: Any) -> float:
    """Flesch reading ease of the output (higher is easier to read), as textstat computes it."""
    text = as_text(output)
    if not text.strip():
        raise ValueError("readability needs a non-empty output")
    return float(_readability().metrics(text)["flesch_reading_ease"])


# Checked when evaluate() starts, so a missing package fails at once, not once per example.
levenshtein.check_installed = lambda: _require("rapidfuzz.distance", "levenshtein")  # type: ignore[attr-defined]
bleu.check_installed = lambda: _require("sacrebleu", "bleu")  # type: ignore[attr-defined]
rouge_l.check_installed = lambda: _rouge_scorer()  # type: ignore[attr-defined]
readability.check_installed = lambda: _readability()  # type: ignore[attr-defined]


@lru_cache(maxsize=1)
def _rouge_scorer() -> Any:
    rouge = _require("rouge_score.rouge_scorer", "rouge_l")
    return rouge.RougeScorer(["rougeL"])


@lru_cache(maxsize=1)
def _readability() -> Any:
    from chaintracer.metrics import require

    require("scorers.readability")
    from chaintracer.metrics.complexity import Readability

    return Readability("en_US")


def _require(module: str, scorer: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"chaintracer: the {scorer} scorer needs the package {module.split('.')[0].replace('_', '-')}, "
            f"which is not installed. Install it with: {EVAL_HINT}"
        ) from None
