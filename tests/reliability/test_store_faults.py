"""Real faults on the store: read-only files and folders, a full disk, corruption, another app's file, SIGKILL.

Root ignores ``chmod``, so as root the tests make files read-only with ``chattr +i`` (refused
even to root) and mount a read-only bind or a tiny tmpfs inside a private mount namespace
(``unshare --mount``: nothing is left mounted when the test ends). Each fault is checked for
what a user sees: one ``StoreError`` naming the path and the fix, nothing lost, and the same
tracer working again once the fault is gone. Database files are only ever opened by SQLite or
by another process (docs/architecture.md: an ``open()``/``close()`` in this process drops SQLite's locks).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaintracer import Span, Store, StoreError, Tracer
from chaintracer.export import export_session
from chaintracer.viewer.server import ViewerServer

IS_ROOT = os.geteuid() == 0


def _log(tracer: Tracer, name: str, payload: str = "") -> None:
    span = Span(name, "chain")
    span.add_named_result({"q": payload or name}, {"a": name.upper()})
    tracer.log_trace(span)


def _child_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "CHAINTRACER_STORE"}


def _python(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs ``script`` in a fresh interpreter (never in this process: see the module docstring)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_child_env(),
        check=False,
    )


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return _python("import sys; from chaintracer.cli import main; sys.exit(main())", *args)


_MAKE_STORE = """
import sys
from chaintracer import Span, Tracer
tracer = Tracer(store=sys.argv[1], project="faults")
for index in range(3):
    span = Span(f"trace-{index}", "chain")
    span.add_child_span(Span("tool", "tool"))
    tracer.log_trace(span)
