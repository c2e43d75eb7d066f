"""Each built-in scorer on known values; BLEU and ROUGE equal to the libraries' own numbers."""

from __future__ import annotations

import math
import sys

import pytest
import sacrebleu
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models import FakeListChatModel
from langchain_core.messages import AIMessage
from llama_index.core.embeddings import MockEmbedding
from rapidfuzz.distance import Levenshtein
from rouge_score import rouge_scorer

import chaintracer
from chaintracer import scorers
from chaintracer.experiments.scoring import BoundScorer, Score, score_example
from chaintracer.export import export_session
from llamaindex_tracer.testing import ScriptedLLM


def test_exact_match_compares_stripped_text():
    """exact_match: equal text (surrounding whitespace ignored), messages compared by content."""
    assert scorers.exact_match(" Paris\n", "Paris") is True
    assert scorers.exact_match("paris", "Paris") is False
    assert scorers.exact_match(AIMessage(content="Paris"), "Paris") is True
    assert scorers.exact_match(None, "Paris") is False
    with pytest.raises(ValueError, match="needs the example's 'expected'"):
        scorers.exact_match("Paris", None)


def test_contains_and_regex():
    """contains: expected (each of a list) occurs in the output; regex: expected is a pattern searched for."""
    assert scorers.contains("The capital is Paris.", "Paris") is True
    assert scorers.contains("The capital is Paris.", ["capital", "Paris"]) is True
    assert scorers.contains("The capital is Paris.", ["capital", "Rome"]) is False
    assert scorers.regex("Order 1234 shipped", r"\b\d{4}\b") is True
    assert scorers.regex("Order shipped", r"\b\d{4}\b") is False
    with pytest.raises(ValueError, match="not a regular expression"):
        scorers.regex("x", "(unclosed")


def test_json_valid():
    """json_valid: JSON strings, dicts and lists are valid; prose and None are not."""
    assert scorers.json_valid('{"a": [1, 2]}') is True
    assert scorers.json_valid({"a": 1}) is True
    assert scorers.json_valid("{'a': 1}") is False
    assert scorers.json_valid("Sure! Here is the JSON") is False
    assert scorers.json_valid(None) is False


def test_levenshtein_similarity_on_known_values():
    """levenshtein: 1 - edits / longer length (kitten -> sitting is 3 edits over 7 characters)."""
    assert scorers.levenshtein("kitten", "sitting") == pytest.approx(1 - 3 / 7)
    assert scorers.levenshtein("same", "same") == 1.0
    assert scorers.levenshtein("kitten", "sitting") == Levenshtein.normalized_similarity("kitten", "sitting")


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("the cat sat on the mat", "the cat sat on the mat"),
        ("the cat is on the mat", "the cat sat on the mat"),
        ("a dog ran in the park today", ["the cat sat on the mat", "a dog ran in a park"]),
        ("", "nothing"),
    ],
)
def test_bleu_and_rouge_equal_the_libraries(output, expected):
    """bleu is sacrebleu's sentence BLEU; rouge_l is rouge-score's ROUGE-L F-measure (best reference)."""
    references = expected if isinstance(expected, list) else [expected]
    assert scorers.bleu(output, expected) == sacrebleu.sentence_bleu(output, references).score
    rouge = rouge_scorer.RougeScorer(["rougeL"])
    assert scorers.rouge_l(output, expected) == max(rouge.score(r, output)["rougeL"].fmeasure for r in references)


def test_bleu_of_a_perfect_answer_is_100_and_rouge_is_1():
    """Known anchors: an identical sentence scores BLEU 100 and ROUGE-L 1."""
    assert scorers.bleu("the cat sat on the mat", "the cat sat on the mat") == pytest.approx(100.0)
    assert scorers.rouge_l("the cat sat on the mat", "the cat sat on the mat") == 1.0
    assert scorers.rouge_l("completely different words", "the cat sat on the mat") == 0.0


def test_readability_is_flesch_reading_ease():
    """readability: the Flesch reading ease of chaintracer's textstat metrics (simple text reads easier)."""
    from chaintracer.metrics.complexity import Readability

    simple = "The cat sat. The dog ran. We had fun."
    hard = "Notwithstanding considerable organisational heterogeneity, institutional accountability remains."
    # Readability's values equal textstat's own (pinned in tests/metrics/test_metrics_complexity.py).
    assert scorers.readability(simple) == Readability("en_US").metrics(simple)["flesch_reading_ease"]
    assert scorers.readability(simple) > 90 > 0 > scorers.readability(hard)


