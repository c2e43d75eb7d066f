"""Session status as readers report it: live, flushed, unflushed, and crashed when a live session's process is gone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from chaintracer import Store
from chaintracer.encoding import EncodedTrace, iso
from chaintracer.stats import TraceStats
from chaintracer.store.process import is_gone, this_process
from chaintracer.viewer import api


def _record(session_id: str, name: str) -> dict:
    now = iso(time.time_ns())
    return {
        "id": session_id,
        "project": "status",
        "name": name,
        "tags": [],
        "started_at": now,
        "ended_at": now,
        "config": {},
        "summary": {"traces": 1},
    }


def _trace(name: str) -> EncodedTrace:
    now = time.time_ns()
    return EncodedTrace(name, name, "chain", "ok", now, now + 1000, "in", "out", TraceStats(spans=1), "{}")


_WRITE_LIVE_AND_EXIT = """
import sys, time
from chaintracer import Store
from chaintracer.encoding import EncodedTrace, iso
from chaintracer.stats import TraceStats
now = time.time_ns()
record = {"id": "gone", "project": "status", "name": "killed-run", "tags": [], "started_at": iso(now),
          "ended_at": iso(now), "config": {}, "summary": {"traces": 1}}
trace = EncodedTrace("t", "t", "chain", "ok", now, now + 1, "", "", TraceStats(), "{}")
Store(sys.argv[1]).write_session(record, [trace],
                                 live=True)
"""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from chaintracer.cli import main; sys.exit(main())", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_reader_shows_live_crashed_and_unflushed_sessions(tmp_path):
    """The store, the viewer's API and `chaintracer sessions` show live, crashed and unflushed (not "live" for all)."""
    path = str(tmp_path / "status.db")
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_WRITE_LIVE_AND_EXIT), path], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    writer = Store(path)
    try:
        writer.write_session(_record("running", "running-run"), [_trace("t")], live=True)
        writer.write_session(_record("exited", "exited-run"), [_trace("t")], status="unflushed")
        writer.write_session(_record("done", "done-run"), [_trace("t")])
    finally:
        writer.close()

    expected = {"gone": "crashed", "running": "live", "exited": "unflushed", "done": "flushed"}
    store = Store(path, create=False)
    try:
        assert {s["id"]: s["status"] for s in store.sessions()} == expected
        assert {item["id"]: item["status"] for item in api.sessions_page(store)["sessions"]} == expected
        assert api.session_detail(store, "gone")["status"] == "crashed"
    finally:
        store.close()
    table = _cli("sessions", "--store", path)
    assert table.returncode == 0, table.stderr
    lines = {line.split()[0]: line for line in table.stdout.splitlines()[1:]}
    assert "(crashed)" in lines["killed-run"] and "(unflushed)" in lines["exited-run"]
    assert "(live)" not in lines["killed-run"] and "(" not in lines["done-run"]


def test_an_unknown_status_is_refused(tmp_path):
    """write_session names a status it does not know instead of storing it."""
    store = Store(tmp_path / "s.db")
    try:
        with pytest.raises(ValueError, match="'crashed'"):
            store.write_session(_record("x", "x"), [], status="crashed")  # shown by readers, never stored
    finally:
        store.close()


def test_a_reused_pid_or_another_host_is_not_mistaken_for_the_writer():
    """A pid now held by a process started later is gone; a process on another host is never judged."""
    me = this_process()
    assert not is_gone(me.pid, me.host, me.start)
    if me.start is not None:  # Linux: the start time tells a reused pid apart
        assert is_gone(me.pid, me.host, str(int(me.start) + 1))
    assert not is_gone(me.pid, "another-host", "0")
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert is_gone(child.pid, me.host, None) or _pid_reused(child.pid)


def _pid_reused(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