print(tracer.flush_tracker(name=sys.argv[2], finish=True).id)
"""

# The same, killed right after its flush commits: the session is in the -wal, not yet in the main file.
_LEAVE_WAL = _MAKE_STORE.replace(
    "print(tracer.flush_tracker(name=sys.argv[2], finish=True).id)",
    "tracer.flush_tracker(name=sys.argv[2])\nimport os\nos._exit(0)",
)


def _make_store(path: Path, name: str = "before") -> str:
    """A real store written and closed by another process (WAL checkpointed, no -wal left); the session id."""
    done = _python(_MAKE_STORE, str(path), name)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _names(path: Path, ref: str) -> list[str]:
    store = Store(path, create=False)
    try:
        return [t["name"] for t in export_session(store, ref)["traces"]]
    finally:
        store.close()


@contextlib.contextmanager
def _read_only(*paths: Path) -> Iterator[None]:
    """Makes ``paths`` unwritable for the duration: ``chattr +i`` as root (chmod binds only other users)."""
    done: list[Path] = []
    try:
        for path in paths:
            if IS_ROOT:
                if not shutil.which("chattr"):
                    pytest.skip("running as root without chattr: nothing here makes a file read-only for root")
                result = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True, check=False)
                if result.returncode:
                    pytest.skip(f"chattr +i is refused on this file system ({result.stderr.strip()})")
            else:
                path.chmod(path.stat().st_mode & ~0o222)
            done.append(path)
        yield
    finally:
        for path in reversed(done):
            if IS_ROOT:
                subprocess.run(["chattr", "-i", str(path)], check=False)
            else:
                path.chmod(path.stat().st_mode | 0o200)


def _in_mount_namespace(script: str, *args: str) -> dict:
    """Runs ``script`` as root in a private mount namespace; its last stdout line is JSON."""
    if not IS_ROOT or not shutil.which("unshare"):
        pytest.skip("mounting a tmpfs or a read-only bind needs root and unshare(1)")
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=_child_env(),
        check=False,
    )
    if done.returncode and done.stderr.startswith("unshare:"):
        pytest.skip(f"the kernel refuses a private mount namespace here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if "skip" in result:
        pytest.skip(f"the kernel refuses the mount: {result['skip']}")
    return result


# -- read-only ---------------------------------------------------------------------------------


def test_read_only_store_file_is_a_store_error_and_heals(tmp_path):
    """A read-only store file fails the flush with a StoreError naming the fix; made writable, the tracer writes."""
    path = tmp_path / "traces.db"
    _make_store(path)
    tracer = Tracer(store=str(path))
    _log(tracer, "kept")
    with _read_only(path):
        with pytest.raises(StoreError) as raised:
            tracer.flush_tracker(name="after")
        assert str(path) in str(raised.value) and "writable" in str(raised.value)
    _log(tracer, "later")
    info = tracer.flush_tracker(name="after", finish=True)
    assert info.summary["traces"] == 2
    assert _names(path, "after") == ["kept", "later"]
    assert _names(path, "before") == ["trace-0", "trace-1", "trace-2"]


def test_traces_waiting_for_a_read_only_store_are_held_compressed_and_stored_whole(tmp_path):
    """While spills fail, waiting traces take a fraction of their text in memory; healed, they are stored and found."""
    path = tmp_path / "traces.db"
    _make_store(path)
    tracer = Tracer(store=str(path))
    texts = [" ".join(f"word{i}-{j}" for j in range(400)) for i in range(2)]
    with _read_only(path):
        _log(tracer, "before-failure", texts[0])
        tracer.force_flush(30.0)  # the spill fails: the trace waits
        _log(tracer, "after-failure", texts[1])
        tracer.force_flush(30.0)
        waiting = tracer._writer.session.pending()
        held = sum(len(trace.tree_json) for trace in waiting)
        assert len(waiting) == 2 and held < sum(len(text) for text in texts) / 2
    info = tracer.flush_tracker(name="healed", finish=True)
    assert info.summary["traces"] == 2
    store = Store(path, create=False)
    try:
        traces = export_session(store, "healed")["traces"]
        assert [t["inputs"]["q"] for t in traces] == texts
        rows, total = store.trace_page(info.id, search="word1-399")
        assert total == 1 and rows[0]["name"] == "after-failure"
    finally:
        store.close()


def test_read_only_folder_is_a_store_error_and_heals(tmp_path):
    """A store in a read-only folder (no room for its -wal) fails with a StoreError naming the fix, then heals."""
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "traces.db"
    _make_store(path)
    tracer = Tracer(store=str(path))
    _log(tracer, "kept")
    with _read_only(folder):
        with pytest.raises(StoreError) as raised:
            tracer.flush_tracker(name="after")
        assert str(path) in str(raised.value) and "folder writable" in str(raised.value)
    info = tracer.flush_tracker(name="after", finish=True)
    assert info.summary["traces"] == 1 and _names(path, "after") == ["kept"]


def test_missing_folder_under_a_read_only_parent_is_a_store_error(tmp_path):
    """A store whose folder cannot be created is a StoreError (not PermissionError) naming it; the same tracer heals."""
    parent = tmp_path / "parent"
    parent.mkdir()
    path = parent / "missing" / "traces.db"
    tracer = Tracer(store=str(path))
    _log(tracer, "kept")
    with _read_only(parent):
        with pytest.raises(StoreError) as raised:
            tracer.flush_tracker(name="s")
        assert str(path) in str(raised.value) and "writable" in str(raised.value)
    info = tracer.flush_tracker(name="s", finish=True)
    assert info.summary["traces"] == 1 and _names(path, "s") == ["kept"]


_READ_ONLY_MOUNT = """
import json, subprocess, sys
folder, name = sys.argv[1], sys.argv[2]
for command in (["mount", "--bind", folder, folder], ["mount", "-o", "remount,ro,bind", folder]):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        print(json.dumps({"skip": done.stderr.strip()}))
        sys.exit(0)
def cli(*args):
    done = subprocess.run([sys.executable, "-c", "import sys; from chaintracer.cli import main; sys.exit(main())",
                           *args, "--store", folder + "/traces.db"], capture_output=True, text=True)
    return {"code": done.returncode, "out": done.stdout, "err": done.stderr}
print(json.dumps({"sessions": cli("sessions", "--json"), "show": cli("show", name),
                  "export": cli("export", name), "files": sorted(__import__("os").listdir(folder))}))
