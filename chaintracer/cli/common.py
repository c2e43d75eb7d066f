"""What every command shares: the one-line error, the ``--store`` and ``--color`` options, checked numbers.

A bad number is refused by argparse with a message naming the option and the value (exit code
2), never accepted silently. Colour follows ``--color``: ``auto`` paints only a terminal, and
not when ``NO_COLOR`` is set (https://no-color.org) or ``TERM=dumb``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import TextIO

from chaintracer.settings import DEFAULT_STORE

EXIT_USAGE = 2
COLOR_CHOICES = ("auto", "always", "never")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class CommandError(Exception):
    """A one-line error for the user; the command exits with code 2."""


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    """``--store PATH``."""
    parser.add_argument(
        "--store",
        default=None,
        metavar="PATH",
        help=f"the SQLite store to read (default: $CHAINTRACER_STORE, else ./{DEFAULT_STORE})",
    )


def store_path(option: str | None) -> str:
    """The store a command reads: ``--store``, else ``$CHAINTRACER_STORE``, else ``./chaintracer.db``."""
    return option or os.environ.get("CHAINTRACER_STORE") or DEFAULT_STORE


def add_color_argument(parser: argparse.ArgumentParser) -> None:
    """``--color auto|always|never``."""
    parser.add_argument(
        "--color",
        choices=COLOR_CHOICES,
        default="auto",
        help="colour errors and headings: auto (a terminal, unless NO_COLOR is set), always or never",
    )


def use_color(choice: str, stream: TextIO | None = None) -> bool:
    """Whether to paint output for ``--color choice`` on ``stream`` (stdout by default)."""
    if choice in ("always", "never"):
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    stream = sys.stdout if stream is None else stream
    return bool(getattr(stream, "isatty", lambda: False)())


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse ``type``: an integer from ``minimum`` (to ``maximum``), else a message naming the value."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f"{minimum} or more"
            raise argparse.ArgumentTypeError(f"must be {bounds}, not {value}")
        return value

    parse.__name__ = "number"  # argparse names the type in its messages
    return parse


def duration(text: str) -> timedelta:
    """An argparse ``type``: ``30d``, ``12h``, ``2w``, ``90m`` or ``45s``."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive count with a unit s, m, h, d or w (30d), not {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def confirm(question: str, assume_yes: bool, what: str) -> bool:
    """Asks ``question [y/N]`` on the terminal; without one, refuses unless ``--yes`` was given."""
    if assume_yes:
        return True
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise CommandError(f"not a terminal, so nothing to confirm with: pass --yes to {what}")
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        answer = ""
    return answer.strip().lower() in ("y", "yes")
