"""A bounded background queue for work that the user's call does not need to wait for.

Enqueueing is O(1). When the queue is full the item is processed on the caller's thread
instead (and counted): a finished trace is never dropped. ``drain`` waits for what is pending
within a time budget; the worker thread is started lazily and restarted after ``fork``.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import weakref
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("chaintracer")

_STOP = object()
BATCH_MAX = 256
BATCH_PAUSE_S = 0.02


class Worker:
    """Runs ``handle(item)`` for each submitted item on one daemon thread."""

    def __init__(self, handle: Callable[[Any], None], max_queue: int = 2048, name: str = "chaintracer-worker") -> None:
        self._handle = handle
        self._max_queue = max_queue
        self._name = name
        self._lock = threading.Lock()
        self._queue: queue.Queue[Any] = queue.Queue(max_queue)
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self.overflow = 0
        self.failures = 0
        if hasattr(os, "register_at_fork"):
            ref = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: (w := ref()) is not None and w._after_fork())

    def submit(self, item: Any) -> None:
        """Queues ``item``; runs it here and counts an overflow when the queue is full."""
        if self._thread is None:
            self._start()
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.overflow += 1
            self._run(item)

    def take_overflow(self) -> int:
        """Returns the overflow count and resets it."""
        count, self.overflow = self.overflow, 0
        return count

    def take_failures(self) -> int:
        """Returns the failure count and resets it."""
        count, self.failures = self.failures, 0
        return count

    def drain(self, timeout_s: float = 30.0) -> bool:
        """Waits until every queued item is handled; False if the budget ran out first."""
        if self._thread is None:
            return True
        done = threading.Event()
        try:
            self._queue.put(done, timeout=timeout_s)
        except queue.Full:
            return False
        self._wake.set()
        return done.wait(timeout_s)

    def shutdown(self, timeout_s: float = 30.0) -> None:
        """Handles what is queued, then stops the thread."""
        thread = self._thread
        if thread is None:
            return
        self._queue.put(_STOP)
        self._wake.set()
        thread.join(timeout_s)
        self._thread = None

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                thread.start()
                self._thread = thread

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            # Everything already queued in one go, then a short pause: one wake-up per batch
            # instead of per item means far fewer GIL hand-offs with a busy caller.
            while len(batch) < BATCH_MAX:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            for item in batch:
                if item is _STOP:
                    return
                if isinstance(item, threading.Event):
                    item.set()
                else:
                    self._run(item)
            full = len(batch) >= BATCH_MAX
            batch = item = None  # release the raw spans before waiting: nothing may hold them
            if not full:
                self._wake.wait(BATCH_PAUSE_S)  # drain() and shutdown() cut the pause short
                self._wake.clear()

    def _run(self, item: Any) -> None:
        try:
            self._handle(item)
        except Exception:
            self.failures += 1
            if self.failures == 1:
                logger.warning("chaintracer: background work failed; later failures are counted", exc_info=True)
            if os.environ.get("CHAINTRACER_RAISE_INTERNAL_ERRORS") == "1":
                raise

    def _after_fork(self) -> None:
        # The parent's thread does not exist in the child; its queue may hold a held lock.
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._queue = queue.Queue(self._max_queue)
        self._thread = None
