"""The viewer for daily use (issue 15), in Chromium: search, shareable links, copy, errors, charts, basics."""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
from pathlib import Path

import sample_data
from playwright.sync_api import expect
from test_viewer_browser import route, visit

from chaintracer.environment import git_commit

REPO = Path(__file__).resolve().parents[2]
WARN_COLORS = {"rgb(180, 83, 9)"}
ERROR_RED = "rgb(220, 38, 38)"


# -- full-text search ----------------------------------------------------------------------------


def test_search_finds_the_answer_and_opens_the_matching_span(page, server, screenshot):
    """'126' (only in the agent's final answer and the calculator's output) is found, marked and opened."""
    visit(page, route(server, "session", "agent"))
    page.wait_for_selector("#trace-table")
    page.fill("input[name=q]", "126")
    match = page.locator("#trace-table tr.match-row")
    expect(match).to_have_count(1)
    assert match.locator("mark").first.inner_text() == "126"
    assert "q=126" in page.url  # the search survives a reload
    screenshot(page, "search-table")
    match.click()
    page.wait_for_selector("#span-detail mark.search-hit")
    assert re.search(r"/trace/1\?.*span=", page.url) and "q=126" in page.url
    assert page.locator("#span-detail mark.search-hit").first.inner_text() == "126"
    hits = page.locator("#timeline .wf-row.has-hit")
    assert hits.count() >= 2  # the agent and the calculator
    assert "hold it" in page.locator("#hit-nav").inner_text()
    selected = page.locator("#timeline .wf-row.selected").get_attribute("data-span-id")
    page.locator("#hit-nav button", has_text="›").click()
    assert page.locator("#timeline .wf-row.selected").get_attribute("data-span-id") != selected
    assert page.locator("#timeline .wf-row.selected").get_attribute("class").count("has-hit") == 1
    screenshot(page, "search-span")


def test_search_for_words_only_found_in_child_spans(page, server):
    """'Paris' and 'answer' are found in the agent session though no preview shows the whole answer."""
    for words, expected in (("Paris", {"2"}), ("answer", {"1", "2"})):
        visit(page, route(server, "session", "agent", q=words))
        page.wait_for_selector("#trace-table tr.match-row")
        numbers = set(page.locator("#trace-table tr.trace-row").evaluate_all("rows => rows.map(r => r.dataset.number)"))
        assert expected <= numbers, words


def test_search_page_searches_every_session(page, server):
    """The Search page finds words in any session and opens the span."""
    visit(page, route(server, "search", q="Eiffel"))
    results = page.locator("#search-results tbody tr")
    results.first.wait_for()
    assert sample_data.LONG_NAME in results.first.inner_text()
    results.first.locator("a").click()
    page.wait_for_selector("#span-detail mark.search-hit")
    assert "Eiffel" in page.locator("#span-detail mark.search-hit").first.inner_text()


# -- links, numbering, copy ----------------------------------------------------------------------


def test_selected_span_is_in_the_url_and_a_link_opens_it(page, server):
    """Selecting a span puts it in the URL; opening that URL selects it again."""
    visit(page, route(server, "session", "agent", "trace", "1"))
    page.wait_for_selector("#timeline .wf-row")
    row = page.locator("#timeline .wf-row[data-kind=tool]").first
    span_id = row.get_attribute("data-span-id")
    row.click()
    assert page.url.endswith(f"/trace/1?span={span_id}")
    link = page.url
    visit(page, link)
    page.wait_for_selector("#timeline .wf-row.selected")
    assert page.locator("#timeline .wf-row.selected").get_attribute("data-span-id") == span_id
    assert "calculator" in page.locator("#span-detail h2").inner_text()


