"""The worker's HTTP endpoints: ``/healthz``, ``/readyz`` and ``/metrics`` (stdlib server thread).

``/healthz`` answers 200 while the process serves requests. ``/readyz`` asks the worker
(database answers, no job's last tick older than three intervals): 200 ``ok`` or 503 with the
reasons, one per line. ``/metrics`` is the Prometheus text exposition of the worker's registry.
Anything else is 404. Request lines are logged at debug level only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from auditor.errors import UsageError

logger = logging.getLogger(__name__)

Readiness = Callable[[], list[str]]  # the reasons it is not ready; empty when ready
Exposition = Callable[[], tuple[bytes, str]]


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6; port 0 picks a free one)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise UsageError(f"--listen {value!r}: expected HOST:PORT, e.g. 0.0.0.0:8080")
    return host.strip("[]") or "0.0.0.0", int(port)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            self._send(200, b"ok\n", "text/plain; charset=utf-8")
        elif path == "/readyz":
            reasons = self.server.readiness()
            body = "\n".join(reasons or ["ok"]) + "\n"
            self._send(503 if reasons else 200, body.encode(), "text/plain; charset=utf-8")
        elif path == "/metrics":
            data, content_type = self.server.exposition()
            self._send(200, data, content_type)
        else:
            self._send(404, b"not found\n", "text/plain; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args, extra={"action": "http"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    readiness: Readiness
    exposition: Exposition


class HealthServer:
    """The endpoints on one address, served from a daemon thread."""

    def __init__(self, listen: str, *, readiness: Readiness, exposition: Exposition) -> None:
        host, port = parse_listen(listen)
        try:
            self._server = _Server((host, port), _Handler)
        except OSError as e:
            raise UsageError(f"--listen {listen}: cannot listen: {e.strerror or e}") from e
        self._server.readiness = readiness
        self._server.exposition = exposition
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> HealthServer:
        self._thread.start()
        logger.info("listening on %s", self.address, extra={"action": "listen"})
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
