"""A local Slack Web API (and incoming-webhook) server for tests: the real slack-sdk talks to it.

It records every request (method, Authorization header, JSON body) and answers like Slack:
``chat.postMessage`` returns a channel id and a fresh ``ts``; ``chat.update`` echoes them. A test
queues failures with ``fail(...)``: an HTTP status (429 with Retry-After, 500), or a Slack error
body (``{"ok": false, "error": "channel_not_found"}``), optionally only for one channel.
``hold()`` makes the next requests wait (never answered) until ``release()`` — to kill a client
mid-request. ``accepted`` lists the requests answered with ``ok: true``.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str  # "chat.postMessage", "chat.update", or "webhook"
    auth: str | None
    body: dict[str, Any]
    accepted: bool = False

    @property
    def text_and_blocks(self) -> str:
        return json.dumps({"text": self.body.get("text"), "blocks": self.body.get("blocks")})


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    channel: str | None = None  # only requests to this channel
    times: int = 1  # how many requests it answers (-1: forever)
    raw: str | None = None  # a non-JSON body


@dataclass
class SlackState:
    requests: list[Request] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    token: str = "xoxb-test-token"
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    holding: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    seen: threading.Condition = field(default_factory=threading.Condition)
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def accepted(self) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.accepted]

    def calls(self, method: str) -> list[Request]:
        return [r for r in self.accepted if r.method == method]

    def fail(self, **kwargs: Any) -> None:
        with self.lock:
            self.failures.append(Failure(**kwargs))

    def clear_failures(self) -> None:
        with self.lock:
            self.failures.clear()

    def hold(self) -> None:
        self.released.clear()
        self.holding.set()

    def release(self) -> None:
        self.holding.clear()
        self.released.set()

    def wait_for_requests(self, n: int, timeout: float = 30) -> bool:
        with self.seen:
            return self.seen.wait_for(lambda: len(self.requests) >= n, timeout)

    def _failure_for(self, channel: str | None) -> Failure | None:
        with self.lock:
            for f in self.failures:
                if f.channel is None or f.channel == channel:
                    if f.times > 0:
                        f.times -= 1
                        if f.times == 0:
                            self.failures.remove(f)
                    return f
        return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        body = json.loads(raw) if raw.startswith("{") else {}
        path = self.path.split("?")[0]
        method = "webhook" if path.startswith("/services/") else path.rsplit("/", 1)[-1]
        request = Request(method=method, auth=self.headers.get("Authorization"), body=body)
        with state.lock:
            state.requests.append(request)
        with state.seen:
            state.seen.notify_all()
        if state.holding.is_set():
            state.released.wait(60)
            self.close_connection = True
            return
        failure = state._failure_for(body.get("channel"))
        if failure is not None:
            self._failure(failure, webhook=method == "webhook")
            return
        if method != "webhook" and request.auth != f"Bearer {state.token}":
            self._json(200, {"ok": False, "error": "invalid_auth"})
            return
        request.accepted = True
        if method == "webhook":
            self._send(200, "ok", "text/plain")
        elif method == "chat.postMessage":
            ts = f"1700000000.{next(state.counter):06d}"
            self._json(200, {"ok": True, "channel": _channel_id(body["channel"]), "ts": ts})
        elif method == "chat.update":
            self._json(200, {"ok": True, "channel": body["channel"], "ts": body["ts"]})
        else:
            self._json(200, {"ok": False, "error": "unknown_method"})

    def _failure(self, failure: Failure, *, webhook: bool) -> None:
        headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
        if failure.raw is not None:
            self._send(failure.status, failure.raw, "text/html", headers)
        elif webhook:
            self._send(failure.status, failure.error or "error", "text/plain", headers)
        else:
            payload = {"ok": False, "error": failure.error or "ratelimited"}
            self._json(failure.status, payload, headers)

    def _json(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self._send(status, json.dumps(payload), "application/json", headers)

    def _send(
        self, status: int, text: str, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


def _channel_id(name: str) -> str:
    """A stable fake channel id for a channel name (``#payments`` -> ``C-payments``)."""
    return "C-" + name.lstrip("#")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: SlackState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@contextmanager
def slack_server() -> Iterator[tuple[str, SlackState]]:
    """(base URL ending in ``/api/``, state); the webhook URL is ``<root>/services/T/B/X``."""
    state = SlackState()
    server = _Server(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        state.base_url = f"http://{host!s}:{port}/api/"
        yield state.base_url, state
    finally:
        state.release()
        server.shutdown()
        server.server_close()