def test_trace_numbers_match_the_cli(page, server, sample_store):
    """Trace #3 of the viewer is `trace 3/3` of `chaintracer show`: the failing one."""
    shown = subprocess.run(
        [sys.executable, "-m", "chaintracer.cli", "show", "agent", "--store", sample_store.path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    blocks = shown.split("\ntrace ")[1:]
    failing_cli = next(int(block.split("/", 1)[0]) for block in blocks if "ERROR" in block)
    visit(page, route(server, "session", "agent"))
    page.wait_for_selector("#trace-table")
    failing_viewer = page.locator("#trace-table tr.row-error").get_attribute("data-number")
    assert int(failing_viewer) == failing_cli == 3
    visit(page, route(server, "session", "agent", "trace", "3"))
    page.wait_for_selector("#timeline")
    assert "Trace #3" in page.locator(".crumbs").inner_text()
    assert "#3 of 3" in page.locator(".nav-btns").inner_text()


def test_copy_buttons_put_the_payload_on_the_clipboard(page, server):
    """Each payload section has a Copy button that copies it whole (JSON for objects)."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    visit(page, route(server, "session", "agent", "trace", "1"))
    page.wait_for_selector("#span-detail")
    page.locator("#timeline .wf-row[data-kind=tool]").first.click()
    for section in ("inputs", "outputs", "attributes"):
        assert page.locator(f"[data-section={section}] .copy-btn").count() == 1, section
    page.locator("[data-section=inputs] .copy-btn").click()
    expect(page.locator("[data-section=inputs] .copy-btn")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert json.loads(copied) == {"expression": "(17 + 25) * 3"}


# -- errors: failed traces and handled errors ------------------------------------------------------


def test_a_handled_error_is_a_warning_not_a_failure(page, server, sample_store, screenshot):
    """An agent that recovered from a tool error shows 0 failed traces and an amber 'handled' mark."""
    visit(page, server.url)
    row = page.locator(f"tr[data-session='{sample_store.ids[sample_data.LONG_NAME]}']")
    row.wait_for()
    failed = row.locator("td.failed")
    assert failed.inner_text().startswith("0") and "bad" not in failed.get_attribute("class")
    assert "1 handled" in failed.locator(".pill-warn").inner_text()
    assert "has-warnings" in row.get_attribute("class") and "has-errors" not in row.get_attribute("class")
    agent = page.locator(f"tr[data-session='{sample_store.ids['agent']}'] td.failed")
    assert agent.evaluate("td => getComputedStyle(td).color") == ERROR_RED

    visit(page, route(server, "session", sample_store.ids[sample_data.LONG_NAME]))
    page.wait_for_selector("#trace-table")
    heading = page.locator("h1")
    assert heading.locator(".pill-error").count() == 0 and "1 handled" in heading.inner_text()
    assert page.locator(".card[data-card='Failed traces'] .card-value").inner_text() == "0"
    trace = page.locator("#trace-table tr.trace-row").first
    assert "row-warn" in trace.get_attribute("class") and "row-error" not in trace.get_attribute("class")
    assert trace.locator(".pill-warn").evaluate("p => getComputedStyle(p).color") in WARN_COLORS
    screenshot(page, "handled")


# -- the sessions list: sorting, trend -----------------------------------------------------------


def _column(page, css: str) -> list[str]:
    return page.locator(f"#sessions-table tbody tr {css}").all_inner_texts()


def test_sessions_list_sorts_by_a_column_both_ways(page, server):
    """Clicking a header sorts by it (descending, then ascending); the URL keeps the order."""
    visit(page, server.url)
    page.wait_for_selector("#sessions-table")
    header = page.locator("th[data-sort=traces]")
    header.locator("button").click()
    expect(page.locator("th[data-sort=traces]")).to_have_attribute("aria-sort", "descending")
    counts = [int(text.replace(",", "")) for text in _column(page, "td:nth-child(7)")]
    assert counts == sorted(counts, reverse=True) and "sort=traces" in page.url
    page.locator("th[data-sort=traces] button").click()
    expect(page.locator("th[data-sort=traces]")).to_have_attribute("aria-sort", "ascending")
    counts = [int(text.replace(",", "")) for text in _column(page, "td:nth-child(7)")]
    assert counts == sorted(counts)
    page.locator("th[data-sort=name] button").click()
    expect(page.locator("th[data-sort=name]")).to_have_attribute("aria-sort", "descending")
    names = _column(page, "td.name a")
    assert names == sorted(names, key=str.lower, reverse=True)


def test_sessions_list_plots_a_metric_across_sessions(page, server, sample_store, screenshot):
    """The trend chart draws one point per session, oldest first; a point opens its session."""
    visit(page, server.url)
    page.wait_for_selector("#sessions-table")
    page.select_option("select[name=trend]", "tokens")
    points = page.locator("#trend svg circle.point")
    expect(points).to_have_count(len(sample_store.ids))
    assert "trend=tokens" in page.url
    screenshot(page, "trend")
    points.first.click()
    page.wait_for_selector("#trace-table")
    assert page.locator("h1").inner_text().startswith("simple_sequential")  # the oldest


# -- the session page: charts, metrics, empty, live ---------------------------------------------


def test_session_page_charts_latency_and_tokens_by_model(page, server):
    """A latency histogram counts every trace; a bar per model shows its tokens."""
    visit(page, route(server, "session", "synopsis_chain"))
    bars = page.locator("#session-charts svg rect.bar-fill")
    bars.first.wait_for()
    counts = bars.evaluate_all("bars => bars.map(b => Number(b.dataset.count))")
    assert sum(counts) == 4
    usage = page.locator("#session-charts svg").nth(1).text_content()
    assert "scripted-llm" in usage and "tok" in usage and "calls" in usage


def test_metrics_show_three_significant_digits_inside_their_card(page, server):
    """65.73333333 shows as 65.7, and the metric card does not overflow."""
    visit(page, route(server, "session", sample_data.LONG_NAME))
    card = page.locator(".card[data-card=Metrics]")
    card.wait_for()
    text = card.inner_text()
    assert "65.7" in text and "9.88" in text and "11.2" in text and "65.73" not in text
    assert card.evaluate("c => c.scrollWidth <= c.clientWidth && c.scrollHeight <= c.clientHeight + 1")


def test_long_names_and_multiline_text_wrap(page, server, sample_store):
    """A long session name wraps in the list; a question's line break shows as a line break."""
    visit(page, server.url)
    cell = page.locator(f"tr[data-session='{sample_store.ids[sample_data.LONG_NAME]}'] td.name")
    cell.wait_for()
    assert cell.evaluate("c => c.scrollWidth <= c.clientWidth")
    assert cell.locator("a").evaluate("a => a.getClientRects().length") > 1  # on several lines
    visit(page, route(server, "session", sample_data.LONG_NAME, "trace", "1"))
    page.wait_for_selector("#span-detail")
    page.locator("#timeline .wf-row[data-kind=agent]").click()
    question = page.locator("[data-section=inputs] .j-str")
    assert "\nSecond line" in question.inner_text()
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_an_empty_session_says_so(page, server):
    """A session without traces says it holds none instead of showing an empty table."""
    visit(page, route(server, "session", "empty-run"))
    page.wait_for_selector("#empty-session")
    assert "holds no traces" in page.locator("#empty-session").inner_text()
    assert page.locator("#trace-table").count() == 0


def test_a_live_session_refreshes_itself(page, tmp_path):
    """Traces a running program writes while its session's page is open appear without a reload."""
    from chaintracer import Span
    from chaintracer.encoding import TraceEncoder
    from chaintracer.payloads import Converter
    from chaintracer.session import Session
    from chaintracer.settings import resolve
    from chaintracer.store import Store
    from chaintracer.viewer.server import ViewerServer

    path = str(tmp_path / "live.db")
    session = Session(resolve(project="live", store=path))
    encoder = TraceEncoder(Converter(65536))
    writer = Store(path)

    def spill(name: str) -> None:
        """What a running program's spill does: its finished traces, written with the session live."""
        span = Span(name, "chain")
        span.end_ns = span.start_ns + 1_000_000
        session.add(encoder.encode(span))
        pending = session.pending()
        record = session.record("growing", {}, {}, None)
        writer.write_session(record, pending, first_seq=session.stored_traces, live=True)
        session.mark_stored(pending)

    spill("first")
    store = Store(path, create=False)
    server = ViewerServer(store, "127.0.0.1", 0)
    server.start_background()
    try:
        visit(page, route(server, "session", session.id))
        page.wait_for_selector("#trace-table")
        assert page.locator("h1 .pill-live").count() == 1
        expect(page.locator("#trace-table tr.trace-row")).to_have_count(1)
        spill("second")
        expect(page.locator("#trace-table tr.trace-row")).to_have_count(2, timeout=15_000)
        assert page.locator(".card[data-card=Traces] .card-value").inner_text() == "2"
    finally:
        server.shutdown()
        server.server_close()
        store.close()
        writer.close()


# -- payloads: tracebacks, documents, visualisations, environment, dark mode ---------------------


def test_traceback_puts_the_users_frame_first_and_folds_library_frames(page, server):
    """The frame of the user's own file leads; langchain_core's frames fold into one line."""
    visit(page, route(server, "session", "format-failure", "trace", "1"))
    box = page.locator("#span-error")
    box.wait_for()
    yours = box.locator(".tb-yours")
    assert "sample_data.py" in yours.inner_text() and "_format_with_langchain" in yours.inner_text()
    box.locator("details.traceback > summary").click()
    folded = box.locator("details.tb-libs")
    assert folded.count() >= 1 and not folded.first.evaluate("d => d.open")
    assert "langchain_core" in folded.first.locator("summary").inner_text()
    assert "library frame" in folded.first.locator("summary").inner_text()


def test_retrieved_documents_show_as_cards(page, server):
    """A retriever's documents are cards with their score, source and text."""
    visit(page, route(server, "session", sample_data.LONG_NAME, "trace", "1"))
    page.wait_for_selector("#timeline")
    page.locator("#timeline .wf-row[data-kind=retriever]").click()
    cards = page.locator("[data-section=outputs] .doc-card")
    expect(cards).to_have_count(2)
    assert "kb/paris.md" in cards.first.inner_text() and "Eiffel tower stands in Paris" in cards.first.inner_text()
    assert "score 0.421" in cards.nth(1).inner_text() and "kb/lyon.md" in cards.nth(1).inner_text()


def test_a_visualisation_opens_full_size(page, server, sample_store):
    """The visualisation opens in a full-window dialog, still sandboxed."""
    visit(page, route(server, "session", sample_store.ids[sample_data.XSS_NAME], "trace", "1"))
    page.wait_for_selector("#timeline")
    page.locator("#timeline .wf-row[data-kind=llm]").click()
    page.locator(".viz-full").click()
    dialog = page.locator("dialog.modal[open]")
    dialog.wait_for()
    frame = dialog.locator("iframe")
    assert frame.get_attribute("sandbox") == ""
    box = frame.bounding_box()
    assert box["width"] > 0.85 * 1440 and box["height"] > 0.75 * 900
    assert "Paris" in page.frame_locator("dialog iframe").locator("body").inner_text()
    page.keyboard.press("Escape")
    expect(page.locator("dialog.modal")).to_have_count(0)
    assert page.evaluate("window.__xss === undefined")


def test_settings_show_the_environment(page, server):
    """Settings list Python, package versions and the git commit the session ran from."""
    visit(page, route(server, "session", "agent", "settings"))
    env = page.locator("#environment-table")
    env.wait_for()
    assert platform.python_version() in env.inner_text()
    commit = git_commit(REPO)
    assert (commit["commit"] if commit else "not a git working directory") in env.inner_text()
    from importlib.metadata import version

    assert version("langchain-core") in page.locator("#packages-table").inner_text()
    assert "config.environment" not in page.locator("#settings-table").inner_text()


def test_dark_mode_follows_the_system(browser, server):
    """With the system in dark mode the page is dark, and text stays readable."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(route(server, "session", "agent"))
        page.wait_for_selector("#trace-table")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        ink = page.evaluate("getComputedStyle(document.body).color")
        assert background == "rgb(11, 17, 32)" and ink == "rgb(229, 231, 235)"
        panel = page.locator(".table-box").evaluate("b => getComputedStyle(b).backgroundColor")
        assert panel == "rgb(17, 24, 39)"
        (REPO / "test-artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(REPO / "test-artifacts" / "viewer-dark.png"), full_page=True)
    finally:
        context.close()
