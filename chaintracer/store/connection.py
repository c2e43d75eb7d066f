"""Opening a store: read-only readers, and writers that create, upgrade and refuse other files.

- **Creation is atomic** (``create``): a process killed at any point leaves no store or a
  whole one. A file that exists but holds nothing yet (zero bytes, or a SQLite header without
  tables: ``touch``, an interrupted in-place start) is an empty store.
- **Other SQLite files are refused untouched.** A writer looks at a file through a read-only
  connection first and opens it for writing only when it is a chaintracer store (its
  ``application_id``, or the tables and version of an older release) or empty (``layout``).
- **Readers never write.** They open ``mode=ro``; SQLite itself refuses any write. In a
  read-only folder SQLite cannot create the ``-shm`` file a WAL store needs, so when no ``-wal``
  file exists (the whole store is in the main file) they open it ``immutable``. An older store
  is read through ``TEMP`` views that add the columns it lacks; an empty one through empty
  ``TEMP`` tables.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from chaintracer.store.create import create_store, refuse_orphaned_wal, remove_abandoned_creations
from chaintracer.store.errors import StoreError, is_cantopen, store_error
from chaintracer.store.layout import Layout, check_layout, connect, prepare, read_layout
from chaintracer.store.schema import ADDED_COLUMNS, TABLES


def open_reader(path: Path, busy_timeout_ms: int) -> tuple[sqlite3.Connection, bool]:
    """A read-only connection to the store at ``path`` and whether it is provisional.

    A provisional connection reads an empty or older store through ``TEMP`` objects: it must
    not be kept, so that a writer's later schema shows on the next read.
    """
    _check_file(path)
    try:
        conn = connect(path, busy_timeout_ms, mode="ro")
        try:
            layout = read_layout(conn)  # the first read: where SQLite opens the file and its -shm
        except sqlite3.Error:
            conn.close()
            raise
    except sqlite3.Error as exc:
        if not (is_cantopen(exc) and not _folder_writable(path)):
            raise store_error(path, exc) from exc
        if Path(f"{path}-wal").exists():
            raise StoreError(
                f"cannot read the chaintracer store {path}: its folder is read-only and its write-ahead log "
                f"({path}-wal) cannot be read without a {path}-shm file beside it; copy the store and its -wal "
                "file to a writable folder, or make the folder writable"
            ) from exc
        # No -wal: the main file holds the whole store, and nothing can write it in this folder.
        try:
            conn = connect(path, busy_timeout_ms, mode="ro", immutable="1")
            layout = read_layout(conn)
        except sqlite3.Error as retry:
            raise store_error(path, retry) from retry
    try:
        check_layout(path, layout)
        provisional = _add_read_compat(conn, layout)
    except BaseException:
        conn.close()
        raise
    return conn, provisional


def _add_read_compat(conn: sqlite3.Connection, layout: Layout) -> bool:
    """``TEMP`` tables for missing tables, ``TEMP`` views for tables missing columns; whether any was made."""
    made = False
    for table, columns in TABLES.items():
        present = layout.columns.get(table)
        if present is None:
            conn.execute(f"CREATE TEMP TABLE {table} ({columns})")
            made = True
            continue
        missing = {name: value for name, value in ADDED_COLUMNS.get(table, {}).items() if name not in present}
        if missing:
            added = ", ".join(f"{value} AS {name}" for name, value in missing.items())
            conn.execute(f"CREATE TEMP VIEW {table} AS SELECT rowid AS rowid, *, {added} FROM main.{table}")
            made = True
    return made


def open_writer(path: Path, busy_timeout_ms: int, create: bool) -> sqlite3.Connection:
    """A read-write connection to the store at ``path``, created or upgraded as needed."""
    if create and not path.exists():
        refuse_orphaned_wal(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            create_store(path, busy_timeout_ms)
        except OSError as exc:
            raise store_error(path, exc) from exc
        except sqlite3.Error as exc:
            raise store_error(path, exc, busy_timeout_ms) from exc
    remove_abandoned_creations(path)
    reader, _ = open_reader(path, busy_timeout_ms)  # refuses another application's file untouched
    reader.close()
    try:
        conn = connect(path, busy_timeout_ms, mode="rw")
    except sqlite3.Error as exc:
        raise store_error(path, exc, busy_timeout_ms) from exc
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        prepare(conn, path)
    except BaseException as exc:
        conn.close()
        if isinstance(exc, sqlite3.Error):
            raise store_error(path, exc, busy_timeout_ms) from exc
        raise
    return conn


def _check_file(path: Path) -> None:
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a store file: pass a file path such as {path / 'chaintracer.db'}")
    if not path.exists():
        raise StoreError(f"no chaintracer store at {path} (run a traced program first, or pass --store)")


def _folder_writable(path: Path) -> bool:
    return os.access(path.parent, os.W_OK)
