"""Built-in scorers for ``chaintracer.evaluate`` (any function of output, expected, inputs, trace is one too).

``exact_match``, ``contains``, ``regex`` (``expected`` is the pattern), ``json_valid``,
``levenshtein`` (similarity), ``bleu`` (sacrebleu, 0-100), ``rouge_l`` (rouge-score F-measure),
``readability`` (Flesch reading ease), and the factories ``embedding_similarity(embeddings)``
and ``llm_judge(model, rubric)``. BLEU, ROUGE and Levenshtein need ``pip install
'chaintracer[eval]'``; readability needs ``chaintracer[metrics]``.
"""

from chaintracer.experiments.builtin import (
    as_text,
    bleu,
    contains,
    exact_match,
    json_valid,
    levenshtein,
    readability,
    regex,
    rouge_l,
)
from chaintracer.experiments.judges import embedding_similarity, llm_judge
from chaintracer.experiments.scoring import Score

__all__ = [
    "Score",
    "as_text",
    "bleu",
    "contains",
    "embedding_similarity",
    "exact_match",
    "json_valid",
    "levenshtein",
    "llm_judge",
    "readability",
    "regex",
    "rouge_l",
]
