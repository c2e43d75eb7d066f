"""``rm`` and ``prune``: delete sessions (with their traces, artifacts, scores and feedback) from the store.

Both list what they would delete and ask before deleting; ``--yes`` skips the question, and
without a terminal to ask on they refuse unless ``--yes`` is given. A session still being
recorded (``live``, its process running) is never deleted: its program would write it again.
SQLite keeps the freed pages for reuse; the file shrinks only with ``VACUUM``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from typing import Any

from chaintracer.cli.common import CommandError, add_store_argument, confirm, duration
from chaintracer.store import Store
from chaintracer.terminal import format_usd

_LISTED = 20  # sessions listed before "... and N more"


def add_commands(commands: Any) -> None:
    """Adds ``rm`` and ``prune``."""
    rm = commands.add_parser(
        "rm",
        help="delete sessions with their traces, artifacts, scores and feedback",
        description="Delete sessions from the store (asks first).",
    )
    rm.add_argument("sessions", nargs="+", metavar="SESSION", help="session ids, unique id prefixes or names")
    rm.add_argument("-y", "--yes", action="store_true", help="delete without asking (needed without a terminal)")
    add_store_argument(rm)
    rm.set_defaults(handler=_rm)

    prune = commands.add_parser(
        "prune",
        help="delete the sessions that ended longer ago than --older-than",
        description="Delete old sessions from the store (asks first).",
    )
    prune.add_argument(
        "--older-than",
        required=True,
        type=duration,
        metavar="AGE",
        help="delete sessions that ended more than AGE ago: 30d, 12h, 2w, 90m, 45s",
    )
    prune.add_argument("--project", help="only sessions of this project")
    prune.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    prune.add_argument("-y", "--yes", action="store_true", help="delete without asking (needed without a terminal)")
    add_store_argument(prune)
    prune.set_defaults(handler=_prune)


def _rm(args: argparse.Namespace, store: Store) -> int:
    chosen: dict[str, dict[str, Any]] = {}
    for ref in args.sessions:
        session = store.session(ref)
        if session["status"] == "live":
            raise CommandError(
                f"session {session['name']!r} ({session['id'][:12]}) is being recorded by a running program "
                "(status live); stop it or let it flush first"
            )
        chosen[session["id"]] = session
    return _delete(store, list(chosen.values()), args.yes, dry_run=False)


def _prune(args: argparse.Namespace, store: Store) -> int:
    cutoff = (datetime.now(timezone.utc) - args.older_than).isoformat(timespec="microseconds")
    found = store.sessions_ended_before(cutoff, project=args.project)
    live = [s for s in found if s["status"] == "live"]
    old = [s for s in found if s["status"] != "live"]
    scope = f" of project {args.project!r}" if args.project else ""
    if live:
        print(f"keeping {len(live)} session(s) still being recorded (live)", file=sys.stderr)
    if not old:
        print(f"no sessions{scope} ended before {cutoff[:19].replace('T', ' ')} UTC in {store.path}")
        return 0
    return _delete(store, old, args.yes, dry_run=args.dry_run)


def _delete(store: Store, sessions: list[dict[str, Any]], assume_yes: bool, dry_run: bool) -> int:
    traces = sum(int((s.get("summary") or {}).get("traces") or 0) for s in sessions)
    verb = "would delete" if dry_run else "deleting"
    print(f"{verb} {len(sessions)} session(s), {traces} trace(s) from {store.path}:")
    for session in sessions[:_LISTED]:
        print(f"  {_line(session)}")
    if len(sessions) > _LISTED:
        print(f"  ... and {len(sessions) - _LISTED} more")
    if dry_run:
        print("dry run: nothing deleted")
        return 0
    if not confirm(f"Delete {len(sessions)} session(s) and {traces} trace(s)?", assume_yes, "delete sessions"):
        print("nothing deleted")
        return 1
    deleted = store.delete_sessions([s["id"] for s in sessions])
    counts = [f"{deleted[table]} {table}" for table in ("sessions", "traces", "artifacts", "scores", "feedback")]
    if deleted["experiments"]:
        counts.append(f"{deleted['experiments']} experiments left without runs")
    print(f"deleted {', '.join(counts)}")
    return 0


def _line(session: dict[str, Any]) -> str:
    summary = session.get("summary") or {}
    cost = summary.get("cost")
    spent = f"  {format_usd(cost.get('total'))}" if isinstance(cost, dict) else ""
    return (
        f"{session['id'][:12]}  {session['name']}  ({session['project']}, ended "
        f"{str(session['ended_at'])[:19].replace('T', ' ')}, {summary.get('traces', 0)} traces{spent})"
    )
