"""SQLite store: WAL mode, one transaction per session, safe for several writing processes.

Encoding lives in ``chaintracer.session``/``encoding``; this module owns the connection and the
SQL. Every failure surfaces as ``StoreError`` with the path and what to do about it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chaintracer.encoding import EncodedTrace, iso
from chaintracer.store.experiments import ExperimentStore
from chaintracer.store.schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION

BUSY_TIMEOUT_MS = 10_000
_SESSION_COLUMNS = (
    "id, project, name, entity, tags, grp, job_type, notes, started_at, ended_at, config, summary, model, exports,"
    " status"
)
# The columns of a trace table row (everything but the tree).
TRACE_COLUMNS = (
    "seq",
    "trace_id",
    "name",
    "kind",
    "status",
    "start_time",
    "end_time",
    "latency_ms",
    "spans",
    "errors",
    "tokens",
    "input",
    "output",
)
# Traces are listed oldest first by start time (spills write them in completion order).
_TRACE_ORDER = "ORDER BY start_time, seq"


class StoreError(RuntimeError):
    """The store cannot be opened, read or written (corrupt, locked, newer schema...)."""


class SessionNotFound(LookupError):
    """No session with that id or name."""


class Store(ExperimentStore):
    """A chaintracer SQLite file. Create with ``Store(path)``; the file is made on first write."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        self._create = create
        self._local = threading.local()

    # -- connection -----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if not self._create and not self.path.exists():
            raise StoreError(f"no chaintracer store at {self.path} (run a traced program first, or pass --store)")
        try:
            if self._create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.DatabaseError as exc:
            raise _store_error(self.path, exc) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            self._migrate(conn)
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise _store_error(self.path, exc) from exc
            raise
        self._local.conn = conn
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer chaintracer (schema {version}, this one reads "
                f"{SCHEMA_VERSION}); upgrade chaintracer"
            )
        if version == SCHEMA_VERSION:
            return
        # Readers (the CLI, the viewer) never turn someone else's SQLite file into a store;
        # they do upgrade an older chaintracer store.
        if not self._create and version == 0:
            raise StoreError(f"{self.path} is not a chaintracer store (no chaintracer schema in it)")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Read again under the write lock: another process may have migrated meanwhile.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version < SCHEMA_VERSION:
                if version:
                    for step in range(version, SCHEMA_VERSION):
                        if step in MIGRATIONS:
                            conn.execute(MIGRATIONS[step])
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise _store_error(self.path, exc) from exc

    def close(self) -> None:
        """Closes this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writing ----------------------------------------------------------------------

    def write_session(
        self,
        session: dict[str, Any],
        traces: list[EncodedTrace],
        first_seq: int = 0,
        live: bool = False,
        status: str | None = None,
    ) -> None:
        """Writes (or updates) a session and its new traces in one transaction.

        A session written before (a spill while it runs, or an earlier flush with
        ``reset=False``) gets its row rewritten and the new traces appended after the
        ``first_seq`` already stored. ``live`` marks a session its program still records;
        otherwise ``status`` is ``flushed`` (the default) or ``unflushed`` (written at exit).
        """
        rows = [
            (
                session["id"],
                first_seq + seq,
                trace.trace_id,
                trace.name,
                trace.kind,
                trace.status,
                iso(trace.start_ns),
                iso(trace.end_ns),
                round(trace.latency_ms, 3),
                trace.stats.spans,
                trace.stats.errors,
                trace.stats.total_tokens,
                trace.input_preview,
                trace.output_preview,
                trace.tree_json,
            )
            for seq, trace in enumerate(traces)
        ]
        with self._transaction() as conn:
            conn.execute(
                f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (id) DO UPDATE SET project = excluded.project, name = excluded.name,"
                " entity = excluded.entity, tags = excluded.tags, grp = excluded.grp, job_type = excluded.job_type,"
                " notes = excluded.notes, ended_at = excluded.ended_at, config = excluded.config,"
                " summary = excluded.summary, model = coalesce(excluded.model, sessions.model),"
                " status = excluded.status",
                (
                    session["id"],
                    session["project"],
                    session["name"],
                    session.get("entity"),
                    _dumps(session.get("tags") or []),
                    session.get("group"),
                    session.get("job_type"),
                    session.get("notes"),
                    session["started_at"],
                    session["ended_at"],
                    _dumps(session.get("config") or {}),
                    _dumps(session.get("summary") or {}),
                    None if session.get("model") is None else _dumps(session["model"]),
                    _dumps(session.get("exports") or {}),
                    "live" if live else status or "flushed",
                ),
            )
            conn.executemany("INSERT INTO traces VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            conn.executemany(
                "INSERT OR IGNORE INTO artifacts VALUES (?,?,?,?)",
                [
                    (session["id"], ref, media_type, content)
                    for trace in traces
                    for ref, (media_type, content) in trace.artifacts.items()
                ],
            )

    def set_export(self, session_id: str, exporter: str, state: dict[str, Any]) -> None:
        """Records an exporter's outcome for a session (pushed, failed, where...)."""
        with self._transaction() as conn:
            row = conn.execute("SELECT exports FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                raise SessionNotFound(session_id)
            exports = json.loads(row[0])
            exports[exporter] = state
            conn.execute("UPDATE sessions SET exports = ? WHERE id = ?", (_dumps(exports), session_id))

    # -- reading ----------------------------------------------------------------------

    def sessions(self, project: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Session objects (without traces), newest first."""
        sql = f"SELECT {_SESSION_COLUMNS} FROM sessions"
        params: list[Any] = []
        if project is not None:
            sql += " WHERE project = ?"
            params.append(project)
        sql += " ORDER BY ended_at DESC, rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_session(row) for row in self._query(sql, params)]

    def resolve(self, ref: str) -> str:
        """The id of the session named by ``ref``: an id, or a name (the latest with it)."""
        rows = self._query("SELECT id FROM sessions WHERE id = ?", [ref])
        if not rows:
            rows = self._query(
                "SELECT id FROM sessions WHERE name = ? ORDER BY ended_at DESC, rowid DESC LIMIT 1", [ref]
            )
        if not rows:
            raise SessionNotFound(f"no session with id or name {ref!r} in {self.path}")
        return rows[0][0]

    def session(self, ref: str) -> dict[str, Any]:
        """One session object (without traces), by id or name."""
        session_id = self.resolve(ref)
        rows = self._query(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", [session_id])
        return _session(rows[0])

    def trace_rows(self, session_id: str, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """The trace table of a session (no trees), oldest first, a page at a time."""
        rows = self._query(
            f"SELECT {', '.join(TRACE_COLUMNS)} FROM traces WHERE session_id = ? {_TRACE_ORDER} LIMIT ? OFFSET ?",
            [session_id, -1 if limit is None else limit, offset],
        )
        return [dict(zip(TRACE_COLUMNS, row)) for row in rows]

    def trees(self, session_id: str) -> list[dict[str, Any]]:
        """Every root span of a session, oldest first, as export-contract dicts."""
        rows = self._query(f"SELECT tree FROM traces WHERE session_id = ? {_TRACE_ORDER}", [session_id])
        return [json.loads(row[0]) for row in rows]

    def tree(self, session_id: str, seq: int) -> dict[str, Any]:
        """One trace's root span."""
        rows = self._query("SELECT tree FROM traces WHERE session_id = ? AND seq = ?", [session_id, seq])
        if not rows:
            raise SessionNotFound(f"no trace {seq} in session {session_id}")
        return json.loads(rows[0][0])

    def artifact(self, session_id: str, ref: str) -> tuple[str, str]:
        """``(media_type, content)`` of an artifact a span references."""
        rows = self._query(
            "SELECT media_type, content FROM artifacts WHERE session_id = ? AND ref = ?", [session_id, ref]
        )
        if not rows:
            raise SessionNotFound(f"no artifact {ref!r} in session {session_id}")
        return rows[0][0], rows[0][1]

    def query(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Runs a read-only SELECT (for views that need their own queries)."""
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            raise ValueError(f"Store.query runs SELECT statements only, not: {sql[:60]!r}")
        return self._query(sql, list(params))

    def _query(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        try:
            return self._connect().execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise _store_error(self.path, exc) from exc


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _session(row: tuple[Any, ...]) -> dict[str, Any]:
    (
        sid,
        project,
        name,
        entity,
        tags,
        grp,
        job_type,
        notes,
        started,
        ended,
        config,
        summary,
        model,
        exports,
        status,
    ) = row
    return {
        "id": sid,
        "project": project,
        "name": name,
        "entity": entity,
        "tags": json.loads(tags),
        "group": grp,
        "job_type": job_type,
        "notes": notes,
        "started_at": started,
        "ended_at": ended,
        "config": json.loads(config),
        "summary": json.loads(summary),
        "model": None if model is None else json.loads(model),
        "exports": json.loads(exports),
        "status": status,
    }


def _store_error(path: Path, exc: sqlite3.DatabaseError) -> StoreError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreError(f"chaintracer store {path} is locked by another process ({text}); try again")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(f"{path} is not a readable chaintracer store ({text}); move it aside or pass another store")
    return StoreError(f"chaintracer store {path}: {text}")
