"""Comparing many sessions, the Experiments page, and the report's new pages, in Chromium."""

from __future__ import annotations

import sample_data
from playwright.sync_api import expect
from test_viewer_browser import NOT_EXECUTED, route, visit

from chaintracer.store import Store
from chaintracer.viewer.report import build_report

GREEN = "rgb(21, 128, 61)"
RED = "rgb(220, 38, 38)"
FIVE = ["prompt-v1", "prompt-v2", "agent", "synopsis_chain", "simple_sequential"]


def test_five_sessions_fit_the_window(page, server, screenshot):
    """With five sessions the page does not scroll sideways; the table does, its first column pinned."""
    page.set_viewport_size({"width": 1280, "height": 900})
    visit(page, route(server, "compare", ids=",".join(FIVE)))
    page.wait_for_selector("#compare-outputs")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    box = page.locator("#compare-settings").locator("xpath=..")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")  # the settings table scrolls inside its box
    pinned = page.locator("#compare-settings tbody th.pin").first
    left = pinned.bounding_box()["x"]
    box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
    page.wait_for_timeout(50)
    assert abs(pinned.bounding_box()["x"] - left) < 1  # sticky: still in view at the left edge
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    screenshot(page, "compare-five")


def test_the_user_picks_the_baseline(page, server, sample_store):
    """Choosing another baseline moves it to the first column and recomputes the changes against it."""
    visit(page, route(server, "compare", ids="prompt-v1,prompt-v2"))
    page.wait_for_selector("#compare-metrics")
    first = page.locator("#compare-metrics thead th").nth(1)
    assert first.get_attribute("data-session") == sample_store.ids["prompt-v1"]
    assert "baseline" in first.inner_text()
    page.select_option("select[name=baseline]", sample_store.ids["prompt-v2"])
    expect(page.locator("#compare-metrics thead th").nth(1)).to_have_attribute(
        "data-session", sample_store.ids["prompt-v2"]
    )
    assert f"baseline={sample_store.ids['prompt-v2']}" in page.url
    failed = page.locator("#compare-metrics tr[data-metric='failed traces'] td")
    assert failed.nth(0).inner_text().startswith("1")  # prompt-v2, the baseline now
    delta = failed.nth(1).locator(".delta")
    assert delta.inner_text().startswith("−1") and "good" in delta.get_attribute("class")
    assert delta.evaluate("d => getComputedStyle(d).color") == GREEN


def test_numeric_changes_are_coloured_and_texts_diffed_word_by_word(page, server, screenshot):
    """Worse numbers are red, better green; outputs and prompts show the words added and removed."""
    visit(page, route(server, "compare", ids="prompt-v1,prompt-v2"))
    page.wait_for_selector("#compare-outputs")
    failed = page.locator("#compare-metrics tr[data-metric='failed traces'] td").nth(1).locator(".delta")
    assert "bad" in failed.get_attribute("class") and failed.evaluate("d => getComputedStyle(d).color") == RED
    rows = page.locator("#compare-outputs tbody tr")
    paris = rows.nth(0).locator("td").nth(2)  # "Paris." -> "The capital of France is Paris."
    assert paris.locator("del").count() == 0
    assert paris.locator("ins").all_inner_texts() == ["The capital of France is "]
    water = rows.nth(3).locator("td").nth(2)  # "100 degrees." -> "Water boils at 100 °C."
    assert water.locator("del").all_inner_texts() == ["degrees"]
    assert "Water boils at " in water.locator("ins").all_inner_texts()
    prompt = page.locator("#compare-settings tr", has_text="model.prompts[0]").locator("td").nth(1)
    assert prompt.locator("del").all_inner_texts() == ["briefly"]
    assert "careful" in " ".join(prompt.locator("ins").all_inner_texts())
    assert "\n" in prompt.inner_text()  # the template's line break is a line break
    screenshot(page, "compare-diff")


