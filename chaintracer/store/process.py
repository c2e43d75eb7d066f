"""Which process writes a live session, and whether a process that wrote one is gone.

A live session records the writer's pid, host name and (on Linux) the process's start time;
a reader on the same host reports it ``crashed`` once that process no longer exists. The start
time guards against pid reuse: a restarted container runs its new program as pid 1 again.
"""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path
from typing import NamedTuple


class Writer(NamedTuple):
    """The identity of a process that writes sessions."""

    pid: int
    host: str
    start: str | None


@functools.cache
def _host() -> str:
    return socket.gethostname()


_current: list[Writer] = []


def this_process() -> Writer:
    """This process (after a fork, the child: the pid is compared on every call)."""
    pid = os.getpid()
    if not _current or _current[0].pid != pid:
        _current[:] = [Writer(pid, _host(), _start_time(pid))]
    return _current[0]


def is_gone(pid: int | None, host: str | None, start: str | None) -> bool:
    """Whether the process that wrote a live session has certainly ended (False when unknown)."""
    if pid is None or host != _host() or os.name == "nt":
        return False  # another machine, or Windows (os.kill(pid, 0) would terminate the process)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, owned by another user
    except OSError:
        return False
    stat = _stat_fields(pid)
    if stat is None:
        return False
    state, started = stat
    return state in ("Z", "X") or (start is not None and started != start)


def _start_time(pid: int) -> str | None:
    stat = _stat_fields(pid)
    return None if stat is None else stat[1]


def _stat_fields(pid: int) -> tuple[str, str] | None:
    """``(state, start time in clock ticks since boot)`` from ``/proc/<pid>/stat`` (Linux only)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = text[text.rfind(")") + 2 :].split()
    if len(fields) < 20:
        return None
    return fields[0], fields[19]
