"""The ``chaintracer`` command: list, show, export and push the sessions in a local store."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from chaintracer import __version__
from chaintracer.export import export_session, session_object
from chaintracer.settings import DEFAULT_STORE
from chaintracer.store import ExperimentNotFound, SessionNotFound, Store, StoreError
from chaintracer.terminal import session_tree, sessions_table

EXIT_USAGE = 2


class CommandError(Exception):
    """A one-line error for the user; the command exits with code 2."""


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=None,
        help=f"SQLite store (default: $CHAINTRACER_STORE or ./{DEFAULT_STORE})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chaintracer", description="Inspect traced LangChain/LlamaIndex sessions.")
    parser.add_argument("--version", action="version", version=f"chaintracer {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sessions = commands.add_parser("sessions", help="list sessions, newest first")
    sessions.add_argument("--json", action="store_true", help="print the session objects as JSON")
    sessions.add_argument("--project", help="only sessions of this project")
    add_store_argument(sessions)
    sessions.set_defaults(handler=_sessions)

    show = commands.add_parser("show", help="print a session's span trees")
    show.add_argument("session", help="session id, or name (the latest with that name)")
    show.add_argument("--max-traces", type=int, default=None, help="print at most this many traces")
    show.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    add_store_argument(show)
    show.set_defaults(handler=_show)

    export = commands.add_parser("export", help="print a session as JSON (the export contract)")
    export.add_argument("session", help="session id, or name (the latest with that name)")
    export.add_argument("--format", choices=("json",), default="json")
    add_store_argument(export)
    export.set_defaults(handler=_export)

    for module in ("chaintracer.exporters.cli", "chaintracer.viewer.cli", "chaintracer.experiments.cli"):
        _register(module, commands)
    return parser


def _register(module: str, commands: Any) -> None:
    """Adds the commands of a part that lives in its own package (push, ui, report)."""
    import importlib

    try:
        part = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return  # that part is not built yet
        raise
    part.add_commands(commands)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    store = Store(args.store or os.environ.get("CHAINTRACER_STORE") or DEFAULT_STORE, create=False)
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


def _sessions(args: argparse.Namespace, store: Store) -> int:
    sessions = store.sessions(project=args.project)
    if args.json:
        print(json.dumps([session_object(s) for s in sessions], indent=2, ensure_ascii=False))
    elif not sessions:
        print(f"no sessions in {store.path}" + (f" for project {args.project!r}" if args.project else ""))
    else:
        print(sessions_table(sessions))
    return 0


def _show(args: argparse.Namespace, store: Store) -> int:
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    print(session_tree(export_session(store, args.session), color=color, max_traces=args.max_traces))
    return 0


def _export(args: argparse.Namespace, store: Store) -> int:
    print(json.dumps(export_session(store, args.session), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
