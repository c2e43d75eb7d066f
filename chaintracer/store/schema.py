"""The store's schema, versioned with ``PRAGMA user_version``."""

SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
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
    status      TEXT NOT NULL DEFAULT 'flushed'  -- 'live' while the program still records it
);
CREATE INDEX IF NOT EXISTS sessions_by_end ON sessions (ended_at);
CREATE INDEX IF NOT EXISTS sessions_by_name ON sessions (name, ended_at);
CREATE INDEX IF NOT EXISTS sessions_by_project ON sessions (project, ended_at);

CREATE TABLE IF NOT EXISTS traces (
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
);
CREATE INDEX IF NOT EXISTS traces_by_status ON traces (session_id, status);
CREATE INDEX IF NOT EXISTS traces_by_start ON traces (session_id, start_time, seq);
CREATE INDEX IF NOT EXISTS traces_by_latency ON traces (session_id, latency_ms);
CREATE INDEX IF NOT EXISTS traces_by_input ON traces (session_id, input);

-- Large derived content that spans reference by name (visualisation HTML...).
CREATE TABLE IF NOT EXISTS artifacts (
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    ref         TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    content     TEXT NOT NULL,
    PRIMARY KEY (session_id, ref)
);
"""

# From each older version to the next; the DDL above (IF NOT EXISTS) runs after them.
MIGRATIONS = {
    1: "ALTER TABLE sessions ADD COLUMN status TEXT NOT NULL DEFAULT 'flushed';",
}
