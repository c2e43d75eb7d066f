"""The store's errors: every SQLite or OS failure becomes one ``StoreError`` naming the path and the fix."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

ELSEWHERE = "or pass another store (Tracer(store=...), --store or $CHAINTRACER_STORE)"


class StoreError(RuntimeError):
    """The store cannot be opened, read or written (corrupt, locked, read-only, full, newer schema...)."""


class SessionNotFound(LookupError):
    """No session with that id or name (or no such trace or span in it)."""


class AmbiguousReference(SessionNotFound):
    """An id prefix that names more than one session, trace or span (the message lists them)."""


def store_error(path: Path, exc: BaseException, busy_timeout_ms: int | None = None) -> StoreError:
    """The ``StoreError`` for a failure of ``sqlite3`` or the OS on the store at ``path``."""
    detail = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
    waited = "" if busy_timeout_ms is None else f" for more than {busy_timeout_ms / 1000:g} s"
    problem = _problem(exc)
    if problem == "cantopen" and path.parent.is_dir() and not os.access(path.parent, os.W_OK):
        problem = "readonly_folder"  # SQLite cannot create the -wal and -shm files a WAL store needs
    template = _MESSAGES.get(problem or "", "chaintracer store {path}: {detail}")
    return StoreError(template.format(path=path, detail=detail, waited=waited, elsewhere=ELSEWHERE))


# What each kind of failure means for the user, and what to do about it.
_MESSAGES = {
    "readonly": "cannot write the chaintracer store {path} ({detail}): make it and its folder writable, {elsewhere}",
    "readonly_folder": (
        "cannot write the chaintracer store {path}: its folder is read-only ({detail}) and a store writes its -wal "
        "and -shm files beside it; make the folder writable, {elsewhere}"
    ),
    "full": "cannot write the chaintracer store {path}: the disk is full ({detail}); free some space, {elsewhere}",
    "locked": "chaintracer store {path} is locked by another process{waited} ({detail}); try again",
    "corrupt": (
        "{path} is not a readable chaintracer store ({detail}); move it aside with its -wal and -shm files, if any "
        "(mv {path} {path}.corrupt), {elsewhere}"
    ),
    "cantopen": (
        "cannot open the chaintracer store {path} ({detail}): check that its folder exists and that you may read "
        "and write there, {elsewhere}"
    ),
    "io": "chaintracer store {path}: the disk reported an error ({detail}); check the disk, {elsewhere}",
}

_ERRNO_PROBLEMS = {
    errno.EACCES: "readonly",
    errno.EPERM: "readonly",
    errno.EROFS: "readonly",
    errno.ENOSPC: "full",
    errno.EDQUOT: "full",
    errno.ENOENT: "cantopen",
    errno.ENOTDIR: "cantopen",
    errno.EIO: "io",
}
# SQLite's primary result codes (extended codes such as SQLITE_READONLY_DBMOVED share the prefix).
_SQLITE_PROBLEMS = {
    "SQLITE_READONLY": "readonly",
    "SQLITE_PERM": "readonly",
    "SQLITE_FULL": "full",
    "SQLITE_BUSY": "locked",
    "SQLITE_LOCKED": "locked",
    "SQLITE_CORRUPT": "corrupt",
    "SQLITE_NOTADB": "corrupt",
    "SQLITE_CANTOPEN": "cantopen",
    "SQLITE_IOERR": "io",
}
# Python < 3.11 has no sqlite_errorname: recognise SQLite's messages.
_MESSAGE_PROBLEMS = {
    "readonly database": "readonly",
    "disk is full": "full",
    "locked": "locked",
    "busy": "locked",
    "not a database": "corrupt",
    "malformed": "corrupt",
    "unable to open database": "cantopen",
    "disk i/o error": "io",
}


def _problem(exc: BaseException) -> str | None:
    if isinstance(exc, OSError):
        return _ERRNO_PROBLEMS.get(exc.errno or 0)
    name = getattr(exc, "sqlite_errorname", None)
    if isinstance(name, str):
        for prefix, problem in _SQLITE_PROBLEMS.items():
            if name == prefix or name.startswith(prefix + "_"):
                return problem
    text = str(exc).lower()
    return next((problem for words, problem in _MESSAGE_PROBLEMS.items() if words in text), None)


def is_cantopen(exc: sqlite3.Error) -> bool:
    """Whether SQLite could not open the file (or, for a WAL store, its ``-shm``/``-wal`` beside it)."""
    return _problem(exc) == "cantopen"
