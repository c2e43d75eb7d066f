"""``chaintracer report`` and the Jupyter fragment, without a browser."""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import re
import time
from pathlib import Path

import pytest
import sample_data

from chaintracer.cli import main
from chaintracer.encoding import EncodedTrace, iso
from chaintracer.notebook import session_html
from chaintracer.stats import TraceStats
from chaintracer.store import Store
from chaintracer.viewer import api
from chaintracer.viewer.report import build_report, embed_json, report_data

DATA = re.compile(r'<script type="application/json" id="ct-data">(.*?)</script>', re.S)


def _report(sample_store, refs, **kwargs):
    store = Store(sample_store.path, create=False)
    try:
        return build_report(store, refs, **kwargs)
    finally:
        store.close()


def test_report_is_one_self_contained_file(sample_store):
    html, info = _report(sample_store, ["agent", "prompt-v1", "prompt-v2"])
    assert info["names"] == ["prompt-v2", "prompt-v1", "agent"] and info["notes"] == []  # the viewer's order
    # Nothing is fetched: no external script, style, image, frame or link.
    assert not re.search(r"<(script|img|iframe|link)[^>]*\s(src|href)=", html)
    assert "<link" not in html and "@import" not in html
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script type="application/json" id="ct-data">', "<script>"]
    # The CSP allows exactly the inline app script (by hash) and no network.
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1).replace("&#x27;", "'")
    assert "default-src 'none'" in csp and "connect-src" not in csp
    app = html.split("<script>", 1)[1].rsplit("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(app.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp


def test_report_data_is_embedded_with_every_angle_bracket_escaped(sample_store):
    xss = sample_store.ids[sample_data.XSS_NAME]
    html, _ = _report(sample_store, [xss, "agent"])
    blob = DATA.search(html).group(1)
    assert "<" not in blob and ">" not in blob and "&" not in blob
    data = json.loads(blob)
    assert [s["name"] for s in data["sessions"]] == [sample_data.XSS_NAME, "agent"]
    held = data["traces"][xss]
    assert held["trees"]["1"]["children"][0]["outputs"] == sample_data.XSS_TEXT  # the text itself is intact
    assert held["total"] == 3 and sorted(held["trees"]) == ["1", "2", "3"]  # by trace number
    (ref,) = data["artifacts"][xss]
    assert data["artifacts"][xss][ref]["content"] == sample_data.VIZ_HTML
    assert data["compare"]["sessions"][0]["id"] == xss
    assert data["details"][sample_store.ids["agent"]]["model"]["type"] == "CompiledStateGraph"


def test_embed_json_survives_script_breakers():
    value = {"x": "</script><script>alert(1)</script><!-- \u2028 & >"}
    text = embed_json(value)
    assert "</" not in text and "<!--" not in text and "\u2028" not in text
    assert json.loads(text) == value


def test_report_holds_at_most_max_traces(sample_store):
    store = Store(sample_store.path, create=False)
    try:
        data = report_data(store, ["simple_sequential"], max_traces=2)
    finally:
        store.close()
    held = data["traces"][sample_store.ids["simple_sequential"]]
    assert len(held["rows"]) == 2 and len(held["trees"]) == 2 and held["total"] == 6
    assert data["compare"] is None
    _, info = _report(sample_store, ["simple_sequential"], max_traces=2)
    assert info["notes"] == ["session simple_sequential: the report holds the first 2 of 6 traces (--max-traces)"]


def test_report_command(sample_store, tmp_path, capsys):
    output = tmp_path / "out" / "report.html"
    assert main(["report", "prompt-v1", "prompt-v2", "-o", str(output), "--store", sample_store.path]) == 0
    printed = capsys.readouterr().out
    assert output.exists() and "prompt-v2, prompt-v1" in printed and output.resolve().as_uri() in printed
    assert main(["report", "no-such-session", "-o", str(output), "--store", sample_store.path]) == 2
    assert "no session or experiment with id or name 'no-such-session'" in capsys.readouterr().err
    assert main(["report", "agent", "--max-traces", "-1", "--store", sample_store.path]) == 2


def test_jupyter_fragment_escapes_everything(sample_store):
    store = Store(sample_store.path, create=False)
    try:
        fragment = session_html(store, sample_store.ids[sample_data.XSS_NAME])
        agent = session_html(store, sample_store.ids["agent"])
    finally:
        store.close()
    for raw in (sample_data.P_SCRIPT, sample_data.P_IMG, sample_data.P_MARKER, "<svg", "<b ", "<img", "<script"):
        assert raw not in fragment, raw
    assert "&lt;script&gt;window.__xss" in fragment
    assert "first failed trace" in fragment
    assert "fact_agent" in agent and "distance to the moon" in agent and "outline:2px solid #dc2626" in agent


def test_api_functions_work_without_the_server(sample_store):
    store = Store(sample_store.path, create=False)
    try:
        page = api.trace_page(store, "agent", limit=1, sort="tokens")
        assert page["total"] == 3 and len(page["rows"]) == 1
        with pytest.raises(api.NotFound):
            api.session_detail(store, "missing")
        assert api.flatten({"a": {"b": 1, "c": [1, 2]}, "d": {}}, "config") == {
            "config.a.b": 1,
            "config.a.c": [1, 2],
            "config.d": {},
        }
    finally:
        store.close()


def test_live_sessions_are_marked(tmp_path):
    if "live" not in inspect.signature(Store.write_session).parameters:
        pytest.skip("this store does not record live sessions yet")
    store = Store(str(tmp_path / "live.db"))
    now = time.time_ns()
    record = {
        "id": "live1",
        "project": "p",
        "name": "running",
        "tags": [],
        "started_at": iso(now),
        "ended_at": iso(now),
        "config": {},
        "summary": {"traces": 1},
    }
    trace = EncodedTrace("t", "root", "chain", "ok", now, now + 1000, "in", "out", TraceStats(spans=1), "{}")
    try:
        store.write_session(record, [trace], live=True)
        (item,) = api.sessions_page(store)["sessions"]
        assert item["status"] == "live"
        store.write_session(record, [], first_seq=1)
        assert api.sessions_page(store)["sessions"][0]["status"] == "flushed"
    finally:
        store.close()


def test_report_lists_sessions_in_the_viewers_order(sample_store, client):
    """Whatever order the command names them in, the report lists sessions as the viewer does."""
    refs = ["simple_sequential", sample_data.LONG_NAME, "agent", "prompt-v1"]
    store = Store(sample_store.path, create=False)
    try:
        data = report_data(store, list(reversed(refs)))
    finally:
        store.close()
    viewer = [item["id"] for item in client.json("/api/sessions?limit=500")["sessions"]]
    wanted = {sample_store.ids[ref] for ref in refs}
    assert [item["id"] for item in data["sessions"]] == [sid for sid in viewer if sid in wanted]


def test_report_header_names_the_store_file_not_its_folder(sample_store):
    """The report's header names the store file, not the folder it sat in on the machine that made it."""
    html, _ = _report(sample_store, ["agent"])
    data = json.loads(DATA.search(html).group(1))
    assert data["store"] == Path(sample_store.path).name == "viewer.db"


def test_report_of_an_experiment_holds_its_page_and_sessions(sample_store):
    """Naming an experiment embeds its page (every baseline's comparisons) and its variants' sessions."""
    store = Store(sample_store.path, create=False)
    try:
        data = report_data(store, ["capitals"])
    finally:
        store.close()
    (experiment,) = data["experiments"]
    assert experiment["experiment"]["name"] == "capitals"
    assert sorted(item["name"] for item in data["sessions"]) == ["capitals:cold", "capitals:hot", "capitals:warm"]
    assert set(experiment["comparisons_by_baseline"]) == {"cold", "warm", "hot"}
    assert experiment["comparisons_by_baseline"]["hot"]["cold"]["contains"]["delta"] > 0
    assert len(experiment["examples"]) == len(sample_data.CAPITALS)
    run = experiment["examples"][0]["runs"][0]
    assert str(run["number"]) in data["traces"][run["session_id"]]["trees"]  # the grid's links open in the report
