"""What a SQLite file holds, whether it is a chaintracer store, and making a writer's file a current one."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from chaintracer.store import derived
from chaintracer.store.errors import ELSEWHERE, StoreError
from chaintracer.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, SEARCH_SCHEMA, TABLES, ddl


@dataclass(frozen=True)
class Layout:
    """What a SQLite file holds, as far as telling a chaintracer store goes."""

    application_id: int
    version: int
    objects: int  # entries in sqlite_master
    columns: dict[str, frozenset[str]]  # our tables present -> their columns

    @property
    def empty(self) -> bool:
        return self.objects == 0 and self.version == 0 and self.application_id in (0, APPLICATION_ID)

    @property
    def current(self) -> bool:
        return self.application_id == APPLICATION_ID and self.version == SCHEMA_VERSION


def read_layout(conn: sqlite3.Connection) -> Layout:
    """The layout of the file behind ``conn`` (reads only)."""
    application_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    columns = {}
    for table in TABLES:
        names = frozenset(row[0] for row in conn.execute("SELECT name FROM pragma_table_info(?)", (table,)))
        if names:
            columns[table] = names
    return Layout(application_id, version, objects, columns)


def check_layout(path: Path, layout: Layout) -> None:
    """Raises ``StoreError`` unless the file is a chaintracer store this version can use, or empty."""
    if layout.empty:
        return
    ours = layout.application_id == APPLICATION_ID or (
        layout.application_id == 0 and {"sessions", "traces"} <= layout.columns.keys()
    )
    if layout.version > SCHEMA_VERSION and (ours or layout.objects == 0):
        raise StoreError(
            f"{path} was written by a newer chaintracer (schema {layout.version}, this one reads "
            f"{SCHEMA_VERSION}); upgrade chaintracer, {ELSEWHERE}"
        )
    if not ours or layout.version < 1:
        raise StoreError(
            f"{path} is not a chaintracer store (another SQLite database: application_id {layout.application_id}, "
            f"user_version {layout.version}, {layout.objects} schema objects); chaintracer leaves it untouched: "
            f"{ELSEWHERE}"
        )


def prepare(conn: sqlite3.Connection, path: Path) -> None:
    """Makes the file behind a writer's ``conn`` a current store: sets up an empty one, upgrades an older one."""
    layout = read_layout(conn)
    check_layout(path, layout)
    if layout.current:
        return
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        # Before the schema: an interrupted start leaves an empty store, which readers accept.
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        layout = read_layout(conn)  # again under the write lock: another process may have done it
        check_layout(path, layout)
        if not layout.current:
            for step in range(max(layout.version, 1), SCHEMA_VERSION):
                if layout.columns:
                    for statement in MIGRATIONS.get(step, ()):
                        conn.execute(statement)
            for statement in ddl():
                conn.execute(statement)
            if "traces" in layout.columns and layout.version < SEARCH_SCHEMA:
                derived.index_all(conn)  # the traces stored before the index existed
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def connect(path: Path, busy_timeout_ms: int, **params: str) -> sqlite3.Connection:
    """A connection to ``path`` with SQLite URI parameters (``mode=ro``, ``immutable=1``...), autocommit."""
    query = "&".join(f"{key}={value}" for key, value in params.items())
    conn = sqlite3.connect(
        f"{path.absolute().as_uri()}?{query}",
        uri=True,
        timeout=busy_timeout_ms / 1000,
        isolation_level=None,
    )
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return conn
