"""SessionWriter: the current session, its writes to the store while it runs, and its flush.

Finished traces are written to the store in the background as the program runs (a "spill",
the session marked ``live``): the encoding worker calls ``tick`` after every round and at
least every ``worker.INTERVAL_S`` while traces wait, and ``tick`` writes them once the oldest
has waited ``SPILL_EVERY_S`` (or ``SPILL_EVERY_TRACES`` wait). So a trace is on disk within
about a second of finishing, whether or not the program keeps calling, and a busy program's
traces are written in large batches (one transaction each). ``flush`` writes what is left and
the final session row in one transaction, then starts the next session.

While the store cannot be written (a spill failed), waiting traces keep their tree compressed
(``EncodedTrace.pack``): a program that runs on with a locked or full disk holds about a fifth
of the memory per finished span, and a spill that succeeds again writes them all.

Locks: ``_lock`` guards the current session (adds happen on the encoding worker, or on the
caller when the queue overflows; flush swaps the session under it, so no trace lands in a
session after its flush). ``_write_lock`` keeps a spill and a flush from writing the same
traces twice; a spill never waits for it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from chaintracer.encoding import EncodedTrace
from chaintracer.session import Session
from chaintracer.settings import Settings
from chaintracer.store import Store, StoreError

logger = logging.getLogger("chaintracer")

SPILL_EVERY_TRACES = 4096
SPILL_EVERY_S = 0.25
# Encoded traces waiting for a write: past this many bytes whoever adds one writes them at once,
# so a program that outruns the worker holds a bounded amount of encoded JSON.
SPILL_EVERY_BYTES = 8 * 1024 * 1024


class SessionWriter:
    """Owns the session being recorded and every write of it to the store."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.session = Session(settings)
        self.flushed_sessions = 0
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._oldest_unwritten: float | None = None  # monotonic time the oldest unwritten trace arrived
        self._spill_failures = 0
        self._store_failing = False  # the last spill failed: traces added now may wait long
        self._unwritten_bytes = 0
        self.dirty = False  # traces added since the last flush (what an exit without flush must save)

    def add(self, traces: list[EncodedTrace]) -> Session:
        """Adds finished traces to the current session (writing them at once past ``SPILL_EVERY_BYTES``)."""
        with self._lock:
            session = self.session
            failing = self._store_failing
            for trace in traces:
                if failing:
                    trace.pack()
                session.add(trace)
                self._unwritten_bytes += len(trace.tree_json)
            if self._oldest_unwritten is None and traces:
                self._oldest_unwritten = time.monotonic()
            self.dirty = self.dirty or bool(traces)
            full = self._unwritten_bytes >= SPILL_EVERY_BYTES
        if full:
            self.spill()
        return session

    def tick(self, force: bool = False) -> bool:
        """Writes the waiting traces when they are due (or ``force``); True while some still wait."""
        oldest = self._oldest_unwritten
        if oldest is None:
            return False
        due = force or time.monotonic() - oldest >= SPILL_EVERY_S or self.session.pending_count() >= SPILL_EVERY_TRACES
        if due:
            self.spill()
        return self._oldest_unwritten is not None

    def behind(self, seconds: float) -> bool:
        """True when a finished trace has waited more than ``seconds`` for a write that can succeed."""
        oldest = self._oldest_unwritten
        return oldest is not None and not self._store_failing and time.monotonic() - oldest > seconds

    def spill(self) -> bool:
        """Writes the finished traces so far to the store, the session marked live."""
        if not self._write_lock.acquire(blocking=False):
            return False  # a flush (or another spill) is writing; its data includes ours
        try:
            with self._lock:
                session = self.session
                pending = session.pending()
                self._oldest_unwritten = None
                self._unwritten_bytes = 0
                if not pending:
                    return True
                record = session.record(self.provisional_name(), {}, {}, None)
                first_seq = session.stored_traces
            try:
                self.store.write_session(record, pending, first_seq=first_seq, live=True)
            except StoreError as exc:
                self._spill_failures += 1
                self._store_failing = True
                with self._lock:
                    if self._oldest_unwritten is None:
                        self._oldest_unwritten = time.monotonic()
                    for trace in pending:
                        trace.pack()
                    self._unwritten_bytes += sum(len(trace.tree_json) for trace in pending)
                if self._spill_failures == 1:
                    logger.warning("chaintracer: could not write finished traces yet (%s); kept for the flush", exc)
                return False
            with self._lock:
                session.mark_stored(pending)
                self._store_failing = False
            return True
        finally:
            self._write_lock.release()

    def has_unwritten(self) -> bool:
        """True when the current session holds traces the store does not have yet."""
        return self.session.pending_count() > 0

    def flush(
        self,
        name: str,
        fields: dict[str, Any],
        config: dict[str, Any],
        model: dict[str, Any] | None,
        counters: dict[str, int],
        new_session: bool,
        status: str = "flushed",
    ) -> dict[str, Any]:
        """Writes the session's remaining traces and final row in one transaction; returns the row.

        ``status`` is ``flushed`` (``flush_tracker``) or ``unflushed`` (written at interpreter
        exit). On ``StoreError`` nothing is lost: the session keeps its traces for the next flush.
        """
        with self._write_lock, self._lock:
            session = self.session
            counters = {**counters, "spill_failures": self._spill_failures}
            self._spill_failures = 0
            session.add_counters(counters)
            record = session.record(name, fields, config, model)
            pending = session.pending()
            self.store.write_session(record, pending, first_seq=session.stored_traces, status=status)
            session.name = name
            session.mark_stored(pending)
            self._store_failing = False
            self._oldest_unwritten = None
            self._unwritten_bytes = 0
            self.dirty = False
            self.flushed_sessions += 1
            if new_session:
                self.session = Session(self.settings)
            return record

    def provisional_name(self) -> str:
        """The name a running session has in the store until its flush names it.

        A session kept open by ``flush_tracker(reset=False)`` keeps the name that flush gave it.
        """
        return self.session.name or self.settings.name or f"session-{self.flushed_sessions + 1}"
