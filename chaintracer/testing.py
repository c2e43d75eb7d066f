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
from chaintracer.tracer import Tracer

__all__ = ["find", "flushed", "outline", "walk"]


def flushed(tracer: Tracer, name: str = "test", **flush_kwargs: Any) -> dict[str, Any]:
    """Flushes the tracer's session and returns its JSON export document."""
    info = tracer.flush_tracker(name=name, **flush_kwargs)
    if info is None:
        raise RuntimeError("the tracer is finished; nothing was flushed")
    return export_session(tracer.store, info.id)


def outline(span: dict[str, Any]) -> tuple[Any, ...]:
    """``(kind, name, status, [children...])`` of an exported span: the shape of a trace."""
    return (span["kind"], span["name"], span["status"], [outline(child) for child in span["children"]])
