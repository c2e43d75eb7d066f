"""The viewer's HTTP API and routes, without a browser (server on port 0, urllib)."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.parse

import pytest
import sample_data

from chaintracer import Span
from chaintracer.cli import main
from chaintracer.store import Store
from chaintracer.viewer import api
from chaintracer.viewer.server import SCRIPTS, RemoteNotAllowed, ViewerServer, is_loopback
from langchain_tracer import Tracer


def q(text: str) -> str:
    return urllib.parse.quote(text, safe="")


# -- sessions list ---------------------------------------------------------------------------


def test_sessions_list_has_every_session_newest_first(client, sample_store):
    """Every session is listed, the last written first, with its counts and facets."""
    data = client.json("/api/sessions")
    assert data["total"] == len(sample_store.ids) == 14
    names = [item["name"] for item in data["sessions"]]
    assert names[0] == sample_data.XSS_NAME  # written last
    assert set(names) == set(sample_store.ids)
    agent = next(item for item in data["sessions"] if item["name"] == "agent")
    assert agent["project"] == "langchain_callback_demo"
    assert agent["tags"] == ["demo"] and agent["group"] == "minimal"
    assert agent["traces"] == 3 and agent["errors"] == 3 and agent["trace_errors"] == 1
    assert agent["cost"] == pytest.approx(2.07e-05) and agent["cost_tracked"] is True  # the demo's prices
    unpriced = next(item for item in data["sessions"] if item["name"] == "prompt-v1")
    assert unpriced["cost"] is None and unpriced["cost_tracked"] is True  # a model without a price: unknown, not 0
    assert agent["tokens"] > 0 and agent["latency_p50"] > 0
    assert {"langchain_callback_demo", "prompt-iteration", "security"} <= set(data["projects"])
    assert {"demo", "v1", "v2", sample_data.P_SCRIPT} <= set(data["tags"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("project=prompt-iteration", {"prompt-v1", "prompt-v2"}),
        ("tag=v1", {"prompt-v1"}),
        ("q=PROMPT", {"prompt-v1", "prompt-v2"}),
        ("q=_chain", {"synopsis_chain"}),  # LIKE wildcards are taken literally
        ("status=error", {"agent", "prompt-v2", "format-failure", sample_data.XSS_NAME}),
        ("status=handled", {sample_data.LONG_NAME}),  # a tool error the agent recovered from
        ("project=langchain_callback_demo&status=ok", {"simple_sequential", "synopsis_chain"}),
        ("status=incomplete", {sample_data.XSS_NAME}),
        ("project=prompt-iteration&status=error", {"prompt-v2"}),
    ],
)
def test_sessions_list_filters(client, query, expected):
    """Filters by project, tag, name and outcome (a failed trace is an error; a handled one is not)."""
    data = client.json(f"/api/sessions?{query}")
    assert {item["name"] for item in data["sessions"]} == expected
    assert data["total"] == len(expected)


def test_sessions_list_pages(client):
    """Pages do not overlap and agree on the total."""
    first = client.json("/api/sessions?limit=8")
    second = client.json("/api/sessions?limit=8&offset=8")
    assert len(first["sessions"]) == 8 and len(second["sessions"]) == 6
    assert first["total"] == second["total"] == 14
    assert not {s["id"] for s in first["sessions"]} & {s["id"] for s in second["sessions"]}


def test_bad_parameters_are_400(client):
    """A parameter the API does not know is a 400 with a message."""
    for path in (
        "/api/sessions?status=maybe",
        "/api/sessions?offset=-1",
        "/api/sessions?limit=x",
        "/api/sessions?sort=size",
        "/api/sessions?order=up",
    ):
        response = client.request(path)
        assert response.status == 400, path
        assert response.json()["error"]


# -- one session, its traces ---------------------------------------------------------------


def test_session_by_name_or_id(client, sample_store):
    """A session is found by its name (the latest) or its id, with its status counts."""
    by_name = client.json("/api/sessions/agent")
    by_id = client.json(f"/api/sessions/{sample_store.ids['agent']}")
    assert by_name == by_id
    assert by_name["status_counts"] == {"ok": 2, "error": 1}
    assert by_name["model"]["type"] == "CompiledStateGraph"
    assert by_name["config"]["project"] == "langchain_callback_demo"
    assert by_name["handled_errors"] == 0  # its three error spans are all in the failed trace
    assert client.json(f"/api/sessions/{q(sample_data.LONG_NAME)}")["handled_errors"] == 1
    assert client.request("/api/sessions/no-such-session").status == 404


def test_trace_table_pages_filters_and_sorts(client):
    """The trace table pages, filters by status and text, and sorts; rows carry their 1-based number."""
    page = client.json("/api/sessions/simple_sequential/traces?limit=4")
    assert page["total"] == 6 and [row["number"] for row in page["rows"]] == [1, 2, 3, 4]
    assert "tree" not in page["rows"][0]
    assert page["rows"][0]["input"] and page["rows"][0]["output"]
    last = client.json("/api/sessions/simple_sequential/traces?limit=4&offset=4")
    assert [row["number"] for row in last["rows"]] == [5, 6]

    errors = client.json("/api/sessions/agent/traces?status=error")
    assert [row["number"] for row in errors["rows"]] == [3] and errors["total"] == 1
    assert "distance to the moon" in errors["rows"][0]["output"]

    found = client.json(f"/api/sessions/agent/traces?q={q('(17 + 25)')}")
    assert [row["number"] for row in found["rows"]] == [1]

    slowest = client.json("/api/sessions/synopsis_chain/traces?sort=latency")["rows"]
    latencies = [row["latency_ms"] for row in slowest]
    assert latencies == sorted(latencies, reverse=True)
    numbers = client.json("/api/sessions/synopsis_chain/traces")["rows"]
    by_number = {row["trace_id"]: row["number"] for row in numbers}
    assert all(row["number"] == by_number[row["trace_id"]] for row in slowest)  # a trace keeps its number
    assert client.request("/api/sessions/agent/traces?sort=random").status == 400
    assert client.request("/api/sessions/agent/traces?status=bad").status == 400


def test_trace_detail_has_the_tree_and_neighbours(client, sample_store):
    """Trace N is the Nth in the store's order (as `chaintracer show` counts), with its tree and neighbours."""
    data = client.json("/api/sessions/agent/traces/3")
    assert data["session"] == {"id": sample_store.ids["agent"], "name": "agent", "project": "langchain_callback_demo"}
    assert data["row"]["status"] == "error"
    tree = data["tree"]
    assert tree["kind"] == "agent" and tree["status"] == "error"
    tool = tree["children"][-1]["children"][0]
    assert tool["kind"] == "tool" and tool["error"]["type"] == "ValueError"
    assert data["number"] == 3 and data["prev"] == 2 and data["next"] is None and data["total"] == 3
    first = client.json("/api/sessions/agent/traces/1")
    assert first["prev"] is None and first["next"] == 2 and "17 + 25" in first["row"]["input"]
    assert client.request("/api/sessions/agent/traces/0").status == 404
    assert client.request("/api/sessions/agent/traces/4").status == 404
    assert client.request("/api/sessions/agent/traces/two").status == 400


