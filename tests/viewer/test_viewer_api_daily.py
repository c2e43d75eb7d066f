"""The viewer API for daily use (issue 15): full-text search, charts, sorting, experiments, wide comparisons."""

from __future__ import annotations

import urllib.parse

import pytest
import sample_data


def q(text: str) -> str:
    return urllib.parse.quote(text, safe="")


# -- full-text search --------------------------------------------------------------------------


@pytest.mark.parametrize("words", ["126", "Paris", "answer"])
def test_searching_the_agent_session_finds_its_content(client, words):
    """Words that appear only inside spans (the final answer, a tool's output) find their trace."""
    found = client.json(f"/api/sessions/agent/traces?q={q(words)}")
    assert found["total"] >= 1
    row = found["rows"][0]
    assert words.lower() in row["match"]["snippet"].lower()
    assert "\x02" in row["match"]["snippet"] and "\x03" in row["match"]["snippet"]  # the match is marked
    assert row["match"]["span_id"] and row["match"]["field"] in ("inputs", "outputs", "name", "error", "attributes")


def test_search_finds_the_span_and_field_that_hold_the_words(client):
    """'126' is the calculator's output in trace 1 and the agent's final answer."""
    data = client.json("/api/search?q=126&session=agent")
    spans = {(hit["number"], hit["span_name"], hit["field"]) for hit in data["hits"]}
    assert (1, "calculator", "outputs") in spans and (1, "fact_agent", "outputs") in spans
    assert all(hit["number"] == 1 for hit in data["hits"])
    assert data["total"] == len(data["hits"])
    # Every word must be in the span; a word's start is enough ("capit" finds "capital").
    assert client.json("/api/search?q=capit%20france&session=agent")["total"] >= 1
    assert client.json("/api/search?q=126%20moon&session=agent")["total"] == 0


def test_search_across_the_store_names_the_sessions(client, sample_store):
    """Without a session, hits come from every session and say which."""
    data = client.json("/api/search?q=Eiffel")
    assert {hit["session_name"] for hit in data["hits"]} == {sample_data.LONG_NAME}
    fields = {hit["field"] for hit in data["hits"]}
    assert "outputs" in fields  # the retrieved document and the answer


def test_search_matches_errors_and_attributes(client):
    """Error messages and attributes (a model's parameters) are searched too."""
    errors = client.json("/api/search?q=distance%20moon&session=agent")
    assert any("error" in hit["fields"] for hit in errors["hits"])
    params = client.json("/api/search?q=temperature&session=prompt-v1")
    assert params["total"] >= 1 and params["hits"][0]["field"] == "attributes"


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "*",
        "NEAR(",
        "a AND",
        "-x",
        "%",
        "'",
        "\\",
        "(17 + 25)",
        "col:umn",
        "^",
        "🙂",
        "<img src=x onerror=alert(1)>",
    ],
)
def test_hostile_searches_are_words_not_syntax(client, text):
    """Quotes, operators and wildcards typed by a user never become FTS5 syntax errors."""
    assert client.request(f"/api/search?q={q(text)}").status == 200
    assert client.request(f"/api/sessions/agent/traces?q={q(text)}").status == 200


def test_a_search_for_markup_finds_the_text_and_returns_it_as_text(client, sample_store):
    """Searching for a payload finds it; the snippet is plain text for the page to put in text nodes."""
    sid = sample_store.ids[sample_data.XSS_NAME]
    data = client.json(f"/api/search?q={q('onerror window')}&session={sid}")
    assert data["total"] >= 1
    assert any("onerror" in hit["snippet"] for hit in data["hits"])


# -- charts ------------------------------------------------------------------------------------


def test_session_charts_hold_a_latency_histogram_and_usage_by_model(client):
    """The histogram counts every trace; usage by model sums the model spans' tokens."""
    session = client.json("/api/sessions/agent")
    charts = client.json("/api/sessions/agent/charts")
    latency = charts["latency"]
    assert sum(latency["counts"]) == latency["n"] == session["summary"]["traces"] == 3
    assert len(latency["edges"]) == len(latency["counts"]) + 1
    assert latency["edges"][0] <= session["summary"]["latency_ms"]["p50"] <= latency["edges"][-1]
    (model,) = charts["models"]
    assert model["model"] == "scripted-chat" and model["calls"] == session["summary"]["llm_calls"]
    assert model["total"] == session["summary"]["tokens"]["total"]
    assert model["cost"] == pytest.approx(session["summary"]["cost"]["total"])  # priced by the demo
    (unpriced,) = client.json("/api/sessions/prompt-v1/charts")["models"]
    assert unpriced["model"] == "scripted-llm" and unpriced["cost"] is None  # no price known: unknown, never 0