"""


def test_store_in_a_read_only_mount_can_be_browsed(tmp_path):
    """`sessions`, `show` and `export` read a closed store on a read-only file system (a read-only bind mount)."""
    folder = tmp_path / "mounted"
    folder.mkdir()
    _make_store(folder / "traces.db", "before")
    result = _in_mount_namespace(_READ_ONLY_MOUNT, str(folder), "before")
    for command in ("sessions", "show", "export"):
        assert result[command]["code"] == 0, result[command]["err"]
    assert [s["name"] for s in json.loads(result["sessions"]["out"])] == ["before"]
    assert "trace-2" in result["show"]["out"]
    assert [t["name"] for t in json.loads(result["export"]["out"])["traces"]] == ["trace-0", "trace-1", "trace-2"]
    assert result["files"] == ["traces.db"]


@pytest.mark.parametrize("shm", [True, False], ids=["with-shm", "without-shm"])
def test_a_write_ahead_log_on_a_read_only_mount_is_read_or_named(tmp_path, shm):
    """On a read-only mount a -wal with its -shm is read (its sessions listed); without one, one error line names it."""
    folder = tmp_path / "mounted"
    folder.mkdir()
    path = folder / "traces.db"
    _make_store(path, "before")
    done = _python(_LEAVE_WAL, str(path), "in-wal")  # killed after its commit: that session is only in the -wal
    assert done.returncode == 0, done.stderr
    assert Path(f"{path}-wal").stat().st_size > 0
    if not shm:
        Path(f"{path}-shm").unlink()  # e.g. the store and its -wal copied to an archive
    listed = _in_mount_namespace(_READ_ONLY_MOUNT, str(folder), "in-wal")["sessions"]
    if shm:
        assert listed["code"] == 0, listed["err"]
        assert {s["name"] for s in json.loads(listed["out"])} == {"before", "in-wal"}
    else:
        assert listed["code"] == 2 and len(listed["err"].strip().splitlines()) == 1
        assert f"{path}-wal" in listed["err"] and "writable" in listed["err"]


def test_read_only_folder_and_file_can_be_browsed_by_the_cli_and_the_viewer(tmp_path):
    """A closed store made read-only with its folder is listed, shown, exported and served by the viewer."""
    folder = tmp_path / "archive"
    folder.mkdir()
    path = folder / "traces.db"
    session_id = _make_store(path, "archived")
    with _read_only(path, folder):
        listed = _cli("sessions", "--store", str(path))
        shown = _cli("show", "archived", "--store", str(path))
        exported = _cli("export", "archived", "--store", str(path))
        for done in (listed, shown, exported):
            assert done.returncode == 0, done.stderr
        assert "archived" in listed.stdout and "trace-1" in shown.stdout
        assert json.loads(exported.stdout)["session"]["id"] == session_id

        store = Store(path, create=False)
        server = ViewerServer(store, "127.0.0.1", 0)
        server.start_background()
        try:
            sessions = _get_json(server.url + "api/sessions")["sessions"]
            assert [s["name"] for s in sessions] == ["archived"]
            # Trace URLs are numbered from 1.
            assert _get_json(server.url + "api/sessions/archived/traces/2")["tree"]["name"] == "trace-1"
        finally:
            server.shutdown()
            server.server_close()
            store.close()
    assert sorted(os.listdir(folder)) == ["traces.db"]


def test_reads_are_read_only_in_sqlite_itself(tmp_path):
    """A reader's connection refuses every write, whatever the statement looks like (no prefix check)."""
    path = tmp_path / "traces.db"
    _make_store(path)
    store = Store(path, create=False)
    try:
        assert not hasattr(store, "query")
        # The read connection itself, as the read methods use it: SQLite, not our code, must refuse.
        with store._transaction(writing=False) as conn:
            for statement in (
                "WITH d AS (SELECT 1) DELETE FROM traces",
                "UPDATE sessions SET name = 'x'",
                "INSERT INTO artifacts VALUES ('s', 'r', 'text/plain', 'x')",
                "PRAGMA user_version = 99",
            ):
                with pytest.raises(sqlite3.OperationalError, match="readonly"):
                    conn.execute(statement)
        assert _names(path, "before") == ["trace-0", "trace-1", "trace-2"]
    finally:
        store.close()


