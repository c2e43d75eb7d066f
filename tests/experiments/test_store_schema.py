"""Schema 4: a schema-3 store gains the experiment tables in place, its sessions intact."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from chaintracer import Span, Store, Tracer
from chaintracer.export import export_session
from chaintracer.store.schema import SCHEMA_VERSION

NEW_TABLES = ("experiments", "example_runs", "scores", "feedback")


def test_schema_3_store_is_upgraded_in_place(store_path):
    """A store written before experiments existed opens, gains the tables, and keeps its sessions and traces."""
    tracer = Tracer(store=store_path)
    tracer.log_trace(Span("old", "chain"))
    info = tracer.flush_tracker(name="before-experiments", finish=True)
    with sqlite3.connect(store_path) as conn:  # back to schema 3, as the previous release wrote it
        for table in NEW_TABLES:
            conn.execute(f"DROP TABLE {table}")
        for index in ("traces_by_trace_id", "experiments_by_name", "example_runs_by_experiment", "feedback_by_session"):
            conn.execute(f"DROP INDEX IF EXISTS {index}")
        conn.execute("ALTER TABLE traces DROP COLUMN cost")  # schema 5's
        conn.execute("PRAGMA user_version = 3")

    store = Store(store_path, create=False)
    assert store.experiments() == []
    assert [t["name"] for t in export_session(store, info.id)["traces"]] == ["old"]
    trace_id = export_session(store, info.id)["traces"][0]["trace_id"]
    store.add_feedback(trace_id, "useful", 1.0)  # the new tables work on the upgraded file
    store.close()
    # Checked from another process: this one's SQLite locks must not be disturbed (docs/architecture.md).
    code = (
        "import sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1])\n"
        "print(conn.execute('PRAGMA user_version').fetchone()[0])\n"
        "print(sorted(r[0] for r in conn.execute(\"SELECT name FROM sqlite_master WHERE type = 'table'\")))\n"
        "print(conn.execute('SELECT key, score FROM feedback').fetchall())\n"
    )
    out = subprocess.run([sys.executable, "-c", code, store_path], capture_output=True, text=True, check=True)
    version, tables, feedback = out.stdout.splitlines()
    assert int(version) == SCHEMA_VERSION
    assert all(f"'{table}'" in tables for table in NEW_TABLES)
    assert feedback == "[('useful', 1.0)]"
