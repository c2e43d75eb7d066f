"""The viewer in a real browser (Debian Chromium driven by playwright), one screenshot per view.

Screenshots land in test-artifacts/viewer-*.png. Each page fails its test on a JavaScript error or
on any request that leaves the machine (see the ``page`` fixture).
"""

from __future__ import annotations

import urllib.parse

import sample_data
from playwright.sync_api import expect

from chaintracer.notebook import session_html
from chaintracer.store import Store
from chaintracer.viewer.report import build_report

ERROR_RED = "rgb(220, 38, 38)"
NOT_EXECUTED = "() => window.__xss === undefined && !document.getElementById('xss-marker')"


def route(server, *parts: str, **params: str) -> str:
    path = "/".join(urllib.parse.quote(part, safe="") for part in parts)
    query = ("?" + urllib.parse.urlencode(params)) if params else ""
    return f"{server.url}#/{path}{query}"


def visit(page, url: str) -> None:
    """A full load (a change of the #fragment alone would leave the last view on screen a moment)."""
    page.goto("about:blank")
    page.goto(url)


def test_sessions_list_filters_and_opens_a_session(page, server, sample_store, screenshot):
    """The list shows every session with its failed traces; filters narrow it and survive a reload."""
    visit(page, server.url)
    rows = page.locator("#sessions-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == len(sample_store.ids)
    agent = page.locator(f"tr[data-session='{sample_store.ids['agent']}']")
    assert agent.locator("td.failed").inner_text() == "1"  # one failed trace (3 error spans)
    assert "langchain_callback_demo" in agent.inner_text()
    screenshot(page, "sessions")

    page.select_option("select[name=project]", "prompt-iteration")
    expect(page.locator("#sessions-table tbody tr")).to_have_count(2)
    assert "project=prompt-iteration" in page.url  # a filtered list survives a reload
    page.fill("input[name=q]", "v2")
    expect(page.locator("#sessions-table tbody tr")).to_have_count(1)
    page.locator("#sessions-table tbody tr").first.click()
    page.wait_for_selector("#trace-table")
    assert page.locator("h1").inner_text().startswith("prompt-v2")


def test_trace_table_highlights_errors_and_opens_the_timeline(page, server, screenshot):
    """A failed trace is red in the table; the Failed filter keeps it; a click opens trace #3."""
    visit(page, route(server, "session", "agent"))
    rows = page.locator("#trace-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 3
    failing = page.locator("#trace-table tr[data-number='3']")
    assert "row-error" in failing.get_attribute("class")
    assert failing.locator("td").first.evaluate("td => getComputedStyle(td).backgroundColor") == "rgb(254, 242, 242)"
    assert "distance to the moon" in failing.inner_text()
    assert "What is (17 + 25) * 3?" in rows.first.inner_text()
    assert page.locator(".card", has_text="Failed traces").locator(".card-value").inner_text() == "1"
    screenshot(page, "trace-table")

    page.click("button[data-status=error]")
    expect(page.locator("#trace-table tbody tr")).to_have_count(1)
    failing.click()
    page.wait_for_selector("#timeline")
    assert page.url.endswith("/trace/3")


def test_timeline_outlines_the_failed_spans_in_red(page, server, screenshot):
    """Failed spans are outlined red; the view opens on the span where the error started."""
    visit(page, route(server, "session", "agent", "trace", "3"))
    page.wait_for_selector("#timeline .wf-row")
    assert page.locator("#timeline .wf-row").count() == 5
    legend = page.locator("#legend").inner_text()
    for kind in ("agent", "chain", "chat model", "tool", "error"):
        assert kind in legend
    # Bars are coloured per kind; failed ones carry a red outline.
    colors = page.eval_on_selector_all("#timeline .bar", "bars => bars.map(b => getComputedStyle(b).backgroundColor)")
    assert len(set(colors)) == 4
    failed = page.locator("#timeline .wf-row[data-status=error] .bar")
    assert failed.count() == 3
    style = failed.last.evaluate(
        "b => { const s = getComputedStyle(b); return [s.outlineStyle, s.outlineColor, s.outlineWidth]; }"
    )
    assert style == ["solid", ERROR_RED, "2px"]
    ok_bar = page.locator("#timeline .wf-row[data-status=ok] .bar").first
    assert ok_bar.evaluate("b => getComputedStyle(b).outlineStyle") == "none"

    # The timeline opens on the span where the error started: the tool, with its traceback.
    detail = page.locator("#span-detail")
    assert "lookup" in detail.locator("h2").inner_text()
    error = page.locator("#span-error")
    assert "ValueError" in error.inner_text() and "distance to the moon" in error.inner_text()
    error.locator("details.traceback > summary").click()
    assert "Traceback (most recent call last)" in error.locator(".tb-list").inner_text()
    screenshot(page, "timeline")

    # Selecting a model span shows its model, parameters and tokens.
    page.locator("#timeline .wf-row[data-kind=chat_model]").first.click()
    assert "scripted-chat" in detail.inner_text()
    assert "17 (14 prompt · 3 completion)" in detail.inner_text()
    assert "temperature" in detail.locator("[data-section=params]").inner_text()
    # Collapsing a span hides its children.
    page.locator("#timeline .wf-row[data-kind=agent] .caret").click()
    assert page.locator("#timeline .wf-row").count() == 1


def test_model_architecture_graph_and_parameters(page, server, screenshot):
    """The architecture tab draws the graph; a node shows its parameters."""
    visit(page, route(server, "session", "agent", "architecture"))
    page.wait_for_selector("#architecture svg.graph")
    nodes = page.locator("svg.graph .node")
    assert nodes.count() == 4
    assert page.locator("svg.graph .edge").count() == 4
    assert page.locator("svg.graph .edge.conditional").count() == 3
    page.locator("svg.graph .node[data-node=tools]").click()
    panel = page.locator("#node-detail")
    assert "calculator" in panel.inner_text() and "lookup" in panel.inner_text()
    models = page.locator(".comp-card", has_text="ScriptedChatModel")
    assert "scripted-chat" in models.first.inner_text() and "512" in models.first.inner_text()
    screenshot(page, "architecture")

    visit(page, route(server, "session", "synopsis_chain", "architecture"))
    page.wait_for_selector("#architecture svg.graph")
    assert page.locator("svg.graph .node.k-prompt").count() == 2
    page.locator("svg.graph .node.k-llm").nth(1).click()
    assert "0.2" in page.locator("#node-detail").inner_text()  # the critic's temperature
    screenshot(page, "architecture-chain")


def test_compare_two_sessions_side_by_side(page, server, screenshot):
    """Two ticked sessions compare: differing settings, outputs per input, failed traces."""
    visit(page, server.url)
    page.wait_for_selector("#sessions-table")
    for name in ("prompt-v1", "prompt-v2"):
        page.locator("tr[data-session]", has_text=name).locator("input[type=checkbox]").check()
    page.click("#compare-btn")
    page.wait_for_selector("#compare-outputs")
    assert page.locator("h1").inner_text() == "Comparing 2 sessions"
    settings = page.locator("#compare-settings tbody tr.diff")
    keys = settings.locator("th").all_inner_texts()
    assert "model.models[0].params.temperature" in keys and "model.prompts[0]" in keys
    rows = page.locator("#compare-outputs tbody tr")
    assert rows.count() == 4
    first = rows.first.inner_text()
    assert "What is the capital of France?" in first
    assert "Paris." in first and "The capital of France is Paris." in first
    assert rows.nth(2).locator(".bad-cell").count() == 1  # v2 failed on that input
    failed = page.locator("#compare-metrics tr", has_text="failed traces")
    assert failed.locator("td").all_inner_texts()[1].startswith("1")
    screenshot(page, "compare")


def test_stored_script_injection_never_runs(page, server, sample_store, screenshot):
    """Payloads in names, tags, inputs, outputs, errors, the model and visualisations stay text."""
    sid = sample_store.ids[sample_data.XSS_NAME]
    views = [
        (server.url, "#sessions-table"),
        (route(server, "session", sid), "#trace-table"),
        (route(server, "session", sid, "trace", "2"), "#span-error"),
        (route(server, "session", sid, "trace", "1"), "#timeline"),
        (route(server, "session", sid, "architecture"), "svg.graph"),
        (route(server, "session", sid, "settings"), "#settings-table"),
        (route(server, "compare", ids=f"{sid},prompt-v1"), "#compare-settings"),
        (route(server, "compare", ids=f"prompt-v1,{sid}", baseline=sid), "#compare-outputs"),
        # Searches for payloads: found, highlighted, and still text.
        (route(server, "session", sid, q="onerror window"), "#trace-table .match mark"),
        (route(server, "session", sid, q=sample_data.P_IMG), "#trace-table"),
        (route(server, "session", sid, "trace", "1", q="script xss", span="<img src=x>"), "#span-detail mark"),
        (route(server, "search", q=sample_data.P_SCRIPT), "#search-results"),
        (route(server, "experiments"), "#experiments-table"),
        (route(server, "experiment", sample_data.XSS_EXPERIMENT), "#experiment-grid"),
        (route(server, "experiment", sample_data.XSS_EXPERIMENT, baseline=sample_data.XSS_VARIANTS[1]), ".chip"),
        (route(server, trend="traces"), "#trend svg"),
    ]
    for url, ready in views:
        visit(page, url)
        page.wait_for_selector(ready)
        assert page.evaluate(NOT_EXECUTED), url
        assert page.locator("img, svg.graph script, main script, main iframe:not([sandbox=''])").count() == 0, url
        if "trace/2" in url:
            assert sample_data.XSS_ERROR in page.locator("#span-error").inner_text()
        if "trace/1" in url:
            page.locator("#timeline .wf-row[data-kind=llm]").click()
            assert sample_data.XSS_TEXT in page.locator("[data-section=outputs]").inner_text()
            frame = page.locator("iframe.viz")
            assert frame.get_attribute("sandbox") == ""
            assert "Paris" in page.frame_locator("iframe.viz").locator("body").inner_text()
            page.wait_for_timeout(200)  # give a blocked onerror/onload the chance to fire
            assert page.evaluate(NOT_EXECUTED), "visualisation"
            screenshot(page, "xss-trace")
        if "experiment/" in url:
            assert sample_data.XSS_VARIANTS[0] in page.locator("#experiment-summary").inner_text()
            assert "<script>" in page.locator("#experiment-grid").inner_text()
        page.wait_for_timeout(100)
        assert page.evaluate(NOT_EXECUTED), url
    visit(page, server.url)
    page.wait_for_selector("#sessions-table")
    text = page.locator("#sessions-table").inner_text()
    assert sample_data.XSS_NAME in text and sample_data.P_SCRIPT in text
    page.wait_for_timeout(200)
    assert page.evaluate(NOT_EXECUTED)


def test_report_file_works_offline_and_keeps_text_inert(page, sample_store, tmp_path, screenshot):
    """The one-file report shows sessions, timelines, comparisons and architectures offline, payloads inert."""
    store = Store(sample_store.path, create=False)
    try:
        html, _ = build_report(store, ["prompt-v1", "prompt-v2", "agent", sample_store.ids[sample_data.XSS_NAME]])
        fragment = session_html(store, sample_store.ids[sample_data.XSS_NAME])
    finally:
        store.close()
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    url = path.as_uri()

    visit(page, url)
    page.wait_for_selector("#sessions-table")
    assert page.locator("#sessions-table tbody tr").count() == 4
    assert "report" in page.locator(".mode").inner_text()
    visit(page, url + "#/session/agent/trace/3")
    page.wait_for_selector("#timeline .bar.error")
    assert page.locator("#timeline .bar.error").last.evaluate("b => getComputedStyle(b).outlineColor") == ERROR_RED
    screenshot(page, "report-timeline")
    visit(page, url + "#/compare?ids=prompt-v1,prompt-v2")
    page.wait_for_selector("#compare-outputs")
    assert page.locator("#compare-outputs tbody tr").count() == 4
    visit(page, url + "#/session/agent/architecture")
    page.wait_for_selector("svg.graph .node")
    visit(page, url + f"#/session/{sample_store.ids[sample_data.XSS_NAME]}/trace/1")
    page.locator("#timeline .wf-row[data-kind=llm]").click()
    assert "Paris" in page.frame_locator("iframe.viz").locator("body").inner_text()
    page.wait_for_timeout(200)
    assert page.evaluate(NOT_EXECUTED)

    # The Jupyter fragment: static HTML, payloads shown as text.
    page.set_content(f"<!doctype html><body>{fragment}</body>")
    assert sample_data.XSS_NAME in page.inner_text("body")
    assert sample_data.XSS_ERROR in page.inner_text("body")
    page.wait_for_timeout(200)
    assert page.evaluate(NOT_EXECUTED)
    assert page.locator("img, script").count() == 0
    screenshot(page, "jupyter-fragment")