def test_experiment_page_summary_chart_and_grid(page, server, screenshot):
    """Variants x scorers with intervals, a score-by-temperature chart, regressions marked in the grid."""
    visit(page, route(server, "experiments"))
    page.locator("#experiments-table tr", has_text="capitals").first.locator("a").click()
    page.wait_for_selector("#experiment-grid")
    summary = page.locator("#experiment-summary")
    hot = summary.locator("tr[data-variant=hot]")
    assert "0.4" in hot.inner_text() and "[" in hot.inner_text()  # mean 2/5 with its interval
    assert summary.locator("tr[data-variant=cold] .pill-base").count() == 1
    points = page.locator("#param-chart svg circle.point")
    expect(points).to_have_count(3)
    assert page.locator("#param-chart svg line.whisker").count() == 3  # each mean with its interval
    spain = page.locator("#experiment-grid tr[data-example='1']")
    assert "regressed" in spain.locator("td[data-variant=warm]").get_attribute("class")
    assert "regressed" in spain.locator("td[data-variant=hot]").get_attribute("class")
    france = page.locator("#experiment-grid tr[data-example='0']")
    assert "regressed" not in france.locator("td[data-variant=hot]").get_attribute("class")
    assert spain.locator("td[data-variant=hot] .chip.score-b0").count() == 1  # a failed score is red
    screenshot(page, "experiment")

    page.select_option("select[name=grid-show]", "regressed")
    expect(page.locator("#experiment-grid tbody tr")).to_have_count(3)  # Spain, Italy, Norway
    page.locator("#experiment-grid td[data-variant=hot] a").first.click()
    page.wait_for_selector("#timeline")
    assert "contains" in page.locator("[data-section=scores]").inner_text()


def test_experiment_baseline_switch_marks_improvements(page, server):
    """With the hottest variant as baseline, the colder ones improve on the drifting examples."""
    visit(page, route(server, "experiment", "capitals", baseline="hot"))
    page.wait_for_selector("#experiment-grid")
    spain = page.locator("#experiment-grid tr[data-example='1']")
    assert "improved" not in spain.locator("td[data-variant=warm]").get_attribute("class")  # warm drifts too
    italy = page.locator("#experiment-grid tr[data-example='2']")
    assert "improved" in italy.locator("td[data-variant=warm]").get_attribute("class")
    cold = page.locator("#experiment-summary tr[data-variant=cold] .delta")
    assert cold.inner_text().startswith("+")


def test_report_of_an_experiment_and_search_work_offline(page, sample_store, tmp_path, screenshot):
    """The report opens the experiment page, switches baselines, searches and opens the matching span."""
    store = Store(sample_store.path, create=False)
    try:
        refs = ["capitals", "agent", sample_store.ids[sample_data.XSS_NAME], sample_data.XSS_EXPERIMENT]
        html, _ = build_report(store, refs)
    finally:
        store.close()
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    url = path.as_uri()

    visit(page, url + "#/experiments")
    page.locator("#experiments-table tr", has_text="capitals").locator("a").first.click()
    page.wait_for_selector("#experiment-grid")
    assert page.locator("#param-chart svg circle.point").count() == 3
    page.select_option("select[name=baseline]", "hot")
    expect(page.locator("#experiment-summary tr[data-variant=hot] .pill-base")).to_have_count(1)
    screenshot(page, "report-experiment")

    visit(page, url + "#/session/agent?q=126")
    match = page.locator("#trace-table tr.match-row")
    expect(match).to_have_count(1)
    assert match.locator("mark").first.inner_text() == "126"
    match.click()
    page.wait_for_selector("#span-detail mark.search-hit")
    visit(page, url + "#/search?q=" + "onerror")
    page.wait_for_selector("#search-results mark")
    page.wait_for_timeout(200)
    assert page.evaluate(NOT_EXECUTED)
    visit(page, url + "#/experiments")
    page.locator("#experiments-table tr", has_text="xss-experiment").locator("a").first.click()
    page.wait_for_selector("#experiment-grid .chip")
    assert sample_data.XSS_VARIANTS[1] in page.locator("#experiment-summary").inner_text()
    page.wait_for_timeout(200)
    assert page.evaluate(NOT_EXECUTED)
    assert page.locator("main img, main script").count() == 0
