"""The ``chaintracer`` command line: ``chaintracer COMMAND ...`` or ``python -m chaintracer.cli COMMAND ...``.

Commands, one module each: ``sessions``, ``show``, ``export`` (``sessions``); ``push`` (``push``);
``ui``, ``report`` (``ui``); ``experiments``, ``compare``, ``feedback`` (``experiments``); ``rm``,
``prune`` (``cleanup``). ``common`` holds what they share; ``main`` builds the parser. The full
reference is docs/cli.md.
"""

from chaintracer.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
