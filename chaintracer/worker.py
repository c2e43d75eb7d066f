"""A background thread for work the user's call need not wait for, bounded in items and bytes.

``submit`` is O(1) on the caller's thread: a ``deque`` append and a little accounting. The
thread takes everything queued in one go (``handle(batch)``), so a busy program pays one
wake-up per batch rather than one per item (fewer GIL hand-offs). It wakes when a batch is
full, on ``drain``, and every ``interval_s`` while there is work; after each wake it calls
``tick()``, which does periodic work (writing finished traces to disk) and says whether it
wants to be called again soon. With nothing queued and nothing due it sleeps until the next
``submit``: an idle program costs nothing.

When the queue holds ``max_items`` items or ``max_bytes`` (as estimated by the caller), or
its oldest item has waited more than ``max_wait_s`` (when given), the item is handled on the
caller's thread instead and counted as an overflow: nothing is dropped, memory stays bounded,
and a caller that produces faster than the thread can handle is slowed to its pace, so an
item never waits long (the tracer's promise: a finished trace on disk within 2 s, even in a
busy loop).

Errors in ``handle``/``tick`` go to the tracer's ``ErrorCounter`` (never raised inside the
thread, which must survive). The thread starts lazily and is started again in a child after
``fork``.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from chaintracer.guard import ErrorCounter

BATCH_ITEMS = 256
INTERVAL_S = 0.25
# For the encoding worker: the oldest queued trace may wait this long before callers encode their
# own; with the writer's 0.25 s spill interval a finished trace's way to disk stays inside 2 s.
# (The export worker has no such limit: a slow backend must never run on the caller's thread.)
MAX_WAIT_S = 0.25


class Worker:
    """Runs ``handle(batch)`` for submitted items, and ``tick()`` periodically, on one daemon thread."""

    def __init__(
        self,
        handle: Callable[[list[Any]], None],
        errors: ErrorCounter,
        *,
        tick: Callable[[bool], bool] | None = None,
        max_items: int = 2048,
        max_bytes: int | None = None,
        interval_s: float = INTERVAL_S,
        max_wait_s: float | None = None,
        name: str = "chaintracer-worker",
    ) -> None:
        self._handle = handle
        self._tick = tick
        self._errors = errors
        self._max_items = max_items
        self._max_bytes = max_bytes
        self._interval_s = interval_s
        self._max_wait_s = max_wait_s
        self._name = name
        self.overflow = 0
        self._reset()
        if hasattr(os, "register_at_fork"):
            ref = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: (w := ref()) is not None and w._reset())

    def _reset(self) -> None:
        # Also the child's state after fork: the parent's thread does not exist there, and a
        # lock held by it at fork time would never be released.
        self._items: deque[tuple[Any, int, float]] = deque()  # item, size, monotonic time queued
        self._bytes = 0
        self._lock = threading.Lock()  # guards _bytes, the round counters and the thread handle
        self._wake = threading.Event()
        self._round_done = threading.Condition(self._lock)
        self._rounds_started = 0
        self._rounds_done = 0
        self._force = 0  # drains waiting: ask tick() for everything now
        self._stop = False
        self._sleeping = True
        self._thread: threading.Thread | None = None

    # -- caller's side ----------------------------------------------------------------------

    def submit(self, item: Any, size: int = 0) -> None:
        """Queues ``item`` (of about ``size`` bytes); handles it here when the queue is full."""
        if self._thread is None:
            self._start()
        now = time.monotonic()
        with self._lock:
            items = self._items
            queued = len(items)
            # Over the byte budget only with others queued: one large item alone still goes.
            full = queued >= self._max_items or (
                queued > 0
                and (
                    (self._max_wait_s is not None and now - items[0][2] > self._max_wait_s)
                    or (self._max_bytes is not None and self._bytes + size > self._max_bytes)
                )
            )
            if not full:
                self._bytes += size
                items.append((item, size, now))
        if full:
            self.overflow += 1
            self._run(self._handle, [item])
            return
        if self._sleeping or len(self._items) >= BATCH_ITEMS:
            self._sleeping = False
            self._wake.set()

    def catch_up(self, timeout_s: float) -> None:
        """Waits (off the GIL) for the thread to handle what is queued and write what is due.

        A caller in a CPU-bound loop holds the GIL nearly all the time, and each SQLite step of
        the thread's write must win it back (up to the 5 ms switch interval each): writes then
        take seconds. Waiting here lets them run at full speed. Never from the thread itself.
        """
        if self._thread is not None and threading.current_thread() is not self._thread:
            self.drain(timeout_s)

    def pending(self) -> int:
        """How many submitted items wait for the thread."""
        return len(self._items)

    def take_overflow(self) -> int:
        """Returns the overflow count and resets it."""
        count, self.overflow = self.overflow, 0
        return count

    def drain(self, timeout_s: float = 30.0) -> bool:
        """Waits until every item submitted so far is handled and ``tick`` ran with everything due.

        False if the budget ran out first (or the thread is gone).
        """
        if self._thread is None:
            if self._tick is not None:
                self._run(self._tick, True)
            return True
        with self._lock:
            # The next round to start takes everything queued before this call (FIFO).
            target = self._rounds_started + 1
            self._force += 1
        self._wake.set()
        try:
            with self._round_done:
                return self._round_done.wait_for(lambda: self._rounds_done >= target, timeout_s)
        finally:
            with self._lock:
                self._force -= 1

    def shutdown(self, timeout_s: float = 30.0) -> None:
        """Handles what is queued, then stops the thread."""
        thread = self._thread
        if thread is None:
            return
        self.drain(timeout_s)
        self._stop = True
        self._wake.set()
        thread.join(timeout_s)
        self._thread = None

    # -- the thread ---------------------------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread = thread
                thread.start()

    def _loop(self) -> None:
        more = False
        while not self._stop:
            timeout = self._interval_s if (self._items or more or self._force) else None
            self._sleeping = timeout is None
            if self._sleeping and self._items:  # an item arrived as we were deciding to sleep
                self._sleeping, timeout = False, self._interval_s
            self._wake.wait(timeout)
            self._wake.clear()
            self._sleeping = False
            with self._lock:
                self._rounds_started += 1
                forced = self._force > 0
            batch: list[Any] = []
            size = 0
            items = self._items
            while items:
                item, item_size, _ = items.popleft()
                batch.append(item)
                size += item_size
            # A long batch is handled in chunks with the periodic work between them, so what was
            # handled first is written while the rest is still being handled.
            for start in range(0, len(batch), BATCH_ITEMS):
                self._run(self._handle, batch[start : start + BATCH_ITEMS])
                if self._tick is not None and start + BATCH_ITEMS < len(batch):
                    self._run(self._tick, False)
            if self._tick is not None:
                more = bool(self._run(self._tick, forced))
            with self._round_done:
                self._bytes -= size
                self._rounds_done += 1
                self._round_done.notify_all()
            batch = []  # release the raw spans before waiting: nothing may hold them

    def _run(self, function: Callable[[Any], Any], argument: Any) -> Any:
        try:
            return function(argument)
        except Exception as exc:
            self._errors.record(self._name, exc, background=True)
            return None