def test_artifact_route_is_sandboxed(client, sample_store):
    """Visualisation HTML is served with a sandbox CSP; odd references are refused."""
    sid = sample_store.ids[sample_data.XSS_NAME]
    tree = client.json(f"/api/sessions/{sid}/traces/1")["tree"]
    ref = tree["children"][0]["attributes"]["visualizations"]["ent"]
    response = client.request(f"/api/sessions/{sid}/artifacts/{ref}")
    assert response.status == 200
    assert response.body.decode() == sample_data.VIZ_HTML
    assert response.headers["Content-Type"].startswith("text/html")
    csp = response.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox;") and "allow-scripts" not in csp and "default-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.request(f"/api/sessions/{sid}/artifacts/missing.html").status == 404
    assert client.request(f"/api/sessions/{sid}/artifacts/{q('../etc/passwd')}").status == 400


def test_compare_matches_outputs_by_input(client, sample_store):
    """Outputs pair by input across sessions, with settings and metric rows keyed by session."""
    data = client.json("/api/compare?ids=prompt-v1,prompt-v2")
    v1, v2 = sample_store.ids["prompt-v1"], sample_store.ids["prompt-v2"]
    assert [s["id"] for s in data["sessions"]] == [v1, v2]
    assert data["total_groups"] == 4
    first = data["groups"][0]
    assert first["input"] == sample_data.QUESTIONS[0]
    assert first["cells"][v1][0]["output"] == "Paris."
    assert first["cells"][v2][0]["output"] == "The capital of France is Paris."
    assert data["groups"][2]["cells"][v2][0]["status"] == "error"
    assert first["cells"][v1][0]["number"] == 1
    settings = {row["key"]: row["values"] for row in data["settings"]}
    assert settings["model.models[0].params.temperature"] == {v1: 0.7, v2: 0.1}
    assert settings["model.prompts[0]"][v1] == "Answer briefly: {question}"
    assert settings["config.group"] == {v1: "prompt-v1", v2: "prompt-v2"}
    metrics = {row["key"]: row["values"] for row in data["metrics"]}
    assert metrics["failed traces"] == {v1: 0, v2: 1}
    paged = client.json("/api/compare?ids=prompt-v1,prompt-v2&limit=3&offset=3")
    assert [g["input"] for g in paged["groups"]] == [sample_data.QUESTIONS[3]]
    assert client.request("/api/compare?ids=prompt-v1").status == 400
    assert client.request("/api/compare?ids=prompt-v1,prompt-v1").status == 400
    assert client.request("/api/compare?ids=prompt-v1,nope").status == 404