# -- full disk, corruption ---------------------------------------------------------------------

_FULL_DISK = """
import json, os, subprocess, sys
folder = sys.argv[1]
done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", folder], capture_output=True, text=True)
if done.returncode:
    print(json.dumps({"skip": done.stderr.strip()}))
    sys.exit(0)
from chaintracer import Span, Store, StoreError, Tracer
from chaintracer.export import export_session
path = os.path.join(folder, "traces.db")
tracer = Tracer(store=path, project="full")
tracer.log_trace(Span("small", "chain"))
tracer.flush_tracker(name="small")
for index in range(12):
    span = Span(f"big-{index}", "chain")
    span.add_named_result({"q": os.urandom(24_000).hex()}, {"a": "ok"})
    tracer.log_trace(span)
try:
    tracer.flush_tracker(name="big")
    error = None
except StoreError as exc:
    error = str(exc)
subprocess.run(["mount", "-o", "remount,size=32m", folder], check=True)
info = tracer.flush_tracker(name="big", finish=True)
store = Store(path, create=False)
print(json.dumps({
    "error": error,
    "traces": info.summary["traces"],
    "big": [t["name"] for t in export_session(store, "big")["traces"]],
    "small": [t["name"] for t in export_session(store, "small")["traces"]],
}))
"""


def test_full_disk_is_a_store_error_and_the_session_waits_for_space(tmp_path):
    """On a full disk (512 KiB tmpfs) the flush names the path and the fix; with space, the same tracer stores all."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    result = _in_mount_namespace(_FULL_DISK, str(folder))
    assert result["error"] is not None, "the flush did not fail on a full disk"
    assert "traces.db" in result["error"] and "disk is full" in result["error"] and "free some space" in result["error"]
    assert result["traces"] == 12 and result["big"] == [f"big-{i}" for i in range(12)]
    assert result["small"] == ["small"]


_CORRUPT = """
import os, sys
path = sys.argv[1]
size = os.path.getsize(path)
with open(path, "r+b") as handle:  # page 1 (header, schema) stays; every table page becomes noise
    handle.seek(4096)
    handle.write(os.urandom(size - 4096))
