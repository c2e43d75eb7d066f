"""The otlp backend is configured by the standard OpenTelemetry variables or otlp_endpoint=."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from otlp_helpers import langchain_chain

from chaintracer.cli import main as cli
from langchain_tracer import Tracer


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every OTLP request with 200 and keeps its path, headers and decoded body."""

    requests: ClassVar[list[tuple[str, dict[str, str], ExportTraceServiceRequest]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, request))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list]]:
    """A loopback HTTP server standing in for a collector; yields its base URL and what it received."""
    Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Recorder.requests
    server.shutdown()
    server.server_close()


def resource_of(request: ExportTraceServiceRequest) -> dict[str, str]:
    (resource_spans,) = request.resource_spans
    return {kv.key: kv.value.string_value for kv in resource_spans.resource.attributes}


def test_environment_variables_configure_endpoint_headers_and_resource(receiver, monkeypatch, store_path):
    """OTEL_EXPORTER_OTLP_ENDPOINT (a base URL), _HEADERS, OTEL_SERVICE_NAME and _RESOURCE_ATTRIBUTES are honoured."""
    base, requests = receiver
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", base)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Basic%20cGs6c2s=,x-team=ml")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "support-bot")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=staging")
    tracer = Tracer(project="configured", store=store_path, backends=["local", "otlp"])
    langchain_chain(tracer)
    info = tracer.flush_tracker(name="env")

    assert info.exports["otlp"]["status"] == "pushed"
    assert info.exports["otlp"]["endpoint"] == f"{base}/v1/traces"
    (path, headers, request) = requests[0]
    assert path == "/v1/traces"
    assert headers["authorization"] == "Basic cGs6c2s="
    assert headers["x-team"] == "ml"
    assert headers["content-type"] == "application/x-protobuf"
    resource = resource_of(request)
    assert resource["service.name"] == "support-bot"
    assert resource["openinference.project.name"] == "configured"
    assert resource["deployment.environment"] == "staging"
    (scope_spans,) = request.resource_spans[0].scope_spans
    assert scope_spans.scope.name == "chaintracer"
    assert len(scope_spans.spans) == info.summary["spans"]


def test_otlp_endpoint_setting_wins_over_the_environment(receiver, monkeypatch, store_path, refused_endpoint):
    """otlp_endpoint= (or push --endpoint) is used instead of OTEL_EXPORTER_OTLP_TRACES_ENDPOINT."""
    base, requests = receiver
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"{refused_endpoint}/v1/traces")
    tracer = Tracer(project="p", store=store_path, backends=["local", "otlp"], otlp_endpoint=base + "/v1/traces")
    langchain_chain(tracer)
    info = tracer.flush_tracker(name="setting")
    assert info.exports["otlp"]["status"] == "pushed"
    assert len(requests) == 1
    tracer.store.close()

    assert cli(["push", info.id, "--to", "otlp", "--force", "--endpoint", base, "--store", store_path]) == 0
    assert len(requests) == 2
    assert resource_of(requests[1][2])["service.name"] == "p"  # the project, as nothing else sets it


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("localhost:6006", ValueError),
        ("ftp://collector", ValueError),
        ("http://user:secret@collector:4318", ValueError),
        (6006, TypeError),
    ],
)
def test_bad_endpoint_is_refused_naming_it(store_path, value, error):
    """otlp_endpoint must be an http(s) URL without a password; the error names the setting."""
    with pytest.raises(error, match="otlp_endpoint"):
        Tracer(store=store_path, backends=["local", "otlp"], otlp_endpoint=value)


def test_endpoint_option_is_only_for_otlp(store_path, capsys):
    """`push --to wandb --endpoint URL` is a usage error, before anything is sent."""
    tracer = Tracer(project="p", store=store_path)
    langchain_chain(tracer)
    info = tracer.flush_tracker(name="s")
    tracer.store.close()
    assert cli(["push", info.id, "--to", "wandb", "--endpoint", "http://x", "--store", store_path]) == 2
    assert "--endpoint applies to --to otlp" in capsys.readouterr().err


def test_backend_names_and_exporters_agree():
    """Every backend the settings accept but "local" has an exporter, and push offers exactly those."""
    from chaintracer.cli import build_parser
    from chaintracer.exporters import EXPORTERS
    from chaintracer.settings import BACKENDS

    assert set(BACKENDS) == {"local", *EXPORTERS}
    with pytest.raises(SystemExit):
        build_parser().parse_args(["push", "x", "--to", "local"])
    assert build_parser().parse_args(["push", "x", "--to", "otlp"]).to == "otlp"
