"""Opening a store: read-only readers, writers that create and upgrade, and refusal of other files.

- **Creation is atomic.** A new store is built under a temporary name in the same folder (WAL
  mode, schema, version) and linked into place complete, so a process killed at any point leaves
  either no store or a whole one. A file that exists but holds nothing yet (zero bytes, or a
  SQLite header without tables: ``touch``, an interrupted in-place start) is an empty store.
- **Other SQLite files are refused untouched.** A writer looks at a file through a read-only
  connection first and opens it for writing only when it is a chaintracer store (its
  ``application_id``, or the tables and version of an older release) or empty.
- **Readers never write.** They open ``mode=ro``; SQLite itself refuses any write. In a
  read-only folder SQLite cannot create the ``-shm`` file a WAL store needs, so when no ``-wal``
  file exists (the whole store is in the main file) they open it ``immutable``. An older store
  is read through ``TEMP`` views that add the columns it lacks; an empty one through empty
  ``TEMP`` tables.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from chaintracer.store.errors import ELSEWHERE, StoreError, is_cantopen, store_error
from chaintracer.store.process import is_gone, this_process
from chaintracer.store.schema import ADDED_COLUMNS, APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, TABLES, ddl

_CREATING_SUFFIX = ".creating"
_STALE_CREATION_S = 600


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


# -- readers -----------------------------------------------------------------------------------


def open_reader(path: Path, busy_timeout_ms: int) -> tuple[sqlite3.Connection, bool]:
    """A read-only connection to the store at ``path`` and whether it is provisional.

    A provisional connection reads an empty or older store through ``TEMP`` objects: it must
    not be kept, so that a writer's later schema shows on the next read.
    """
    _check_file(path)
    try:
        conn = _connect(path, busy_timeout_ms, mode="ro")
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
            conn = _connect(path, busy_timeout_ms, mode="ro", immutable="1")
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


# -- writers -----------------------------------------------------------------------------------


def open_writer(path: Path, busy_timeout_ms: int, create: bool) -> sqlite3.Connection:
    """A read-write connection to the store at ``path``, created or upgraded as needed."""
    if create and not path.exists():
        _refuse_orphaned_wal(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _create(path, busy_timeout_ms)
        except OSError as exc:
            raise store_error(path, exc) from exc
        except sqlite3.Error as exc:
            raise store_error(path, exc, busy_timeout_ms) from exc
    _remove_abandoned_creations(path)
    reader, _ = open_reader(path, busy_timeout_ms)  # refuses another application's file untouched
    reader.close()
    try:
        conn = _connect(path, busy_timeout_ms, mode="rw")
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
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _refuse_orphaned_wal(path: Path) -> None:
    """Refuses to start a store beside the write-ahead log of another (SQLite would apply it to the new file)."""
    wal = Path(f"{path}-wal")
    with contextlib.suppress(OSError):
        if wal.stat().st_size > 0:
            raise StoreError(
                f"{path} does not exist but its write-ahead log {wal} does (the store was moved or deleted without "
                f"it, or a program still writes to a deleted store): move {wal} and {path}-shm to where the store "
                f"went, or delete them once no program uses them; {ELSEWHERE}"
            )


def _create(path: Path, busy_timeout_ms: int) -> None:
    """Builds a new store beside ``path`` and links it into place whole (unless another process was first)."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=_CREATING_SUFFIX, dir=path.parent)
    os.close(fd)
    work = Path(temporary)
    try:
        conn = _connect(work, busy_timeout_ms, mode="rw")
        try:
            prepare(conn, work)
        finally:
            conn.close()  # checkpoints: the whole store is in the main file, no -wal left
        try:
            os.link(work, path)  # atomic, and never replaces a store another process made meanwhile
        except FileExistsError:
            pass
        except OSError:
            if not path.exists():  # a file system without hard links
                os.rename(work, path)
        _sync_folder(path.parent)
    finally:
        for leftover in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _remove_abandoned_creations(path: Path) -> None:
    """Deletes what creations killed part-way left beside ``path`` (their process gone, or long ago)."""
    host, prefix = this_process().host, f".{path.name}."
    with contextlib.suppress(OSError), os.scandir(path.parent) as entries:
        for entry in entries:
            if not (entry.name.startswith(prefix) and _CREATING_SUFFIX in entry.name):
                continue
            pid = entry.name[len(prefix) :].split(".", 1)[0]
            with contextlib.suppress(OSError):
                gone = pid.isdigit() and is_gone(int(pid), host, None)
                if gone or time.time() - entry.stat().st_mtime > _STALE_CREATION_S:
                    os.unlink(entry.path)


def _sync_folder(folder: Path) -> None:
    """Makes the new directory entry durable (where the OS allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- shared ------------------------------------------------------------------------------------


def _connect(path: Path, busy_timeout_ms: int, **params: str) -> sqlite3.Connection:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    conn = sqlite3.connect(
        f"{path.absolute().as_uri()}?{query}",
        uri=True,
        timeout=busy_timeout_ms / 1000,
        isolation_level=None,
    )
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return conn


def _check_file(path: Path) -> None:
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a store file: pass a file path such as {path / 'chaintracer.db'}")
    if not path.exists():
        raise StoreError(f"no chaintracer store at {path} (run a traced program first, or pass --store)")


def _folder_writable(path: Path) -> bool:
    return os.access(path.parent, os.W_OK)
