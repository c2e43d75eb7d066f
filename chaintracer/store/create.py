"""Creating a store atomically: built under a temporary name beside it, then linked into place whole.

A process killed at any point leaves either no store or a complete one (the temporary file,
named ``.<store>.<pid>.<random>.creating``, is deleted by the next writer once its process is gone).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from chaintracer.store.errors import ELSEWHERE, StoreError
from chaintracer.store.layout import connect, prepare
from chaintracer.store.process import is_gone, this_process

_CREATING_SUFFIX = ".creating"
_STALE_CREATION_S = 600


def refuse_orphaned_wal(path: Path) -> None:
    """Refuses to start a store beside the write-ahead log of another (SQLite would apply it to the new file)."""
    wal = Path(f"{path}-wal")
    with contextlib.suppress(OSError):
        if wal.stat().st_size > 0:
            raise StoreError(
                f"{path} does not exist but its write-ahead log {wal} does (the store was moved or deleted without "
                f"it, or a program still writes to a deleted store): move {wal} and {path}-shm to where the store "
                f"went, or delete them once no program uses them; {ELSEWHERE}"
            )


def create_store(path: Path, busy_timeout_ms: int) -> None:
    """Builds a new store beside ``path`` and links it into place whole (unless another process was first)."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=_CREATING_SUFFIX, dir=path.parent)
    os.close(fd)
    work = Path(temporary)
    try:
        conn = connect(work, busy_timeout_ms, mode="rw")
        try:
            prepare(conn, work)
            # The whole store into the main file before it is linked into place. Checked, not left
            # to close(): on a full disk close() fails silently, and the -wal deleted below would
            # take pages of the schema with it (a store readers call malformed).
            busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy or frames != copied:
                raise sqlite3.OperationalError("database or disk is full (the new store could not be completed)")
        finally:
            conn.close()
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


def remove_abandoned_creations(path: Path) -> None:
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
