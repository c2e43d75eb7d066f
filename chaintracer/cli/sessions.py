"""``sessions``, ``show`` and ``export``: list the stored sessions, read one in the terminal, print its JSON.

A SESSION is named by its id, any unique prefix of it (at least 4 characters: the viewer shows
12, ``push`` 8), or its name (the latest session with that name). ``show`` numbers traces from 1
in the store's order, as the viewer does; ``--trace`` takes such a number or a trace id prefix.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from chaintracer import terminal
from chaintracer.cli.common import CommandError, add_color_argument, add_store_argument, use_color, whole_number
from chaintracer.export import export_session, session_object
from chaintracer.store import Store

SESSION_HELP = "session id, a unique prefix of it, or a name (the latest session with that name)"


def add_commands(commands: Any) -> None:
    """Adds ``sessions``, ``show`` and ``export``."""
    sessions = commands.add_parser("sessions", help="list sessions, newest first", description="List sessions.")
    sessions.add_argument("--json", action="store_true", help="print the session objects (export contract) as JSON")
    sessions.add_argument("--project", help="only sessions of this project")
    sessions.add_argument("--limit", type=whole_number(1), metavar="N", help="list at most N sessions")
    add_color_argument(sessions)
    add_store_argument(sessions)
    sessions.set_defaults(handler=_sessions)

    show = commands.add_parser(
        "show",
        help="print a session's traces: span trees, questions, answers, errors, cost",
        description="Print a session's traces as span trees with each trace's question and answer.",
    )
    show.add_argument("session", metavar="SESSION", help=SESSION_HELP)
    show.add_argument(
        "--trace",
        metavar="N|ID",
        help="only this trace: its number (1 is the first, as in the viewer) or a unique prefix of its id; "
        "its question and answer are printed whole",
    )
    show.add_argument("--errors", action="store_true", help="only traces with a failed span, and what failed")
    show.add_argument(
        "--span",
        metavar="ID",
        help="one span in full (inputs, outputs, attributes, error, traceback): its id or a unique prefix",
    )
    show.add_argument("--max-traces", type=whole_number(1), metavar="N", help="print at most N traces")
    add_color_argument(show)
    add_store_argument(show)
    show.set_defaults(handler=_show)

    export = commands.add_parser(
        "export", help="print a session as JSON (the export contract)", description="Print a session as JSON."
    )
    export.add_argument("session", metavar="SESSION", help=SESSION_HELP)
    export.add_argument("--format", choices=("json",), default="json", help="output format (default: json)")
    add_store_argument(export)
    export.set_defaults(handler=_export)


def _sessions(args: argparse.Namespace, store: Store) -> int:
    sessions = store.sessions(project=args.project, limit=args.limit)
    if args.json:
        print(json.dumps([session_object(s) for s in sessions], indent=2, ensure_ascii=False))
    elif not sessions:
        print(f"no sessions in {store.path}" + (f" for project {args.project!r}" if args.project else ""))
    else:
        print(terminal.sessions_table(sessions, color=use_color(args.color)))
    return 0


def _show(args: argparse.Namespace, store: Store) -> int:
    color = use_color(args.color)
    session = store.session(args.session)
    if args.span is not None:
        return _show_span(store, session, args, color)
    if args.trace is not None:
        number, root = store.find_trace(session["id"], args.trace)
        traces = [(number, root)]
    else:
        traces = store.numbered_trees(session["id"], errors_only=args.errors, limit=args.max_traces)
    total = store.session_detail(session["id"])["stored_traces"]
    # Ids cut short, yet told apart from every id of the session (also the traces not shown).
    short = terminal.short_ids(store.ids(session["id"]))
    lines = terminal.session_header(session, color)
    for number, root in traces:
        lines.append("")
        lines += terminal.trace_block(number, total, root, short, color, whole=args.trace is not None)
        if args.errors:
            lines += terminal.error_lines(root, short, color)
    lines.append("")
    lines.append(_footer(session, args, len(traces), total))
    print("\n".join(line.rstrip() for line in lines).rstrip())
    return 0


def _footer(session: dict[str, Any], args: argparse.Namespace, shown: int, total: int) -> str:
    name = session["id"][:12]
    if total == 0:
        return "this session has no traces (nothing was traced before it was flushed)"
    if args.trace is not None:
        return f"one span in full: chaintracer show {name} --span ID"
    if args.errors and shown == 0:
        return "no trace of this session has a failed span"
    if args.errors:
        return f"{shown} of {total} traces have a failed span; the traceback of one: chaintracer show {name} --span ID"
    if shown < total:
        more = f"{total - shown} more trace{'s' if total - shown > 1 else ''}"
        return f"... {more} (chaintracer show {name} --trace N; chaintracer export {name})"
    return f"one trace: chaintracer show {name} --trace N; one span: --span ID"


def _show_span(store: Store, session: dict[str, Any], args: argparse.Namespace, color: bool) -> int:
    number = store.find_trace(session["id"], args.trace)[0] if args.trace is not None else None
    found = store.find_spans(session["id"], args.span, number)
    where = f"trace {number} of session {session['name']!r}" if number else f"session {session['name']!r}"
    if not found:
        raise CommandError(f"no span with an id starting {args.span!r} in {where}")
    if len(found) > 1:
        named = ", ".join(f"{span['span_id']} ({span['name']}, trace {n})" for n, span in found[:5])
        raise CommandError(f"{args.span!r} is the start of {len(found)} span ids in {where}: {named}; give more")
    number, span = found[0]
    annotations = store.annotations(session["id"])
    feedback = annotations["feedback"].get(span["span_id"])
    if feedback:
        span["feedback"] = feedback
    print(terminal.span_detail(session, number, span, color))
    return 0


def _export(args: argparse.Namespace, store: Store) -> int:
    print(json.dumps(export_session(store, args.session), indent=2, ensure_ascii=False))
    return 0