def test_embedding_similarity_with_langchain_and_llamaindex_embeddings():
    """embedding_similarity: cosine of the two texts' embeddings, with either framework's embeddings."""
    langchain = scorers.embedding_similarity(DeterministicFakeEmbedding(size=16))
    assert langchain.__name__ == "embedding_similarity"
    assert langchain("same words", "same words") == pytest.approx(1.0)
    first, second = DeterministicFakeEmbedding(size=16).embed_documents(["a cat", "a dog"])
    dot = sum(x * y for x, y in zip(first, second))
    expected = dot / math.sqrt(sum(x * x for x in first) * sum(y * y for y in second))
    assert langchain("a cat", "a dog") == pytest.approx(expected)
    # MockEmbedding embeds every text as the same constant vector: similarity 1.
    assert scorers.embedding_similarity(MockEmbedding(embed_dim=8))("a cat", "a dog") == pytest.approx(1.0)
    with pytest.raises(TypeError, match="LangChain Embeddings"):
        scorers.embedding_similarity(object())


def test_llm_judge_parses_score_and_reasoning_from_both_frameworks():
    """llm_judge: the user's model grades by the rubric; the score keeps the judge's reasoning."""
    langchain = scorers.llm_judge(
        FakeListChatModel(responses=['{"reasoning": "Correct and concise.", "score": 5}']), "Is it correct?"
    )
    assert langchain(output="Paris", expected="Paris", inputs={"country": "France"}) == Score(
        5.0, "Correct and concise."
    )
    llamaindex = scorers.llm_judge(ScriptedLLM(script=["Reasoning: close enough.\nScore: 3"]), "Is it correct?")
    judged = llamaindex(output="Paris.", expected="Paris")
    assert judged.value == 3.0 and "close enough" in judged.reasoning
    out_of_scale = scorers.llm_judge(FakeListChatModel(responses=['{"score": 9}']), "rubric")
    with pytest.raises(ValueError, match=r"outside 1\.\.5"):
        out_of_scale(output="x")
    with pytest.raises(ValueError, match="rubric"):
        scorers.llm_judge(FakeListChatModel(responses=["x"]), "")


def test_judge_reasoning_and_failed_scores_are_stored(store_path):
    """In an experiment a judge's score keeps its reasoning, and a raising scorer keeps its error."""
    judge = scorers.llm_judge(FakeListChatModel(responses=['{"reasoning": "fine", "score": 4}']), "Good?")

    def broken(output):
        raise ZeroDivisionError("scorer bug")

    exp = chaintracer.evaluate(
        lambda inputs: "Paris",
        [{"inputs": {"q": "capital of France"}, "expected": "Paris"}],
        scorers=[judge, broken, scorers.exact_match],
        name="judged",
        store=store_path,
        framework="none",
    )
    (root,) = export_session(exp.store, exp.sessions[0].id)["traces"]
    assert root["scores"] == {
        "llm_judge": {"value": 4.0, "reasoning": "fine"},
        "broken": {"value": None, "error": "ZeroDivisionError: scorer bug"},
        "exact_match": True,
    }
    summary = exp.summary()["default"]
    assert summary["llm_judge"]["mean"] == 4.0
    assert summary["broken"] == {"mean": None, "ci_low": None, "ci_high": None, "n": 0}
    assert summary["exact_match"]["mean"] == 1.0


def test_scorers_are_bound_by_parameter_names():
    """A scorer receives only the parameters it names; dict results become several named scores."""
    seen = {}

    def needs_inputs(inputs, output):
        seen.update(inputs=inputs, output=output)
        return {"length": len(output), "asked": bool(inputs)}

    scores = score_example(
        [BoundScorer(needs_inputs)], {"output": "abc", "expected": None, "inputs": {"q": 1}, "trace": None}
    )
    assert seen == {"inputs": {"q": 1}, "output": "abc"}
    assert scores == {"length": 3, "asked": True}


RETURNS = "a scorer returns a bool, a number, a dict of named numbers or a Score"


@pytest.mark.parametrize(
    ("result", "stored"),
    [
        (float("nan"), {"value": None, "error": "ValueError: score 'scorer' is nan, not a finite number"}),
        (
            "good",
            {
                "value": None,
                "error": f"TypeError: score 'scorer' is str 'good'; {RETURNS}",
            },
        ),
        (
            None,
            {
                "value": None,
                "error": f"TypeError: score 'scorer' is NoneType None; {RETURNS}",
            },
        ),
    ],
)
def test_unusable_results_fail_the_score(result, stored):
    """A scorer returning NaN, a string or nothing fails that score with a message saying why."""

    def scorer(output):
        return result

    assert score_example([BoundScorer(scorer)], {"output": "x"}) == {"scorer": stored}


def test_scorer_signature_is_checked_up_front():
    """A scorer wanting an unknown parameter, or none of the known ones, is refused when evaluate starts."""

    def wrong(output, reference):
        return 1

    def nothing():
        return 1

    with pytest.raises(TypeError, match="parameter 'reference'"):
        BoundScorer(wrong)
    with pytest.raises(TypeError, match="what would it score"):
        BoundScorer(nothing)


def test_missing_eval_extra_names_the_install_command(monkeypatch):
    """Without sacrebleu installed, using the bleu scorer fails at once naming chaintracer[eval]."""
    monkeypatch.setitem(sys.modules, "sacrebleu", None)
    with pytest.raises(ImportError, match=r"pip install 'chaintracer\[eval\]'"):
        BoundScorer(scorers.bleu)