def test_a_session_without_traces_has_empty_charts(client):
    """An empty session has nothing to plot, and says so with zero counts."""
    charts = client.json("/api/sessions/empty-run/charts")
    assert charts["latency"]["n"] == 0 and charts["models"] == []
    assert client.json("/api/sessions/empty-run")["stored_traces"] == 0


# -- sorting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "key"),
    [("traces", "traces"), ("tokens", "tokens"), ("failed", "trace_errors"), ("latency", "latency_p50")],
)
def test_sessions_sort_by_any_column_both_ways(client, sort, key):
    """Sorting is done by the store over every session, descending then ascending."""
    down = [x[key] for x in client.json(f"/api/sessions?sort={sort}&order=desc&limit=500")["sessions"]]
    up = [x[key] for x in client.json(f"/api/sessions?sort={sort}&order=asc&limit=500")["sessions"]]
    known_down = [v for v in down if v is not None]
    assert known_down == sorted(known_down, reverse=True)
    assert [v for v in up if v is not None] == sorted(known_down)


def test_sessions_sort_by_name(client, sample_store):
    """Names sort case-insensitively."""
    names = [x["name"] for x in client.json("/api/sessions?sort=name&order=asc&limit=500")["sessions"]]
    assert names == sorted(sample_store.ids, key=str.lower)


# -- experiments -------------------------------------------------------------------------------


def test_experiments_list(client):
    """Every experiment, with its variants, examples and scorers."""
    data = client.json("/api/experiments")
    capitals = next(x for x in data["experiments"] if x["name"] == "capitals")
    assert capitals["variants"] == ["cold", "warm", "hot"]
    assert capitals["examples"] == len(sample_data.CAPITALS) and capitals["scorers"] == ["contains"]
    assert capitals["status"] == "done"


def test_experiment_summary_comparisons_grid_and_chart(client):
    """Means with intervals per variant, paired comparisons with the baseline, the grid, the score by temperature."""
    data = client.json("/api/experiments/capitals")
    n = len(sample_data.CAPITALS)
    means = {variant: data["summary"][variant]["contains"]["mean"] for variant in ("cold", "warm", "hot")}
    assert means == {
        variant: pytest.approx(1 - len(sample_data.DRIFTS[t]) / n)
        for variant, t in (("cold", 0.0), ("warm", 0.5), ("hot", 1.0))
    }
    cold = data["summary"]["cold"]["contains"]
    assert cold["ci_low"] <= cold["mean"] <= cold["ci_high"] and cold["n"] == n
    assert data["baseline"] == "cold"
    hot = data["comparisons"]["hot"]["contains"]
    assert hot["delta"] == pytest.approx(-3 / n) and hot["losses"] == 3 and hot["wins"] == 0
    assert set(data["comparisons"]) == {"warm", "hot"}
    assert len(data["examples"]) == data["total_examples"] == n
    spain = next(e for e in data["examples"] if e["id"] == "Spain")
    scores = {run["variant"]: run["scores"]["contains"] for run in spain["runs"]}
    assert scores == {"cold": 1.0, "warm": 0.0, "hot": 0.0}
    assert all(run["number"] >= 1 for run in spain["runs"])
    chart = data["charts"]["temperature"]["contains"]
    assert [point["param"] for point in chart] == [0.0, 0.5, 1.0]
    assert [point["mean"] for point in chart] == [means["cold"], means["warm"], means["hot"]]


def test_experiment_baseline_is_chosen(client):
    """Another baseline turns the comparisons around."""
    data = client.json("/api/experiments/capitals?baseline=hot")
    assert data["baseline"] == "hot" and set(data["comparisons"]) == {"cold", "warm"}
    assert data["comparisons"]["cold"]["contains"]["delta"] > 0
    assert client.request("/api/experiments/capitals?baseline=lukewarm").status == 400
    assert client.request("/api/experiments/no-such-experiment").status == 404


def test_a_grid_run_opens_its_trace(client):
    """The trace number in the grid opens the example's trace, which carries its scores."""
    run = client.json("/api/experiments/capitals")["examples"][0]["runs"][0]
    trace = client.json(f"/api/sessions/{run['session_id']}/traces/{run['number']}")
    assert trace["tree"]["trace_id"] == run["trace_id"]
    assert trace["tree"]["scores"]["contains"] == bool(run["scores"]["contains"])


# -- wide comparisons ----------------------------------------------------------------------------


def test_compare_takes_many_sessions(client, sample_store):
    """Ten sessions compare at once (the page scrolls the table, not itself)."""
    ids = list(sample_store.ids.values())[:10]
    data = client.json("/api/compare?ids=" + ",".join(ids))
    assert [s["id"] for s in data["sessions"]] == ids
    assert all(set(row["values"]) == set(ids) for row in data["metrics"])
