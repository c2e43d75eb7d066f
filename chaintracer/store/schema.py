"""The store's schema, versioned with ``PRAGMA user_version`` and marked with ``PRAGMA application_id``.

Older stores are upgraded in place by the first writer that opens them (``MIGRATIONS``); readers
never write, so they see an older store through ``TEMP`` views that add the missing columns
with their defaults (see ``chaintracer.store.connection``).
"""

from __future__ import annotations

SCHEMA_VERSION = 3
# "CTRC": tells a chaintracer store from any other SQLite file (stores from schema 3 on carry it).
APPLICATION_ID = 0x43545243

# Session status as stored: "live" while its program records it (spills), "flushed" by
# flush_tracker, "unflushed" when written at interpreter exit without a flush. Readers also
# report "crashed": a live session whose process is gone (computed, never stored).
STORED_STATUSES = ("live", "flushed", "unflushed")

TABLES = {
    "sessions": """
    id          TEXT PRIMARY KEY,
    project     TEXT NOT NULL,
    name        TEXT NOT NULL,
    entity      TEXT,
    tags        TEXT NOT NULL,      -- JSON list
    grp         TEXT,
    job_type    TEXT,
    notes       TEXT,
    started_at  TEXT NOT NULL,
    ended_at    TEXT NOT NULL,
    config      TEXT NOT NULL,      -- JSON object
    summary     TEXT NOT NULL,      -- JSON object
    model       TEXT,               -- JSON object or NULL
    exports     TEXT NOT NULL DEFAULT '{}', -- JSON: exporter -> {status, at, ...}
    status      TEXT NOT NULL DEFAULT 'flushed', -- one of STORED_STATUSES
    pid         INTEGER,            -- the writing process, to tell a crashed live session
    host        TEXT,
    pid_start   TEXT                -- that process's start time (Linux), against pid reuse
""",
    "traces": """
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,   -- order in which the trace was written
    trace_id    TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    start_time  TEXT NOT NULL,
    end_time    TEXT NOT NULL,
    latency_ms  REAL NOT NULL,
    spans       INTEGER NOT NULL,
    errors      INTEGER NOT NULL,
    tokens      INTEGER NOT NULL,
    input       TEXT NOT NULL,      -- short preview for tables
    output      TEXT NOT NULL,
    tree        TEXT NOT NULL,      -- the root SPAN of the export contract, as JSON
    PRIMARY KEY (session_id, seq)
""",
    # Large derived content that spans reference by name (visualisation HTML...).
    "artifacts": """
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    ref         TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    content     TEXT NOT NULL,
    PRIMARY KEY (session_id, ref)
""",
}

INDEXES = (
    "sessions_by_end ON sessions (ended_at)",
    "sessions_by_name ON sessions (name, ended_at)",
    "sessions_by_project ON sessions (project, ended_at)",
    "traces_by_status ON traces (session_id, status)",
    "traces_by_start ON traces (session_id, start_time, seq)",
    "traces_by_latency ON traces (session_id, latency_ms)",
    "traces_by_input ON traces (session_id, input)",
)

# Columns added after the first release, with the value older rows read as.
ADDED_COLUMNS = {
    "sessions": {"status": "'flushed'", "pid": "NULL", "host": "NULL", "pid_start": "NULL"},
}

# From each older version to the next; the DDL (IF NOT EXISTS) runs after them.
MIGRATIONS = {
    1: ("ALTER TABLE sessions ADD COLUMN status TEXT NOT NULL DEFAULT 'flushed'",),
    2: (
        "ALTER TABLE sessions ADD COLUMN pid INTEGER",
        "ALTER TABLE sessions ADD COLUMN host TEXT",
        "ALTER TABLE sessions ADD COLUMN pid_start TEXT",
    ),
}


def ddl() -> list[str]:
    """The statements that create every missing table and index of the current schema."""
    tables = [f"CREATE TABLE IF NOT EXISTS {name} ({columns})" for name, columns in TABLES.items()]
    return tables + [f"CREATE INDEX IF NOT EXISTS {index}" for index in INDEXES]