"""


def test_corrupt_store_moved_aside_as_told_heals_the_same_tracer(tmp_path):
    """A store corrupt past its header fails with "move it aside"; once moved, the same tracer writes a new store."""
    path = tmp_path / "traces.db"
    _make_store(path)
    assert not Path(f"{path}-wal").exists()
    done = _python(_CORRUPT, str(path))
    assert done.returncode == 0, done.stderr
    tracer = Tracer(store=str(path))
    _log(tracer, "one")
    _log(tracer, "two")
    with pytest.raises(StoreError) as raised:
        tracer.flush_tracker(name="rescued")
    message = str(raised.value)
    assert str(path) in message and "move it aside" in message

    for suffix in ("", "-wal", "-shm"):  # what the message says
        if Path(f"{path}{suffix}").exists():
            os.rename(f"{path}{suffix}", f"{path}.corrupt{suffix}")
    _log(tracer, "three")
    info = tracer.flush_tracker(name="rescued", finish=True)
    assert info.summary["traces"] == 3
    assert _names(path, "rescued") == ["one", "two", "three"]


def test_a_store_moved_away_while_the_tracer_runs_is_not_written_through_its_old_connection(tmp_path):
    """A store moved between two flushes: the next flush names its -wal to move along, then starts a new store."""
    path = tmp_path / "traces.db"
    archive = tmp_path / "archive.db"
    tracer = Tracer(store=str(path))
    _log(tracer, "first")
    tracer.flush_tracker(name="first")
    os.rename(path, archive)  # the main file only, as a user would; "first" may still be in traces.db-wal
    _log(tracer, "second")
    with pytest.raises(StoreError, match="write-ahead log") as raised:
        tracer.flush_tracker(name="second")
    assert f"{path}-wal" in str(raised.value)
    for suffix in ("-wal", "-shm"):  # what the message says
        if Path(f"{path}{suffix}").exists():
            os.rename(f"{path}{suffix}", f"{archive}{suffix}")
    tracer.flush_tracker(name="second", finish=True)
    tracer.store.close()
    assert _names(path, "second") == ["second"] and _names(archive, "first") == ["first"]
    assert [s["name"] for s in Store(path, create=False).sessions()] == ["second"]


def test_a_store_moved_without_its_write_ahead_log_is_not_mixed_into_a_new_one(tmp_path):
    """A -wal left behind by a moved store stops the next writer with a StoreError instead of corrupting a new one."""
    path = tmp_path / "traces.db"
    done = _python(_LEAVE_WAL, str(path), "in-wal")
    assert done.returncode == 0, done.stderr
    os.rename(path, f"{path}.moved")  # without its -wal
    tracer = Tracer(store=str(path))
    _log(tracer, "kept")
    with pytest.raises(StoreError, match="write-ahead log"):
        tracer.flush_tracker(name="s")
    assert not path.exists()
    os.rename(f"{path}-wal", f"{path}.moved-wal")
    if Path(f"{path}-shm").exists():
        os.rename(f"{path}-shm", f"{path}.moved-shm")
    assert tracer.flush_tracker(name="s", finish=True).summary["traces"] == 1
    assert _names(path, "s") == ["kept"]
    assert _names(Path(f"{path}.moved"), "in-wal") == ["trace-0", "trace-1", "trace-2"]


# -- another application's file ----------------------------------------------------------------

_FOREIGN = """
import sqlite3, sys
path, journal, version = sys.argv[1], sys.argv[2], int(sys.argv[3])
conn = sqlite3.connect(path)
conn.execute(f"PRAGMA journal_mode = {journal}")
conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
conn.executemany("INSERT INTO notes (body) VALUES (?)", [(f"note {i}",) for i in range(50)])
conn.execute(f"PRAGMA user_version = {version}")
conn.commit()
conn.close()
"""
_FINGERPRINT = """
import hashlib, json, os, sqlite3, sys
path = sys.argv[1]
digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
wal = path + "-wal"
conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
print(json.dumps({
    "sha256": digest,
    "user_version": conn.execute("PRAGMA user_version").fetchone()[0],
    "application_id": conn.execute("PRAGMA application_id").fetchone()[0],
    "journal_mode": conn.execute("PRAGMA journal_mode").fetchone()[0],
    "tables": [row[0] for row in conn.execute("SELECT name FROM sqlite_master ORDER BY name")],
    "wal_bytes": os.path.getsize(wal) if os.path.exists(wal) else 0,
    "journal": os.path.exists(path + "-journal"),
}))
"""


def _fingerprint(path: Path) -> dict:
    done = _python(_FINGERPRINT, str(path))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("journal", "version"), [("delete", 0), ("delete", 3), ("wal", 0), ("wal", 7)], ids=lambda v: str(v)
)
def test_another_applications_sqlite_file_is_refused_and_left_untouched(tmp_path, journal, version):
    """Another application's SQLite file is refused (tracer and CLI) and keeps its bytes, version and journal mode."""
    path = tmp_path / "app.db"
    done = _python(_FOREIGN, str(path), journal, str(version))
    assert done.returncode == 0, done.stderr
    before = _fingerprint(path)
    files_before = sorted(os.listdir(tmp_path))

    tracer = Tracer(store=str(path))
    _log(tracer, "kept")
    with pytest.raises(StoreError, match="not a chaintracer store") as raised:
        tracer.flush_tracker(name="s")
    assert str(path) in str(raised.value)
    listed = _cli("sessions", "--store", str(path))
    assert listed.returncode == 2 and "not a chaintracer store" in listed.stderr
    tracer.store.close()

    assert _fingerprint(path) == before
    if journal == "delete":
        assert sorted(os.listdir(tmp_path)) == files_before  # not even a -wal or -shm beside it


