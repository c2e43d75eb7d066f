"""Hostile viewer requests: out-of-range numbers, overlong searches, malformed HTTP: 4xx with the usual headers."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from chaintracer.viewer.server import COMMON_HEADERS, PAGE_CSP

HUGE = "99999999999999999999"  # > 2^64: Python ints take it, SQLite integers do not


def _assert_security_headers(headers) -> None:
    assert headers["Content-Security-Policy"] == PAGE_CSP
    for name, value in COMMON_HEADERS.items():
        assert headers[name] == value, name


@pytest.mark.parametrize(
    "path",
    [
        f"/api/sessions?offset={HUGE}",
        f"/api/sessions/agent/traces?offset={HUGE}",
        f"/api/sessions/agent/traces/{HUGE}",
        f"/api/sessions/agent/traces/{2**63}",
        "/api/sessions/agent/traces/-1",
        f"/api/compare?ids=prompt-v1,prompt-v2&offset={HUGE}",
        "/api/sessions?q=" + "x" * 65_000,
        "/api/sessions/agent/traces?q=" + "%25" * 20_000,
        "/api/sessions?project=" + "p" * 5_000,
    ],
    ids=lambda path: path[:60],
)
def test_out_of_range_numbers_and_overlong_text_are_400(client, path):
    """Numbers SQLite cannot hold and searches far past any real one are a 400 with a message, not a 500 or 503."""
    response = client.request(path)
    assert response.status == 400, (response.status, response.body[:200])
    assert response.json()["error"]
    _assert_security_headers(response.headers)


def test_the_largest_trace_number_is_an_ordinary_404(client):
    """2^63 - 1 is a valid trace number that does not exist: 404, like any other missing trace."""
    assert client.request(f"/api/sessions/agent/traces/{2**63 - 1}").status == 404


def _raw(server, payload: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends bytes as they are (no client library fixing them) and parses the reply."""
    host, port = urlsplit(server.url).hostname, urlsplit(server.url).port
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(payload)
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 70_000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Many: 1\r\n" * 150 + b"\r\n", 431),
        (b"NOT A REQUEST LINE AT ALL\r\n\r\n", 400),
        (b"GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n", 505),
        (b"GET /\r\n\r\n", 403),  # HTTP/0.9 (no Host header): its replies would have no headers at all
    ],
    ids=["uri-too-long", "header-too-long", "too-many-headers", "bad-request-line", "bad-version", "http-0.9"],
)
def test_the_standard_librarys_own_error_pages_carry_the_security_headers(server, payload, status):
    """Errors raised inside http.server before our handler runs still carry the CSP, nosniff and the rest."""
    code, headers, body = _raw(server, payload)
    assert code == status
    _assert_security_headers(headers)
    if status >= 400:
        assert headers["Content-Type"].startswith("application/json") and b"<" not in body
