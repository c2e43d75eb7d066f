"""The store's schema, versioned with ``PRAGMA user_version`` and marked with ``PRAGMA application_id``.

Older stores are upgraded in place by the first writer that opens them (``MIGRATIONS``); readers
never write, so they see an older store through ``TEMP`` views that add the missing columns
with their defaults (see ``chaintracer.store.connection``).
"""

from __future__ import annotations

from chaintracer.store import derived

SCHEMA_VERSION = 5
# The version that added the full-text index and model usage (``derived``): upgrading a store
# from an older one indexes the traces it holds.
SEARCH_SCHEMA = 5
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
    input       TEXT NOT NULL,      -- short preview for tables: the question (chaintracer.previews)
    output      TEXT NOT NULL,      -- the answer, or the error
    tree        TEXT NOT NULL,      -- the root SPAN of the export contract, as JSON
    cost        REAL,               -- USD of its model calls (schema 5); NULL when one could not be priced
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
    # Experiments (schema 4; see chaintracer/store/experiments.py). Scores and feedback arrive
    # after a trace is stored: they live here and are merged into the export when it is read.
    "experiments": """
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
""",
    # One row per example run (variant x repetition x example), written with its scores.
    "example_runs": """
    session_id     TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    trace_id       TEXT NOT NULL,
    experiment_id  TEXT NOT NULL,
    variant        TEXT NOT NULL,
    repetition     INTEGER NOT NULL,
    example_index  INTEGER NOT NULL,
    example_id     TEXT,            -- JSON of the example's id, or NULL
    error          TEXT,            -- the target's error ("Type: message"), or NULL
    PRIMARY KEY (session_id, trace_id)
""",
    "scores": """
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    trace_id    TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       REAL,               -- what statistics use (bools as 0/1), NULL when the scorer failed
    detail      TEXT NOT NULL,      -- JSON as exported under the root span's "scores"
    PRIMARY KEY (session_id, trace_id, name)
""",
    "feedback": """
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    trace_id    TEXT NOT NULL,
    span_id     TEXT NOT NULL,
    key         TEXT NOT NULL,
    score       REAL NOT NULL,
    comment     TEXT,
    at          TEXT NOT NULL
""",
    # Derived from the trace trees when they are written (schema 5; see chaintracer/store/derived.py).
    **derived.TABLES,
}

INDEXES = (
    "sessions_by_end ON sessions (ended_at)",
    "sessions_by_name ON sessions (name, ended_at)",
    "sessions_by_project ON sessions (project, ended_at)",
    "traces_by_status ON traces (session_id, status)",
    "traces_by_start ON traces (session_id, start_time, seq)",
    "traces_by_latency ON traces (session_id, latency_ms)",
    "traces_by_input ON traces (session_id, input)",
    "traces_by_trace_id ON traces (trace_id)",
    "experiments_by_name ON experiments (name, created_at)",
    "example_runs_by_experiment ON example_runs (experiment_id, variant, repetition)",
    "feedback_by_session ON feedback (session_id, trace_id)",
    # Schema 5: the session page's handled errors (error spans in traces that succeeded) from the index alone.
    "traces_by_outcome ON traces (session_id, status, errors)",
)

# Columns added after the first release, with the value older rows read as.
ADDED_COLUMNS = {
    "sessions": {"status": "'flushed'", "pid": "NULL", "host": "NULL", "pid_start": "NULL"},
    "traces": {"cost": "NULL"},  # unknown: traces stored before costs were computed
}

# From each older version to the next; the DDL (IF NOT EXISTS) runs after them.
MIGRATIONS = {
    1: ("ALTER TABLE sessions ADD COLUMN status TEXT NOT NULL DEFAULT 'flushed'",),
    2: (
        "ALTER TABLE sessions ADD COLUMN pid INTEGER",
        "ALTER TABLE sessions ADD COLUMN host TEXT",
        "ALTER TABLE sessions ADD COLUMN pid_start TEXT",
    ),
    3: (),  # 3 -> 4 adds the experiment tables and indexes only, which the DDL creates
    # 4 -> 5: the traces' cost column; the derived tables come from the DDL, then the stored
    # traces are indexed (layout.prepare).
    4: ("ALTER TABLE traces ADD COLUMN cost REAL",),
}


def ddl() -> list[str]:
    """The statements that create every missing table and index of the current schema."""
    tables = [f"CREATE TABLE IF NOT EXISTS {name} ({columns})" for name, columns in TABLES.items()]
    return tables + [f"CREATE INDEX IF NOT EXISTS {index}" for index in INDEXES] + derived.ddl()
