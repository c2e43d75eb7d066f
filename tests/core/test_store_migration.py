"""Stores written by an older chaintracer open and are upgraded in place, data intact."""

from __future__ import annotations

import sqlite3

from chaintracer import Span, Store, Tracer
from chaintracer.export import export_session
from chaintracer.store.schema import SCHEMA_VERSION


def test_version_1_store_is_upgraded_and_keeps_its_sessions(store_path):
    """A schema-1 store (no session status column) gains it; old sessions read as flushed."""
    tracer = Tracer(store=store_path)
    tracer.log_trace(Span("old", "chain"))
    info = tracer.flush_tracker(name="old-session", finish=True)
    # Turn the file back into schema 1 as the first release wrote it.
    with sqlite3.connect(store_path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(sessions)") if row[1] != "status"]
        conn.execute(f"CREATE TABLE sessions_v1 AS SELECT {', '.join(columns)} FROM sessions")
        conn.execute("DROP TABLE sessions")
        conn.execute("ALTER TABLE sessions_v1 RENAME TO sessions")
        conn.execute("DROP INDEX traces_by_latency")
        conn.execute("PRAGMA user_version = 1")

    store = Store(store_path, create=False)
    (session,) = store.sessions()
    assert (session["id"], session["status"]) == (info.id, "flushed")
    assert [t["name"] for t in export_session(store, info.id)["traces"]] == ["old"]
    with sqlite3.connect(store_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'traces_by_latency'").fetchone()[0] == 1
