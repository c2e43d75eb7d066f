"""The background worker: every submitted item is handled exactly once, within its bounds."""

from __future__ import annotations

import threading
from collections import Counter

from chaintracer.guard import ErrorCounter
from chaintracer.worker import Worker


def _worker(handled: Counter, **bounds) -> Worker:
    lock = threading.Lock()

    def handle(batch):
        with lock:
            handled.update(batch)

    return Worker(handle, ErrorCounter(), **bounds)


def test_an_item_larger_than_the_byte_budget_is_handled_once():
    """An oversized item with nothing else queued goes through the queue once (not also inline)."""
    handled: Counter = Counter()
    worker = _worker(handled, max_bytes=10)
    worker.submit("big", size=1000)
    assert worker.drain(10)
    assert handled == Counter({"big": 1})
    assert worker.take_overflow() == 0


def test_items_over_the_bounds_are_handled_inline_once_and_counted():
    """Past max_items or max_bytes items are handled on the caller's thread: none lost, none twice."""
    handled: Counter = Counter()
    worker = _worker(handled, max_items=4, max_bytes=300)
    items = [f"item-{n}" for n in range(500)]
    for item in items:
        worker.submit(item, size=100)
    assert worker.drain(10)
    assert handled == Counter(items)
    assert worker.take_overflow() > 0


def test_items_from_many_threads_are_each_handled_once():
    """Concurrent submitters under tight bounds: every item handled exactly once."""
    handled: Counter = Counter()
    worker = _worker(handled, max_items=8, max_bytes=500)

    def submit(offset: int) -> None:
        for n in range(300):
            worker.submit((offset, n), size=120)

    threads = [threading.Thread(target=submit, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert worker.drain(10)
    assert sorted(handled.values()) == [1] * 1200


def test_a_caller_handles_its_own_items_once_the_oldest_queued_one_waited_too_long():
    """A thread that cannot keep up makes callers handle their items: nothing queues for long."""
    busy, handled_on = threading.Event(), []

    def handle(batch):
        handled_on.extend((item, threading.current_thread().name) for item in batch)
        if batch[0] == "first":
            busy.wait(10)  # the thread is stuck on a slow item

    worker = Worker(handle, ErrorCounter(), max_wait_s=0.05)
    worker.submit("first")
    while not handled_on:  # the thread has taken "first" and is stuck on it
        threading.Event().wait(0.01)
    worker.submit("queued")
    threading.Event().wait(0.2)  # "queued" is now older than max_wait_s
    worker.submit("late")
    assert ("late", threading.current_thread().name) in handled_on  # handled by the caller, at once
    assert worker.take_overflow() == 1
    busy.set()
    assert worker.drain(10)
    assert sorted(item for item, _ in handled_on) == ["first", "late", "queued"]
