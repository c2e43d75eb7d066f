"""The local SQLite store: format, clear errors at flush, no lost sessions, several writers."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import chaintracer.store.sqlite as store_sqlite
from chaintracer import Span, Store, StoreError, Tracer
from chaintracer.export import export_session
from chaintracer.store.schema import SCHEMA_VERSION


def _log(tracer: Tracer, name: str) -> None:
    root = Span(name=name, span_kind="chain")
    root.add_child_span(Span(name=f"{name}/tool", span_kind="tool"))
    tracer.log_trace(root)


def _trace_names(store_path: str, ref: str) -> list[str]:
    store = Store(store_path, create=False)
    try:
        return [t["name"] for t in export_session(store, ref)["traces"]]
    finally:
        store.close()


def test_store_is_wal_with_a_schema_version(store_path):
    """A new store file uses WAL journaling and records its schema version in `user_version`."""
    tracer = Tracer(store=store_path)
    _log(tracer, "t")
    tracer.flush_tracker(name="s")
    conn = sqlite3.connect(store_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    assert version == SCHEMA_VERSION >= 1


def test_store_directory_is_created(tmp_path):
    """A store path in directories that do not exist yet is created at the first flush."""
    path = tmp_path / "nested" / "dirs" / "traces.db"
    tracer = Tracer(store=str(path))
    _log(tracer, "t")
    tracer.flush_tracker(name="s")
    assert path.exists()
    assert _trace_names(str(path), "s") == ["t"]


def test_reading_a_missing_store_does_not_create_it(tmp_path):
    """Opening a store for reading only raises StoreError naming the path and creates no file."""
    path = tmp_path / "absent.db"
    store = Store(path, create=False)
    with pytest.raises(StoreError, match=r"absent\.db"):
        store.sessions()
    assert not path.exists()


def test_newer_schema_is_refused(store_path):
    """A store written by a newer chaintracer gives StoreError saying so, and the session survives for a later flush."""
    conn = sqlite3.connect(store_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.commit()
    conn.close()
    tracer = Tracer(store=store_path)
    _log(tracer, "kept")
    with pytest.raises(StoreError, match="newer") as raised:
        tracer.flush_tracker(name="s")
    assert store_path in str(raised.value)

    os.replace(store_path, store_path + ".future")
    info = tracer.flush_tracker(name="s")
    assert info.summary["traces"] == 1
    assert _trace_names(store_path, info.id) == ["kept"]


def test_corrupt_store_raises_and_keeps_the_session(store_path):
    """A corrupt store gives StoreError naming its path, is left untouched, and a later flush writes every trace."""
    garbage = b"this is not a database\x00\xff" * 500
    Path(store_path).write_bytes(garbage)
    tracer = Tracer(store=store_path)
    _log(tracer, "before-1")
    _log(tracer, "before-2")
    with pytest.raises(StoreError) as raised:
        tracer.flush_tracker(name="rescued")
    assert store_path in str(raised.value)
    assert Path(store_path).read_bytes() == garbage

    _log(tracer, "after")
    Path(store_path).rename(store_path + ".corrupt")  # what the error message tells the user to do
    info = tracer.flush_tracker(name="rescued")
    assert info.summary["traces"] == 3
    assert sorted(_trace_names(store_path, "rescued")) == ["after", "before-1", "before-2"]


def test_store_path_that_is_a_directory(tmp_path):
    """A store path that is a directory gives StoreError naming it at flush."""
    directory = tmp_path / "a_directory"
    directory.mkdir()
    tracer = Tracer(store=str(directory))
    _log(tracer, "t")
    with pytest.raises(StoreError, match="a_directory"):
        tracer.flush_tracker(name="s")
    directory.rmdir()  # the path fixed: the next flush saves the kept session (none is left for the exit)
    tracer.flush_tracker(name="s")
    assert tracer.store.session("s")["summary"]["traces"] == 1


def test_locked_store_gives_a_clear_error(store_path, monkeypatch):
    """A store locked by another connection past the busy timeout gives StoreError "locked"; the session waits."""
    monkeypatch.setattr(store_sqlite, "BUSY_TIMEOUT_MS", 200)
    first = Tracer(store=store_path)
    _log(first, "existing")
    first.flush_tracker(name="existing")

    tracer = Tracer(store=store_path)
    _log(tracer, "waiting")
    blocker = sqlite3.connect(store_path, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        with pytest.raises(StoreError, match="locked") as raised:
            tracer.flush_tracker(name="blocked")
        assert time.monotonic() - started < 5
        assert store_path in str(raised.value)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    info = tracer.flush_tracker(name="blocked")
    assert info.summary["traces"] == 1
    assert _trace_names(store_path, "blocked") == ["waiting"]


_WRITER = """
import sys
import chaintracer
path, worker = sys.argv[1], sys.argv[2]
tracer = chaintracer.Tracer(store=path, project="multi")
for session in range(5):
    for index in range(3):
        root = chaintracer.Span(name=f"w{worker}-s{session}-t{index}")
        root.add_child_span(chaintracer.Span(name="tool", span_kind="tool"))
        tracer.log_trace(root)
    tracer.flush_tracker(name=f"w{worker}-s{session}")
print("done")
"""


def test_several_processes_write_one_store(store_path):
    """Four processes flushing five sessions each into one new store file lose and corrupt nothing."""
    env = {**os.environ, "CHAINTRACER_RAISE_INTERNAL_ERRORS": "1"}
    env.pop("CHAINTRACER_STORE", None)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, store_path, str(worker)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for worker in range(4)
    ]
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.strip() == "done"

    conn = sqlite3.connect(store_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    store = Store(store_path, create=False)
    try:
        sessions = store.sessions(project="multi")
        assert sorted(s["name"] for s in sessions) == sorted(f"w{w}-s{s}" for w in range(4) for s in range(5))
        for session in sessions:
            document = export_session(store, session["id"])
            assert [t["name"] for t in document["traces"]] == [f"{session['name']}-t{i}" for i in range(3)]
            for trace in document["traces"]:
                (child,) = trace["children"]
                assert child["parent_id"] == trace["span_id"]
            assert session["summary"]["spans"] == 6
            json.dumps(document, allow_nan=False)
    finally:
        store.close()
