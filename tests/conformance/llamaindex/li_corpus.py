"""The corpus: LlamaIndex programs adapted from LlamaIndex's documentation, each with its source page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PAGES = "https://developers.llamaindex.ai/python"
# The ways users switch tracing on: the tracer in the callback manager, instrument(), or both.
MODES = ("legacy", "instrumentation", "both")


@dataclass(frozen=True)
class Program:
    """A program of the corpus and the documentation page it was adapted from."""

    run: Callable[[Any], Any]
    source: str

    @property
    def name(self) -> str:
        return self.run.__name__


PROGRAMS: list[Program] = []


def program(source: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Registers a program (``def name(run): ...``, sync or async) adapted from ``source``."""

    def register(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        PROGRAMS.append(Program(fn, source))
        return fn

    return register
