"""``ui`` and ``report``: the web viewer of a store, and sessions as one self-contained HTML file."""

from __future__ import annotations

import argparse
import errno
import sys
from pathlib import Path
from typing import Any

from chaintracer.cli.common import CommandError, add_store_argument, whole_number
from chaintracer.store import Store

DEFAULT_PORT = 8765


def add_commands(commands: Any) -> None:
    """Adds ``ui`` and ``report``."""
    ui = commands.add_parser(
        "ui",
        help=f"serve a read-only web viewer of the store (http://127.0.0.1:{DEFAULT_PORT}/)",
        description="Serve a read-only web viewer of the store.",
    )
    ui.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    ui.add_argument(
        "--port",
        type=whole_number(0, 65535),
        default=DEFAULT_PORT,
        help=f"port (default: {DEFAULT_PORT}; 0 picks a free one)",
    )
    ui.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host: anyone who can reach it can read your traces",
    )
    ui.add_argument("--open", action="store_true", help="open the viewer in a web browser")
    ui.add_argument("--verbose", action="store_true", help="log every request")
    add_store_argument(ui)
    ui.set_defaults(handler=_ui)

    report = commands.add_parser(
        "report",
        help="write sessions as one self-contained HTML file",
        description="Write sessions as one self-contained HTML file (no network needed to open it).",
    )
    report.add_argument(
        "sessions", nargs="+", metavar="SESSION", help="session ids, unique id prefixes or names (the latest)"
    )
    report.add_argument("-o", "--output", default="report.html", help="file to write (default: report.html)")
    report.add_argument(
        "--max-traces",
        type=whole_number(0),
        default=None,
        metavar="N",
        help="embed at most N traces per session (default: 1000)",
    )
    add_store_argument(report)
    report.set_defaults(handler=_report)


def _ui(args: argparse.Namespace, store: Store) -> int:
    from chaintracer.viewer.server import RemoteNotAllowed, ViewerServer

    store.sessions(limit=1)  # a missing or unreadable store fails here, not per request
    try:
        server = ViewerServer(store, args.host, args.port, allow_remote=args.allow_remote)
    except RemoteNotAllowed as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise CommandError(f"port {args.port} on {args.host} is in use; pick another with --port") from None
        raise CommandError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
    server.verbose = args.verbose
    print(f"chaintracer ui: serving {store.path} at {server.url}  (read-only; Ctrl+C to stop)", flush=True)
    if args.allow_remote:
        print(
            "chaintracer ui: remote access allowed: anyone who can reach this address can read the traces", flush=True
        )
    if args.open:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("", file=sys.stderr)
    finally:
        server.server_close()
    return 0


def _report(args: argparse.Namespace, store: Store) -> int:
    from chaintracer.viewer.report import DEFAULT_MAX_TRACES, build_report

    max_traces = DEFAULT_MAX_TRACES if args.max_traces is None else args.max_traces
    html, info = build_report(store, args.sessions, max_traces=max_traces)
    output = Path(args.output)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from None
    names = ", ".join(info["names"])
    print(f"wrote {output} ({len(html.encode()) / 1024:.0f} KiB): {names}")
    for note in info["notes"]:
        print(f"note: {note}")
    print(f"open it in a browser: file://{output.resolve()}")
    return 0
