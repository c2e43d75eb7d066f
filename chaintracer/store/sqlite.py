"""``Store``: a chaintracer SQLite file (WAL mode, one transaction per write, safe for several processes).

Encoding lives in ``chaintracer.session``/``encoding``; the SQL lives in this package
(``connection`` opens, ``write`` writes, ``read`` and ``pages`` read) and nowhere else. Every
failure surfaces as ``StoreError`` with the path and what to do about it.

Connections are per thread and are dropped on any failure, and whenever the file at the path
is no longer the one they opened: a store made writable again, or a corrupt one moved aside as
the error message says, works on the next write of the same ``Store``.

A writer waits up to ``BUSY_TIMEOUT_MS`` (10 s) for another process's write to finish, then
raises ``StoreError`` ("locked"); readers never wait for writers (WAL).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chaintracer.encoding import EncodedTrace
from chaintracer.store import charts, cleanup, derived, lookup, pages, read, write
from chaintracer.store import search as fulltext
from chaintracer.store.connection import open_reader, open_writer
from chaintracer.store.errors import SessionNotFound, StoreError, store_error
from chaintracer.store.experiments import ExperimentStore
from chaintracer.store.process import this_process
from chaintracer.store.schema import STORED_STATUSES

BUSY_TIMEOUT_MS = 10_000


class Store(ExperimentStore):
    """A chaintracer SQLite file. ``Store(path)`` writes (the file is made on first write);
    ``Store(path, create=False)`` reads an existing store through a read-only connection (and
    writes, for ``set_export``, only to a store that exists).
    """

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        self._create = create
        self._local = threading.local()

    # -- connections ----------------------------------------------------------------------

    def _connection(self, writing: bool) -> sqlite3.Connection:
        # A writing store reads through its read-write connection: one connection per thread.
        slot = "writer" if writing or self._create else "reader"
        held = getattr(self._local, slot, None)
        if held is not None:
            conn, identity = held
            if identity is not None and identity == _identity(self.path):
                return conn
            self._drop(slot)
        if slot == "writer":
            conn, provisional = open_writer(self.path, BUSY_TIMEOUT_MS, self._create), False
        else:
            conn, provisional = open_reader(self.path, BUSY_TIMEOUT_MS)
        # A provisional reader (an empty or older store seen through TEMP objects) is opened again next time.
        setattr(self._local, slot, (conn, None if provisional else _identity(self.path)))
        return conn

    def _drop(self, slot: str) -> None:
        held = getattr(self._local, slot, None)
        setattr(self._local, slot, None)
        if held is not None:
            with contextlib.suppress(sqlite3.Error):
                held[0].close()

    @contextlib.contextmanager
    def _transaction(self, writing: bool) -> Iterator[sqlite3.Connection]:
        """One transaction (``BEGIN IMMEDIATE`` to write); a failed connection is dropped, never reused."""
        slot = "writer" if writing or self._create else "reader"
        try:
            conn = self._connection(writing)
            conn.execute("BEGIN IMMEDIATE" if writing else "BEGIN")
        except (sqlite3.Error, OSError) as exc:
            self._drop(slot)
            raise _as_store_error(self.path, exc) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            except sqlite3.Error:
                self._drop(slot)
            if isinstance(exc, (sqlite3.Error, OSError)):
                self._drop(slot)
                raise _as_store_error(self.path, exc) from exc
            raise

    def close(self) -> None:
        """Closes this thread's connections."""
        self._drop("writer")
        self._drop("reader")

    # -- writing ----------------------------------------------------------------------------

    def write_session(
        self,
        session: dict[str, Any],
        traces: list[EncodedTrace],
        first_seq: int = 0,
        live: bool = False,
        *,
        status: str | None = None,
    ) -> None:
        """Writes (or updates) a session and its new traces in one transaction.

        A session written before (a spill while it runs, or an earlier flush with
        ``reset=False``) gets its row rewritten and the new traces appended after the
        ``first_seq`` already stored. ``status`` is ``"flushed"`` (the default), ``"live"``
        (its program still records it; ``live=True`` says the same) or ``"unflushed"``
        (written at interpreter exit without a flush). Waits up to ``BUSY_TIMEOUT_MS`` for a
        store locked by another process.
        """
        if status is None:
            status = "live" if live else "flushed"
        if status not in STORED_STATUSES:
            raise ValueError(f"status must be one of {', '.join(STORED_STATUSES)}; not {status!r}")
        with self._transaction(writing=True) as conn:
            write.write_session(conn, session, traces, first_seq, status, this_process())

    def set_export(self, session_id: str, exporter: str, state: dict[str, Any]) -> None:
        """Records an exporter's outcome for a session (pushed, failed, where...)."""
        with self._transaction(writing=True) as conn:
            write.set_export(conn, session_id, exporter, state)

    def delete_sessions(self, session_ids: list[str]) -> dict[str, int]:
        """Deletes sessions with their traces, artifacts, scores, feedback (one transaction); rows per table."""
        with self._transaction(writing=True) as conn:
            return cleanup.delete_sessions(conn, list(session_ids))

    # -- reading whole things ---------------------------------------------------------------

    def sessions(self, project: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Session objects (without traces), newest first."""
        with self._transaction(writing=False) as conn:
            return read.sessions(conn, project, limit)

    def resolve(self, ref: str) -> str:
        """The id of the session named by ``ref``: an id, or a name (the latest with it)."""
        with self._transaction(writing=False) as conn:
            return read.resolve(conn, ref, str(self.path))

    def session(self, ref: str) -> dict[str, Any]:
        """One session object (without traces), by id or name."""
        with self._transaction(writing=False) as conn:
            return read.session(conn, read.resolve(conn, ref, str(self.path)))

    def trees(self, session_id: str) -> list[dict[str, Any]]:
        """Every root span of a session, oldest first, as export-contract dicts."""
        with self._transaction(writing=False) as conn:
            return [root for _, root in read.trees(conn, session_id)]

    def first_trees(self, session_id: str, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """``(seq, root span)`` of a session's first ``limit`` traces in table order (for the report)."""
        with self._transaction(writing=False) as conn:
            return read.trees(conn, session_id, limit)

    def tree(self, session_id: str, seq: int) -> dict[str, Any]:
        """One trace's root span."""
        with self._transaction(writing=False) as conn:
            return read.tree(conn, session_id, seq)

    def artifact(self, session_id: str, ref: str) -> tuple[str, str]:
        """``(media_type, content)`` of an artifact a span references."""
        with self._transaction(writing=False) as conn:
            return read.artifact(conn, session_id, ref)

    def artifacts(self, session_id: str) -> dict[str, str]:
        """Every artifact of a session, ref -> content (what exporters send beside the document)."""
        with self._transaction(writing=False) as conn:
            return read.artifacts(conn, session_id)

    def sessions_ended_before(self, ended_before: str, project: str | None = None) -> list[dict[str, Any]]:
        """Session objects that ended before an ISO-8601 UTC time (what ``chaintracer prune`` deletes)."""
        with self._transaction(writing=False) as conn:
            return cleanup.sessions_ended_before(conn, ended_before, project)

    def numbered_trees(
        self, session_id: str, errors_only: bool = False, limit: int | None = None
    ) -> list[tuple[int, dict[str, Any]]]:
        """``(number, root span)`` of a session's traces numbered from 1 (``errors_only``: with an error span)."""
        with self._transaction(writing=False) as conn:
            return lookup.numbered_trees(conn, session_id, errors_only, limit)

    def ids(self, session_id: str) -> list[str]:
        """Every trace and span id of a session."""
        with self._transaction(writing=False) as conn:
            return lookup.ids(conn, session_id)

    def find_trace(self, session_id: str, ref: str) -> tuple[int, dict[str, Any]]:
        """``(number, root span)`` of a trace by its number, its id or a unique id prefix."""
        with self._transaction(writing=False) as conn:
            return lookup.trace(conn, session_id, ref)

    def find_spans(self, session_id: str, prefix: str, number: int | None = None) -> list[tuple[int, dict[str, Any]]]:
        """``(trace number, span)`` of the spans of a session (or trace ``number``) whose id starts with ``prefix``."""
        with self._transaction(writing=False) as conn:
            return lookup.spans(conn, session_id, prefix, number)

    # -- reading a page at a time -------------------------------------------------------------

    def session_list(
        self,
        project: str | None = None,
        tag: str | None = None,
        search: str | None = None,
        outcome: str | None = None,
        offset: int = 0,
        limit: int = 100,
        sort: str = "ended",
        descending: bool = True,
    ) -> dict[str, Any]:
        """A page of the sessions list (newest first): ``rows``, ``total`` matching, and the ``projects``/``tags``.

        ``outcome`` is one of ``pages.SESSION_OUTCOMES`` (error, handled, ok, incomplete); ``search``
        matches names and ids, at most ``pages.MAX_SEARCH_CHARS`` long (``ValueError`` otherwise);
        ``sort`` is a key of ``pages.SESSION_SORTS`` (ties newest first).
        """
        with self._transaction(writing=False) as conn:
            rows, total = pages.session_list(conn, project, tag, search, outcome, offset, limit, sort, descending)
            return {"rows": rows, "total": total, **pages.session_facets(conn)}

    def session_rows(self, session_ids: list[str]) -> list[dict[str, Any]]:
        """Sessions-list rows for the given ids, in that order."""
        with self._transaction(writing=False) as conn:
            return pages.session_rows(conn, session_ids)

    def session_detail(self, ref: str) -> dict[str, Any]:
        """The session object plus ``status_counts`` (traces per status), ``stored_traces`` and ``handled_errors``.

        ``handled_errors`` counts the error spans inside traces that succeeded (a tool error an
        agent recovered from): warnings, where a failed trace is an error.
        """
        with self._transaction(writing=False) as conn:
            found = read.session(conn, read.resolve(conn, ref, str(self.path)))
            counts = pages.status_counts(conn, found["id"])
            handled = pages.handled_errors(conn, found["id"])
        return {**found, "status_counts": counts, "stored_traces": sum(counts.values()), "handled_errors": handled}

    def trace_page(
        self,
        session_id: str,
        offset: int = 0,
        limit: int = 50,
        status: str | None = None,
        search: str | None = None,
        sort: str = "seq",
    ) -> tuple[list[dict[str, Any]], int]:
        """``(rows, total)``: a page of a session's trace table (``pages.TRACE_COLUMNS`` and ``number``, no trees).

        ``sort`` is a key of ``pages.TRACE_SORTS``, ``status`` one of ``pages.TRACE_STATUSES``;
        ``search`` keeps the traces with a span holding its words (full text), each row with
        its first matching span under ``match``.
        """
        with self._transaction(writing=False) as conn:
            return pages.trace_page(conn, session_id, offset, limit, status, search, sort)

    def trace_detail(self, session_id: str, number: int) -> dict[str, Any]:
        """Trace ``number`` (1-based, the store's order): session names, row, tree, ``prev``/``next``, ``total``."""
        with self._transaction(writing=False) as conn:
            found = pages.trace_detail(conn, session_id, number)
        if found is None:
            raise SessionNotFound(f"no trace {number} in session {session_id}")
        return found

    def trace_numbers(self, session_id: str) -> dict[int, int]:
        """seq -> the trace's number (1-based position in the store's order, as the CLI numbers traces)."""
        with self._transaction(writing=False) as conn:
            return pages.trace_numbers(conn, session_id)

    def trace_inputs(self, session_id: str) -> list[tuple[int, str]]:
        """``(seq, input preview)`` of every trace of a session, by seq (what comparisons match on)."""
        with self._transaction(writing=False) as conn:
            return pages.trace_inputs(conn, session_id)

    def trace_outcomes(self, session_id: str, seqs: list[int]) -> list[dict[str, Any]]:
        """Input, output, status, latency, tokens and cost of the given traces (``seq`` order)."""
        with self._transaction(writing=False) as conn:
            return pages.trace_outcomes(conn, session_id, seqs)

    # -- full-text search and charts ------------------------------------------------------------

    def search(self, text: str, session_id: str | None = None, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        """Spans holding every word of ``text`` (one session's, or the whole store's): ``hits`` and ``total``.

        Each hit names its session, trace (``seq`` and ``number``), span, the fields that
        matched and a ``snippet`` with each match between ``derived.MARK_START`` and ``MARK_END``.
        """
        with self._transaction(writing=False) as conn:
            expression = fulltext.match_expression(text)
            if expression is None:
                found, total = [], 0
            elif derived.has_index(conn):
                total = fulltext.count_hits(conn, expression, session_id)
                found = fulltext.hits(conn, expression, session_id, offset, limit)
            else:
                found, total = fulltext.fallback_hits(conn, text, session_id, offset + limit)
                found = found[offset:]
            numbers: dict[str, dict[int, int]] = {}
            for hit in found:
                sid = hit["session_id"]
                if sid not in numbers:
                    numbers[sid] = pages.trace_numbers(conn, sid)
                hit["number"] = numbers[sid].get(hit["seq"])
        return {"hits": found, "total": total}

    def latencies(self, session_id: str) -> list[float]:
        """Every trace's latency in milliseconds, smallest first."""
        with self._transaction(writing=False) as conn:
            return charts.latencies(conn, session_id)

    def usage_by_model(self, session_id: str) -> list[dict[str, Any]]:
        """Per model of a session: ``calls``, ``prompt``/``completion``/``total`` tokens, ``cost`` (None: unknown)."""
        with self._transaction(writing=False) as conn:
            return charts.usage_by_model(conn, session_id)


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file is at ``path`` now (``stat`` only: opening it would drop SQLite's POSIX locks)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _as_store_error(path: Path, exc: BaseException) -> StoreError:
    return exc if isinstance(exc, StoreError) else store_error(path, exc, BUSY_TIMEOUT_MS)
