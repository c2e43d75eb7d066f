"""Stores written by older chaintracers: readers read them as they are, the next writer upgrades them in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from chaintracer import Span, Store, Tracer
from chaintracer.export import export_session
from chaintracer.store.schema import APPLICATION_ID, SCHEMA_VERSION

# The sessions table as the first release (schema 1) and the next (schema 2, with a status) made it.
_V1_SESSIONS = """CREATE TABLE sessions (
    id TEXT PRIMARY KEY, project TEXT NOT NULL, name TEXT NOT NULL, entity TEXT, tags TEXT NOT NULL, grp TEXT,
    job_type TEXT, notes TEXT, started_at TEXT NOT NULL, ended_at TEXT NOT NULL, config TEXT NOT NULL,
    summary TEXT NOT NULL, model TEXT, exports TEXT NOT NULL DEFAULT '{}')"""
_V2_SESSIONS = _V1_SESSIONS[:-1] + ", status TEXT NOT NULL DEFAULT 'flushed')"
_TRACES = """CREATE TABLE traces (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    trace_id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, start_time TEXT NOT NULL,
    end_time TEXT NOT NULL, latency_ms REAL NOT NULL, spans INTEGER NOT NULL, errors INTEGER NOT NULL,
    tokens INTEGER NOT NULL, input TEXT NOT NULL, output TEXT NOT NULL, tree TEXT NOT NULL,
    PRIMARY KEY (session_id, seq))"""
_ARTIFACTS = """CREATE TABLE artifacts (session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    ref TEXT NOT NULL, media_type TEXT NOT NULL, content TEXT NOT NULL, PRIMARY KEY (session_id, ref))"""
_TRACE_COLUMNS = (
    "session_id, seq, trace_id, name, kind, status, start_time, end_time, latency_ms, spans, errors, tokens, input,"
    " output, tree"
)
_V1_COLUMNS = (
    "id, project, name, entity, tags, grp, job_type, notes, started_at, ended_at, config, summary, model, exports"
)


def _old_store(tmp_path: Path, version: int) -> tuple[str, str]:
    """``(path, session id)`` of a store laid out as schema ``version`` wrote it, holding one real session."""
    source = str(tmp_path / "source.db")
    tracer = Tracer(store=source)
    tracer.log_trace(Span("old", "chain"))
    info = tracer.flush_tracker(name="old-session", finish=True)
    path = str(tmp_path / f"v{version}.db")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(_V1_SESSIONS if version == 1 else _V2_SESSIONS)
        conn.execute(_TRACES)
        if version == 2:
            conn.execute(_ARTIFACTS)
        conn.execute("ATTACH DATABASE ? AS source", (source,))
        columns = _V1_COLUMNS if version == 1 else f"{_V1_COLUMNS}, status"
        conn.execute(f"INSERT INTO sessions ({columns}) SELECT {columns} FROM source.sessions")
        conn.execute(f"INSERT INTO traces SELECT {_TRACE_COLUMNS} FROM source.traces")
        conn.execute("DETACH DATABASE source")
        conn.execute(f"PRAGMA user_version = {version}")
    finally:
        conn.close()
    return path, info.id


def _header(path: str) -> tuple[int, int, list[str]]:
    conn = sqlite3.connect(path)
    try:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(sessions)")]
        return (
            conn.execute("PRAGMA user_version").fetchone()[0],
            conn.execute("PRAGMA application_id").fetchone()[0],
            columns,
        )
    finally:
        conn.close()


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_store_is_read_without_being_changed(tmp_path, version):
    """The CLI and viewer read an older store as it is: old sessions read as flushed, and the file keeps its schema."""
    path, session_id = _old_store(tmp_path, version)
    before = _header(path)
    store = Store(path, create=False)
    try:
        (session,) = store.sessions()
        assert (session["id"], session["status"]) == (session_id, "flushed")
        assert [t["name"] for t in export_session(store, session_id)["traces"]] == ["old"]
        assert store.artifacts(session_id) == {}
        assert store.session_list()["rows"][0]["status"] == "flushed"
    finally:
        store.close()
    assert _header(path) == before


@pytest.mark.parametrize("version", [1, 2])
def test_the_next_writer_upgrades_an_older_store_in_place(tmp_path, version):
    """A tracer flushing into an older store upgrades it to the current schema, keeping what was there."""
    path, session_id = _old_store(tmp_path, version)
    tracer = Tracer(store=path)
    tracer.log_trace(Span("new", "chain"))
    info = tracer.flush_tracker(name="new-session", finish=True)

    user_version, application_id, columns = _header(path)
    assert (user_version, application_id) == (SCHEMA_VERSION, APPLICATION_ID)
    assert {"status", "pid", "host", "pid_start"} <= set(columns)
    store = Store(path, create=False)
    try:
        sessions = {s["id"]: s for s in store.sessions()}
        assert {sid: s["status"] for sid, s in sessions.items()} == {session_id: "flushed", info.id: "flushed"}
        assert [t["name"] for t in export_session(store, session_id)["traces"]] == ["old"]
        assert [t["name"] for t in export_session(store, info.id)["traces"]] == ["new"]
    finally:
        store.close()
