"""The ``chaintracer`` command: the parser made of every command module, and ``main``.

Each module of this package adds its commands (``add_commands``) and imports what a command
needs (the viewer, an exporter's packages, the statistics) inside its handler, so ``chaintracer
--help`` and ``chaintracer sessions`` load none of it. A handler gets the parsed arguments and
the store (opened read-only until a command writes); a ``CommandError``, a ``StoreError`` or a
session, trace or experiment that cannot be found is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from chaintracer import __version__
from chaintracer.cli import cleanup, experiments, push, sessions, ui
from chaintracer.cli.common import EXIT_USAGE, CommandError, store_path
from chaintracer.store import ExperimentNotFound, SessionNotFound, Store, StoreError

# In the order ``chaintracer --help`` lists them.
COMMAND_MODULES = (sessions, push, ui, experiments, cleanup)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command."""
    parser = argparse.ArgumentParser(
        prog="chaintracer",
        description="Inspect, export and manage traced LangChain/LlamaIndex sessions in a local store.",
        epilog="Run `chaintracer COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"chaintracer {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command; returns its exit code (0 ok, 1 a failure it reports, 2 a usage or lookup error)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse has printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    store = Store(store_path(args.store), create=False)
    try:
        return args.handler(args, store) or 0
    except (StoreError, SessionNotFound, ExperimentNotFound, CommandError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        print(f"chaintracer: {message}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `chaintracer export x | head`
        return 0
    finally:
        store.close()
