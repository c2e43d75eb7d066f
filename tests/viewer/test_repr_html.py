"""A flushed session renders inline in Jupyter through ``SessionInfo._repr_html_``."""

from __future__ import annotations

from chaintracer import Span, Tracer


def test_flushed_session_renders_its_table_inline(store_path):
    """The returned SessionInfo shows its name and traces as HTML, trace text escaped."""
    tracer = Tracer(project="nb", store=store_path)
    span = Span("answer", "llm")
    span.add_named_result({"prompt": "hi"}, {"text": "<script>alert(1)</script>"})
    tracer.log_trace(span)
    info = tracer.flush_tracker(name="inline <b>demo</b>")

    html = info._repr_html_()
    assert "inline &lt;b&gt;demo&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