def test_unknown_routes_are_404(client):
    for path in ("/api/nothing", "/api/sessions/agent/spans", "/static/../api.py", "/static/secret.js", "/admin"):
        assert client.request(path).status == 404, path


# -- security ------------------------------------------------------------------------------


def test_pages_carry_security_headers(client):
    response = client.request("/")
    assert response.status == 200 and b'<script src="/static/app.js">' in response.body
    assert b"<script>" not in response.body  # no inline script: the CSP allows none
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("style-src")[0]  # no inline script
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"
    for name in SCRIPTS:
        script = client.request(f"/static/{name}")
        assert script.status == 200 and script.headers["Content-Type"].startswith("text/javascript"), name
    assert client.request("/static/app.css").headers["Content-Type"].startswith("text/css")
    api_response = client.request("/api/sessions")
    assert api_response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert api_response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "BREW"])
def test_only_get_is_allowed(client, method):
    response = client.request("/api/sessions", method=method)
    assert response.status == 405
    assert response.headers["Allow"] == "GET"


def test_foreign_host_header_is_refused(client):
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not read traces."""
    assert client.request("/api/sessions", headers={"Host": "evil.example:8765"}).status == 403
    assert client.request("/api/sessions", headers={"Host": "localhost:8765"}).status == 200


def test_loopback_detection():
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "8.8.8.8"):
        assert not is_loopback(host), host


def test_non_loopback_host_needs_allow_remote(sample_store):
    store = Store(sample_store.path, create=False)
    with pytest.raises(RemoteNotAllowed, match="--allow-remote"):
        ViewerServer(store, "0.0.0.0", 0)
    server = ViewerServer(store, "0.0.0.0", 0, allow_remote=True)
    server.server_close()
    store.close()


def test_ui_command_refuses_remote_host(sample_store, capsys):
    assert main(["ui", "--host", "0.0.0.0", "--port", "0", "--store", sample_store.path]) == 2
    error = capsys.readouterr().err
    assert "refusing to serve on 0.0.0.0" in error and "--allow-remote" in error
    assert len(error.strip().splitlines()) == 1


def test_ui_command_errors(tmp_path, sample_store, capsys):
    assert main(["ui", "--store", str(tmp_path / "missing.db")]) == 2
    assert "no chaintracer store" in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["ui", "--port", str(port), "--store", sample_store.path]) == 2
    assert f"port {port}" in capsys.readouterr().err


def test_ui_command_serves_until_stopped(sample_store):
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from chaintracer.cli import main; sys.exit(main())",
            "ui",
            "--port",
            "0",
            "--store",
            sample_store.path,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert "serving" in line and "http://127.0.0.1:" in line, line + process.stderr.read()
        url = line.split(" at ", 1)[1].split()[0]
        assert sample_data.Client(url).json("/api/sessions")["total"] == 14
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- live store --------------------------------------------------------------------------------


def test_a_session_written_while_serving_appears_on_the_next_request(tmp_path):
    path = str(tmp_path / "live.db")
    tracer = Tracer(project="live", store=path)
    tracer.log_trace(Span("first", "chain"))
    tracer.flush_tracker(name="run-1", reset=False)
    store = Store(path, create=False)
    server = ViewerServer(store, "127.0.0.1", 0)
    server.start_background()
    try:
        client = sample_data.Client(server.url)
        assert [s["name"] for s in client.json("/api/sessions")["sessions"]] == ["run-1"]
        assert client.json("/api/sessions/run-1/traces")["total"] == 1
        # The same program flushes again (a long run), and another session lands.
        tracer.log_trace(Span("second", "chain"))
        tracer.flush_tracker(name="run-1", reset=True)
        tracer.log_trace(Span("other", "llm"))
        tracer.flush_tracker(name="run-2", finish=True)
        assert {s["name"] for s in client.json("/api/sessions")["sessions"]} == {"run-1", "run-2"}
        assert client.json("/api/sessions/run-1/traces")["total"] == 2
    finally:
        server.shutdown()
        server.server_close()
        store.close()


def test_non_finite_numbers_become_valid_json():
    assert api.dumps({"x": float("nan"), "y": [float("inf")], "z": "é"}) == '{"x":null,"y":[null],"z":"é"}'