def test_an_empty_file_is_an_empty_store(tmp_path):
    """A zero-byte file (touch, or a creation cut short elsewhere) lists no sessions, and the next flush fills it."""
    path = tmp_path / "traces.db"
    path.touch()
    listed = _cli("sessions", "--store", str(path))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("no sessions in")
    tracer = Tracer(store=str(path))
    _log(tracer, "first")
    tracer.flush_tracker(name="s", finish=True)
    assert _names(path, "s") == ["first"]


# -- SIGKILL during the first write ------------------------------------------------------------

_CREATE_FOREVER = """
import os, sys
from chaintracer import Span, Tracer
folder = sys.argv[1]
print("ready", flush=True)
index = 0
while True:
    tracer = Tracer(store=os.path.join(folder, f"s{index:04d}.db"), project="kill")
    tracer.log_trace(Span(f"t{index}", "chain"))
    tracer.flush_tracker(name=f"s{index}", finish=True)
    index += 1
"""


@pytest.mark.slow
def test_sigkill_during_the_first_write_never_leaves_a_file_readers_reject(tmp_path):
    """Processes killed at random points while creating stores leave each store empty or whole, never unreadable."""
    rng = random.Random(20261122)
    interrupted = 0
    for kill in range(24):
        folder = tmp_path / f"kill-{kill:02d}"
        folder.mkdir()
        child = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(_CREATE_FOREVER), str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_child_env(),
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "ready", child.stderr
        try:
            child.wait(timeout=rng.uniform(0.0, 0.25))
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""

        for path in sorted(folder.glob("s*.db")):
            store = Store(path, create=False)
            try:
                sessions = store.sessions()  # raises StoreError for a file readers reject
                assert len(sessions) <= 1, path
                for session in sessions:
                    assert [t["name"] for t in export_session(store, session["id"])["traces"]] == [
                        f"t{int(path.stem[1:])}"
                    ]
                interrupted += not sessions
            finally:
                store.close()
        # Writers take over the last store (empty or whole) and the one whose creation was cut short,
        # and clear what the killed creation left beside it.
        targets = set(sorted(folder.glob("s*.db"))[-1:])
        targets |= {folder / f"{name.split('.')[1]}.db" for name in os.listdir(folder) if ".creating" in name}
        for target in sorted(targets):
            tracer = Tracer(store=str(target))
            tracer.log_trace(Span("after", "chain"))
            tracer.flush_tracker(name="after", finish=True)
            assert _names(target, "after") == ["after"]
        assert not [name for name in os.listdir(folder) if ".creating" in name]
    listed = _cli("sessions", "--store", str(sorted(targets)[-1]))
    assert listed.returncode == 0, listed.stderr
    print(f"{interrupted} of 24 kills left an empty store behind")


_TOO_SMALL_TO_CREATE = """
import json, os, subprocess, sys
folder = sys.argv[1]
# Room for the new store's main file, not for it and its write-ahead log at once.
done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", folder], capture_output=True, text=True)
if done.returncode:
    print(json.dumps({"skip": done.stderr.strip()}))
    sys.exit(0)
from chaintracer import Span, StoreError, Tracer
path = os.path.join(folder, "traces.db")
tracer = Tracer(store=path)
tracer.log_trace(Span("first", "chain"))
try:
    tracer.flush_tracker(name="first")
    error = None
except StoreError as exc:
    error = str(exc)
left = sorted(os.listdir(folder))
subprocess.run(["mount", "-o", "remount,size=32m", folder], check=True)
info = tracer.flush_tracker(name="first", finish=True)
print(json.dumps({"error": error, "left": left, "traces": info.summary["traces"]}))
"""


def test_a_store_that_cannot_be_completed_is_never_put_in_place(tmp_path):
    """A disk too small for a new store: "disk is full", no half-made store left, and a later flush creates it."""
    folder = tmp_path / "tiny-disk"
    folder.mkdir()
    result = _in_mount_namespace(_TOO_SMALL_TO_CREATE, str(folder))
    assert result["error"] is not None and "disk is full" in result["error"]
    assert result["left"] == []
    assert result["traces"] == 1
