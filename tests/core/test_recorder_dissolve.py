"""Recorder.dissolve: a grouping root with at most one span hands its place to that span."""

from __future__ import annotations

from chaintracer.recorder import Recorder


def recorder_and_sink():
    handed: list = []
    return Recorder(handed.append), handed


def test_root_with_one_ended_child_hands_the_child_on_as_the_trace():
    """The only span of a window becomes its trace's root, with the trace named after it."""
    recorder, handed = recorder_and_sink()
    recorder.start("window", None, "chain", "query")
    recorder.start("q", "window", "chain", "query")
    recorder.start("r", "q", "retriever", "retrieve")
    recorder.end("r")
    recorder.end("q")
    assert handed == []
    assert recorder.dissolve("window") is True
    (root,) = handed
    assert (root.span_id, root.parent_id, root.trace_id) == ("q", None, "q")
    assert root.children[0].trace_id == "q" and recorder.open_count() == 0


def test_root_with_one_open_child_hands_it_on_when_it_ends():
    """A span still running (a stream) becomes the root and is handed on when it ends."""
    recorder, handed = recorder_and_sink()
    recorder.start("window", None, "chain", "query")
    recorder.start("q", "window", "chain", "query")
    assert recorder.dissolve("window") is True and handed == []
    recorder.end("q", outputs="done")
    assert [(span.span_id, span.outputs) for span in handed] == [("q", "done")]


def test_empty_root_disappears_and_a_root_of_several_stays():
    """A window with nothing in it leaves no trace; one holding several spans is ended by the caller."""
    recorder, handed = recorder_and_sink()
    recorder.start("empty", None, "chain", "chat")
    assert recorder.dissolve("empty") is True and recorder.open_count() == 0
    recorder.start("window", None, "chain", "chat")
    recorder.start("a", "window", "retriever", "retrieve")
    recorder.start("b", "window", "chain", "synthesize")
    assert recorder.dissolve("window") is False and recorder.get("window") is not None
    assert recorder.dissolve("a") is False  # only roots dissolve
    assert handed == []
