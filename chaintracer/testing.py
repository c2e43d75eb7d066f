"""Test kit: read back what a tracer recorded, as plain dicts, to test your own chains' traces.

tracer = Tracer(store=tmp_path / "t.db")
chain.invoke(..., config={"callbacks": [tracer]})
doc = flushed(tracer, name="case")
assert outline(doc["traces"][0]) == ("chain", "RunnableSequence", "ok", [...])
"""

from __future__ import annotations

from typing import Any

from chaintracer.export import export_session
from chaintracer.spantree import find, walk

__all__ = ["find", "flushed", "outline", "walk"]


def flushed(tracer: Any, name: str = "test", check_errors: bool = True, **flush_kwargs: Any) -> dict[str, Any]:
    """Flushes the tracer's session and returns its JSON export document.

    ``tracer`` is a ``chaintracer.Tracer`` or a framework handler. With ``check_errors`` (the
    default) an internal tracer error during the session fails the test with an
    ``AssertionError``: frameworks swallow handler exceptions, the session counter does not.
    """
    info = tracer.flush_tracker(name=name, **flush_kwargs)
    if info is None:
        raise RuntimeError("the tracer is finished; nothing was flushed")
    document = export_session(tracer.store, info.id)
    errors = document["session"]["summary"].get("tracer_errors", 0)
    if check_errors and errors:
        raise AssertionError(f"the tracer recorded {errors} internal error(s) in session {name!r} (see the log)")
    return document


def outline(span: dict[str, Any]) -> tuple[Any, ...]:
    """``(kind, name, status, [children...])`` of an exported span: the shape of a trace."""
    return (span["kind"], span["name"], span["status"], [outline(child) for child in span["children"]])
