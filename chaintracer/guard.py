"""The one error path for tracer internals: never raise into the user's program.

Every framework callback runs inside ``guarded``; background threads (encoding, spills,
streaming exports) report to the same ``ErrorCounter``. The first internal error is logged
with its traceback; later ones are only counted (and reported in the session summary as
``tracer_errors``). Under the test suite (``CHAINTRACER_RAISE_INTERNAL_ERRORS=1``, set by
``chaintracer.testing`` and our conftest) internal errors are raised so that bugs fail tests:
a callback's at once, on the caller's thread; a background thread's never inside that thread
(it would die), but from the next ``flush_tracker`` on the caller's thread.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

logger = logging.getLogger("chaintracer")

F = TypeVar("F", bound=Callable[..., Any])


def raise_internal_errors() -> bool:
    """True when internal errors should propagate (the test suite)."""
    return os.environ.get("CHAINTRACER_RAISE_INTERNAL_ERRORS") == "1"


class ErrorCounter:
    """Counts internal errors; logs the first one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0
        self._background: BaseException | None = None  # the first, to raise from a flush (tests)

    def record(self, where: str, exc: BaseException, background: bool = False) -> None:
        """Counts an internal error; ``background`` errors are kept to be raised from a flush."""
        with self._lock:
            self.count += 1
            first = self.count == 1
            if background and self._background is None:
                self._background = exc
        if first:
            logger.warning(
                "chaintracer: internal error in %s (your program continues; later errors are counted "
                "in the session summary as tracer_errors)",
                where,
                exc_info=exc,
            )

    def take(self) -> int:
        """Returns the count and resets it for the next session."""
        with self._lock:
            count, self.count = self.count, 0
        return count

    def raise_background(self) -> None:
        """Under the test suite, raises the first error a background thread recorded (once)."""
        with self._lock:
            exc, self._background = self._background, None
        if exc is not None and raise_internal_errors():
            raise exc


def guarded(method: F) -> F:
    """Wraps a callback so that an internal error is recorded on ``self._errors``, not raised."""
    where = method.__qualname__

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            self._errors.record(where, exc)
            if raise_internal_errors():
                raise
            return None

    return wrapper  # type: ignore[return-value]
