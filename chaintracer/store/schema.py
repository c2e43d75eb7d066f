"""The store's schema, versioned with ``PRAGMA user_version``."""

SCHEMA_VERSION = 3

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

-- Experiments (schema 3, see chaintracer/store/experiments.py). Scores and
-- feedback arrive after a trace is stored: they live here and are merged into the export.
CREATE INDEX IF NOT EXISTS traces_by_trace_id ON traces (trace_id);

CREATE TABLE IF NOT EXISTS experiments (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    project       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    status        TEXT NOT NULL,    -- running | done | interrupted
    dataset_hash  TEXT NOT NULL,
    examples      INTEGER NOT NULL,
    repetitions   INTEGER NOT NULL,
    variants      TEXT NOT NULL,    -- JSON: variant -> params (a whole-target variant: its description)
    scorers       TEXT NOT NULL     -- JSON list of scorer names
);
CREATE INDEX IF NOT EXISTS experiments_by_name ON experiments (name, created_at);

-- One row per example run (variant x repetition x example), written with its scores.
CREATE TABLE IF NOT EXISTS example_runs (
    session_id     TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    trace_id       TEXT NOT NULL,
    experiment_id  TEXT NOT NULL,
    variant        TEXT NOT NULL,
    repetition     INTEGER NOT NULL,
    example_index  INTEGER NOT NULL,
    example_id     TEXT,            -- JSON of the example's id, or NULL
    error          TEXT,            -- the target's error ("Type: message"), or NULL
    PRIMARY KEY (session_id, trace_id)
);
CREATE INDEX IF NOT EXISTS example_runs_by_experiment ON example_runs (experiment_id, variant, repetition);

CREATE TABLE IF NOT EXISTS scores (
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    trace_id    TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       REAL,               -- what statistics use (bools as 0/1), NULL when the scorer failed
    detail      TEXT NOT NULL,      -- JSON as exported under the root span's "scores"
    PRIMARY KEY (session_id, trace_id, name)
);

CREATE TABLE IF NOT EXISTS feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    trace_id    TEXT NOT NULL,
    span_id     TEXT NOT NULL,
    key         TEXT NOT NULL,
    score       REAL NOT NULL,
    comment     TEXT,
    at          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_by_session ON feedback (session_id, trace_id);
"""

# From each older version to the next; the DDL above (IF NOT EXISTS) runs after them.
# 2 -> 3 only adds tables and an index (experiments, scores, feedback), which that DDL creates.
MIGRATIONS = {
    1: "ALTER TABLE sessions ADD COLUMN status TEXT NOT NULL DEFAULT 'flushed';",
}
