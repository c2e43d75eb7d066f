"""``push``: send stored sessions to a tracking backend later (after a flight, or once a package is installed).

The exporter is built from the backend table the tracer itself uses (``chaintracer.exporters``),
so ``push --to X`` and ``Tracer(backends=[X])`` send the same thing; each outcome is recorded on
the session (``chaintracer sessions --json`` shows it under ``exports``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chaintracer.cli.common import CommandError, add_store_argument
from chaintracer.exporters import EXPORTERS
from chaintracer.store import Store


def add_commands(commands: Any) -> None:
    """Adds ``push``."""
    push = commands.add_parser(
        "push",
        help="send stored sessions to a backend (W&B, an OTLP collector)",
        description="Send stored sessions to a tracking backend.",
    )
    push.add_argument("sessions", nargs="*", metavar="SESSION", help="session ids, unique id prefixes or names")
    push.add_argument("--to", required=True, choices=tuple(EXPORTERS), help="the backend")
    push.add_argument(
        "--endpoint", metavar="URL", help="with --to otlp: the collector (default: $OTEL_EXPORTER_OTLP_*)"
    )
    push.add_argument("--all", action="store_true", help="every session in the store (with --project: of it)")
    push.add_argument("--project", help="with --all: only this project's sessions")
    push.add_argument("--force", action="store_true", help="push sessions that were pushed before again")
    add_store_argument(push)
    push.set_defaults(handler=_push)


def _push(args: argparse.Namespace, store: Store) -> int:
    from chaintracer.exporters import build_exporter, exporter_document, push  # a backend's packages load here

    if bool(args.sessions) == bool(args.all):
        raise CommandError("name the sessions to push, or pass --all (not both)")
    if args.endpoint is not None and args.to != "otlp":
        raise CommandError(f"--endpoint applies to --to otlp, not --to {args.to}")
    if args.project is not None and not args.all:
        raise CommandError("--project applies to --all")
    if args.all:
        targets = list(reversed(store.sessions(project=args.project)))  # oldest first
    else:
        targets = [store.session(ref) for ref in args.sessions]
    options = {"endpoint": args.endpoint} if args.endpoint is not None else {}
    try:
        exporter = build_exporter(args.to, **options)
    except (ImportError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    failed = skipped = 0
    try:
        for index, session in enumerate(targets, 1):
            previous = (session.get("exports") or {}).get(args.to) or {}
            label = f"{session['name']} ({session['id'][:12]})"
            if previous.get("status") == "pushed" and not args.force:
                skipped += 1
                _progress(index, len(targets), f"{label}: pushed before, skipped (use --force to push again)")
                continue
            outcome = push(exporter, store, session["id"], exporter_document(store, session["id"]))
            failed += outcome["status"] == "failed"
            skipped += outcome["status"] == "skipped"
            _progress(index, len(targets), f"{label}: {outcome['status']} {_where(outcome)}")
    finally:
        exporter.shutdown()
    print(f"pushed {len(targets) - failed - skipped}, skipped {skipped}, failed {failed}", file=sys.stderr)
    return 1 if failed else 0


def _where(outcome: dict[str, Any]) -> str:
    return str(outcome.get("run_path") or outcome.get("endpoint") or outcome.get("error") or outcome.get("reason", ""))


def _progress(done: int, total: int, message: str, width: int = 24) -> None:
    filled = round(width * done / total) if total else width
    print(f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {message}", file=sys.stderr)
