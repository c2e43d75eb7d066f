"""``chaintracer ui``: a read-only HTTP server over a store (standard library only).

GET only; binds loopback unless remote access is explicitly allowed; checks the Host header
against DNS rebinding while on loopback; every response carries a strict Content-Security-Policy
and ``nosniff``. Visualisation HTML is served on its own route with a ``sandbox`` CSP (no
scripts, opaque origin) and shown in a sandboxed iframe.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from chaintracer.store import SessionNotFound, Store, StoreError
from chaintracer.viewer import api

# The front end, in load order (core first, the router last); the report inlines them in this order.
SCRIPTS = (
    "core.js",
    "values.js",
    "diff.js",
    "charts.js",
    "data.js",
    "architecture.js",
    "detail.js",
    "timeline.js",
    "settings.js",
    "session.js",
    "sessions.js",
    "compare.js",
    "experiments.js",
    "search.js",
    "app.js",
)
STATIC_FILES = {
    **dict.fromkeys(SCRIPTS, "text/javascript; charset=utf-8"),
    "app.css": "text/css; charset=utf-8",
    "index.html": "text/html; charset=utf-8",
}
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Visualisations (spaCy displaCy HTML): no scripts, an opaque origin, nothing fetched.
ARTIFACT_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'self'"
)
ARTIFACT_TYPES = {"text/html", "image/svg+xml", "text/plain"}
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost"}


class RemoteNotAllowed(ValueError):
    """The host to bind is not a loopback address and remote access was not allowed."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) only ever means this machine."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(name, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


class ViewerServer(ThreadingHTTPServer):
    """Serves the viewer for one store; ``serve_forever`` in a thread or the main loop."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, store: Store, host: str = "127.0.0.1", port: int = 8765, allow_remote: bool = False) -> None:
        if not allow_remote and not is_loopback(host):
            raise RemoteNotAllowed(
                f"refusing to serve on {host}: it is not a loopback address, so anyone on the network could read "
                "your traces; use --host 127.0.0.1, or pass --allow-remote if that is what you want"
            )
        self.store = store
        self.allow_remote = allow_remote
        self.verbose = False
        self.allowed_hosts = {"localhost", "127.0.0.1", "::1", host.strip("[]").lower()}
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host.strip("[]"), port), ViewerHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"

    def start_background(self) -> threading.Thread:
        """Serves from a daemon thread (tests, notebooks); stop with ``shutdown()``."""
        thread = threading.Thread(target=self.serve_forever, name="chaintracer-ui", daemon=True)
        thread.start()
        return thread


class ViewerHandler(BaseHTTPRequestHandler):
    server_version = "chaintracer-ui"
    protocol_version = "HTTP/1.1"

    @property
    def viewer(self) -> ViewerServer:
        """The server that made this handler (socketserver types it as any ``BaseServer``)."""
        server = self.server
        assert isinstance(server, ViewerServer), server
        return server

    def version_string(self) -> str:
        return self.server_version

    def __getattr__(self, name: str) -> Any:
        # Any method but GET (POST, PUT, HEAD, OPTIONS, anything made up) gets 405.
        if name.startswith("do_") and name != "do_GET":
            return self._method_not_allowed
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's own errors (bad request line, URI too long, headers too large...), as ours."""
        self.close_connection = True  # the request could not be read: do not look for another on this connection
        text = message or self.responses.get(code, ("error",))[0]
        self.log_error("code %d, message %s", code, text)
        self._send_json(code, {"error": text}, {"Connection": "close"})

    def _method_not_allowed(self) -> None:
        self.close_connection = True  # a request body may follow; do not read it as the next request
        self._send_json(
            HTTPStatus.METHOD_NOT_ALLOWED,
            {"error": "this viewer is read-only: GET only"},
            {"Allow": "GET", "Connection": "close"},
        )

    def do_GET(self) -> None:
        try:
            if not self._host_allowed():
                self._send_json(HTTPStatus.FORBIDDEN, {"error": "unexpected Host header (DNS rebinding protection)"})
                return
            self._dispatch()
        except api.ApiError as exc:
            self._send_json(exc.status, {"error": str(exc)})
        except SessionNotFound as exc:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": exc.args[0] if exc.args else str(exc)})
        except StoreError as exc:
            self._send_json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(exc)})
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # a bug: answer, and say so on the console
            print(f"chaintracer ui: {self.path}: {type(exc).__name__}: {exc}", file=sys.stderr)
            self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"{type(exc).__name__}: {exc}"})
        finally:
            self.viewer.store.close()  # this request thread's connection

    def _host_allowed(self) -> bool:
        if self.viewer.allow_remote:
            return True
        host = self.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name.strip("[]").lower() in self.viewer.allowed_hosts

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        path = url.path
        if path in ("/", "/index.html"):
            self._send_static("index.html")
        elif path.startswith("/static/"):
            name = path[len("/static/") :]
            if name not in STATIC_FILES or name == "index.html":
                raise api.NotFound(f"no static file {name[:80]!r}")
            self._send_static(name)
        elif path.startswith("/api/"):
            parts = path[len("/api/") :].strip("/").split("/")
            if len(parts) == 4 and parts[0] == "sessions" and parts[2] == "artifacts":
                self._send_artifact(unquote(parts[1]), unquote(parts[3]))
                return
            payload = api.route(self.viewer.store, path[len("/api/") :], parse_qs(url.query))
            self._send(HTTPStatus.OK, api.dumps(payload).encode(), "application/json; charset=utf-8")
        elif path == "/favicon.ico":
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        else:
            raise api.NotFound(f"no page {path[:80]!r}")

    def _send_static(self, name: str) -> None:
        body = resources.files("chaintracer.viewer").joinpath("static").joinpath(name).read_bytes()
        self._send(HTTPStatus.OK, body, STATIC_FILES[name])

    def _send_artifact(self, ref: str, artifact_ref: str) -> None:
        media_type, content = api.artifact(self.viewer.store, ref, artifact_ref)
        if media_type not in ARTIFACT_TYPES:
            media_type = "text/plain"
        headers = {"Content-Security-Policy": ARTIFACT_CSP, "X-Frame-Options": "SAMEORIGIN"}
        self._send(HTTPStatus.OK, content.encode(), f"{media_type}; charset=utf-8", headers)

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, api.dumps(payload).encode(), "application/json; charset=utf-8", headers)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        if not str(getattr(self, "request_version", "")).startswith("HTTP/1"):
            # An HTTP/0.9 reply (also the standard library's choice for an unreadable request line)
            # has no status line and no headers, so no CSP: always answer as HTTP/1.x, then close.
            self.request_version = "HTTP/1.0"
            self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        merged = {"Content-Security-Policy": PAGE_CSP, "X-Frame-Options": "DENY", **COMMON_HEADERS, **(headers or {})}
        for key, value in merged.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.viewer.verbose:
            super().log_message(format, *args)
