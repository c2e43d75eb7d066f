"""SessionWriter: the current session, its spills to the store while it runs, and its flush.

Finished traces are written to the store in the background as the program runs (a "spill",
the session marked ``live``), so a crash loses at most the last few seconds and the viewer
shows a running session on refresh. ``flush`` writes what is left and the final session row
in one transaction, then starts the next session.

Locks: ``_lock`` guards the current session (adds happen on the encoding worker; flush swaps
the session under it, so no trace lands in a session after its flush). ``_write_lock`` keeps a
spill and a flush from writing the same traces twice; a spill never waits for it.
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

SPILL_EVERY_TRACES = 256
SPILL_EVERY_S = 2.0


class SessionWriter:
    """Owns the session being recorded and every write of it to the store."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.session = Session(settings)
        self.flushed_sessions = 0
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._last_spill = time.monotonic()
        self._spill_failures = 0

    def add(self, trace: EncodedTrace) -> Session:
        """Adds a finished trace to the current session (spilling when one is due); returns it."""
        with self._lock:
            session = self.session
            session.add(trace)
            due = session.pending_count() >= SPILL_EVERY_TRACES or time.monotonic() - self._last_spill >= SPILL_EVERY_S
        if due:
            self.spill()
        return session

    def spill(self) -> bool:
        """Writes the finished traces so far to the store, the session marked live."""
        if not self._write_lock.acquire(blocking=False):
            return False  # a flush (or another spill) is writing; its data includes ours
        try:
            with self._lock:
                session = self.session
                pending = session.pending()
                if not pending:
                    return True
                record = session.record(self.provisional_name(), {}, {}, None)
                first_seq = session.stored_traces
            try:
                self.store.write_session(record, pending, first_seq=first_seq, live=True)
            except StoreError as exc:
                self._spill_failures += 1
                if self._spill_failures == 1:
                    logger.warning("chaintracer: could not write finished traces yet (%s); kept for the flush", exc)
                return False
            with self._lock:
                session.mark_stored(pending)
            return True
        finally:
            self._last_spill = time.monotonic()
            self._write_lock.release()

    def flush(
        self,
        name: str,
        fields: dict[str, Any],
        config: dict[str, Any],
        model: dict[str, Any] | None,
        counters: dict[str, int],
        new_session: bool,
    ) -> dict[str, Any]:
        """Writes the session's remaining traces and final row in one transaction; returns the row.

        On ``StoreError`` nothing is lost: the session keeps its traces for the next flush.
        """
        with self._write_lock, self._lock:
            session = self.session
            counters = {**counters, "spill_failures": self._spill_failures}
            self._spill_failures = 0
            session.add_counters(counters)
            record = session.record(name, fields, config, model)
            pending = session.pending()
            self.store.write_session(record, pending, first_seq=session.stored_traces)
            session.mark_stored(pending)
            self.flushed_sessions += 1
            if new_session:
                self.session = Session(self.settings)
            return record

    def provisional_name(self) -> str:
        """The name a running session has in the store until its flush names it."""
        return self.settings.name or f"session-{self.flushed_sessions + 1}"
