"""A small Kubernetes API server emulator on 127.0.0.1 for tests (stdlib HTTP, background thread).

It owns the server, the in-memory state (served resources, objects), failure injection (status
codes, delays, expiring continue tokens) and the request log; the documents it answers with are
built in ``tests/k8s_emulator_docs.py``. It serves discovery, list (cluster-wide and namespaced)
and get for every served resource, including ``apiextensions.k8s.io/v1 customresourcedefinitions``.
Objects are stored as given; like the real API server, list items carry no ``apiVersion``/``kind``.
Only ``coordination.k8s.io/v1`` Leases are writable (create, replace, delete), with the API
server's optimistic concurrency: a replace whose ``metadata.resourceVersion`` is not the stored
one is refused with ``409 Conflict``, a create of an existing name with ``409 AlreadyExists``.
The official client reaches it through ``emulator.write_kubeconfig(path)``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from tests.k8s_emulator_docs import (
    BUILTIN_RESOURCES,
    LEASES,
    Body,
    Reply,
    Resource,
    Target,
    discovery,
    expired_reply,
    fault_reply,
    get_reply,
    list_reply,
    load_crd_bundle,
    not_found,
    parse_target,
    status_body,
)

__all__ = ["Fault", "K8sEmulator", "RecordedRequest", "Resource", "load_crd_bundle", "status_body"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedRequest:
    """One request the emulator received (headers: Accept and Authorization only)."""

    method: str
    path: str
    query: dict[str, list[str]]
    accept: str
    authorization: str = ""

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass(slots=True, kw_only=True)
class Fault:
    """An injected failure: matches a resource (optionally one namespace) or an exact path."""

    group: str | None = None
    plural: str | None = None
    namespace: str | None = None
    path: str | None = None
    status: int | None = None
    delay: float = 0.0
    remaining: int | None = None  # None = always
    hits: int = 0

    def matches(self, target: Target | None, path: str) -> bool:
        if self.remaining == 0:
            return False
        if self.path is not None:
            return self.path == path
        if target is None:
            return False
        res = target.resource
        if (res.group, res.plural) != (self.group, self.plural):
            return False
        return self.namespace is None or self.namespace == target.namespace


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._answer(b"")

    def _read_body_and_answer(self) -> None:
        self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    do_POST = do_PUT = do_PATCH = do_DELETE = _read_body_and_answer

    def _answer(self, payload: bytes) -> None:
        emulator = self.server.emulator
        headers = {k.lower(): v for k, v in self.headers.items()}
        delay, (status, body) = emulator.handle(self.command, self.path, headers, payload)
        if delay and emulator.stopping.wait(delay):
            return
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests are recorded in ``K8sEmulator.requests`` instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    emulator: K8sEmulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Client disconnects during tests are expected; do not print tracebacks."""


class K8sEmulator:
    """An in-memory Kubernetes API server. ``start()``/``stop()`` or use as a context manager."""

    def __init__(self, *, resources: Iterable[Resource] = BUILTIN_RESOURCES) -> None:
        self._lock = threading.Lock()
        self._resources: dict[tuple[str, str], Resource] = {}
        self._objects: dict[tuple[str, str], dict[tuple[str, str], Body]] = {}
        self._faults: list[Fault] = []
        self._expire: dict[tuple[str, str], int] = {}
        self._sorted: dict[tuple[str, str], tuple[int, list[tuple[str, str]]]] = {}
        self._rv = 1
        self.requests: list[RecordedRequest] = []
        self.stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        for res in resources:
            self.add_resource(res)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> K8sEmulator:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.emulator = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> K8sEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "emulator not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def write_kubeconfig(
        self, path: Path, *, context: str = "emulator", token: str | None = None
    ) -> Path:
        """Write a kubeconfig (server ``http://127.0.0.1:PORT``; empty user unless ``token``)."""
        user = {"token": token} if token else {}
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "emulator", "cluster": {"server": self.url}}],
            "users": [{"name": "anonymous", "user": user}],
            "contexts": [
                {"name": context, "context": {"cluster": "emulator", "user": "anonymous"}}
            ],
            "current-context": context,
        }
        path.write_text(yaml.safe_dump(doc))
        return path

    # -- state -----------------------------------------------------------------------------------

    def add_resource(self, resource: Resource) -> None:
        with self._lock:
            key = (resource.group, resource.plural)
            self._resources[key] = resource
            self._objects.setdefault(key, {})

    def add_crds(self, crds: Iterable[Body]) -> None:
        """Serve each CRD's served versions and store the CRD itself (other documents ignored)."""
        for crd in crds:
            if crd.get("kind") != "CustomResourceDefinition":
                continue
            resource = Resource.from_crd(crd)
            if resource is not None:
                self.add_resource(resource)
            self.put(crd)

    def put(self, body: Body) -> None:
        """Store an object as given; its apiVersion/kind must name a served resource."""
        group = str(body["apiVersion"]).rpartition("/")[0]
        res = self._resource_for_kind(group, str(body["kind"]))
        meta = body.get("metadata") or {}
        namespace = str(meta.get("namespace", "")) if res.namespaced else ""
        with self._lock:
            self._objects[(res.group, res.plural)][(namespace, str(meta["name"]))] = body
            self._rv += 1

    def remove(self, group: str, kind: str, namespace: str, name: str) -> None:
        res = self._resource_for_kind(group, kind)
        with self._lock:
            self._objects[(res.group, res.plural)].pop((namespace, name), None)
            self._rv += 1

    def _resource_for_kind(self, group: str, kind: str) -> Resource:
        with self._lock:
            for res in self._resources.values():
                if res.group == group and res.kind == kind:
                    return res
        raise KeyError(f"emulator serves no {group or 'core'}/{kind}; add its CRD first")

    # -- fault injection -------------------------------------------------------------------------

    def fail(
        self,
        group: str,
        plural: str,
        *,
        status: int,
        times: int | None = None,
        namespace: str | None = None,
    ) -> Fault:
        """Answer requests for (group, plural[, namespace]) with ``status``, ``times`` times or always."""
        fault = Fault(
            group=group, plural=plural, namespace=namespace, status=status, remaining=times
        )
        return self._add_fault(fault)

    def delay(
        self,
        group: str,
        plural: str,
        seconds: float,
        *,
        times: int | None = None,
        namespace: str | None = None,
    ) -> Fault:
        """Delay the answers to requests for (group, plural[, namespace]) by ``seconds``."""
        fault = Fault(
            group=group, plural=plural, namespace=namespace, delay=seconds, remaining=times
        )
        return self._add_fault(fault)

    def fail_path(self, path: str, *, status: int, times: int | None = None) -> Fault:
        """Answer requests for exactly ``path`` (e.g. ``/apis``) with ``status``."""
        return self._add_fault(Fault(path=path, status=status, remaining=times))

    def expire_continue(self, group: str, plural: str, *, times: int = 1) -> None:
        """The next ``times`` list requests carrying a continue token get ``410 Gone``."""
        with self._lock:
            self._expire[(group, plural)] = times

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._expire.clear()

    def _add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    # -- request log -----------------------------------------------------------------------------

    def requests_for(self, group: str, plural: str) -> list[RecordedRequest]:
        """Requests for one resource (lists and gets, any version and namespace)."""
        with self._lock:
            requests, resources = list(self.requests), dict(self._resources)
        out = []
        for req in requests:
            target = parse_target(req.path, resources)
            if target is not None and (target.resource.group, target.resource.plural) == (
                group,
                plural,
            ):
                out.append(req)
        return out

    # -- serving ---------------------------------------------------------------------------------

    def lease(self, namespace: str, name: str) -> Body | None:
        """The stored Lease (a copy), or None."""
        with self._lock:
            body = self._objects[(LEASES.group, LEASES.plural)].get((namespace, name))
            return json.loads(json.dumps(body)) if body is not None else None

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], payload: bytes = b""
    ) -> tuple[float, Reply]:
        """Record the request; return (delay in seconds, (status, body))."""
        url = urlsplit(raw_path)
        path, query = url.path.rstrip("/") or "/", parse_qs(url.query)
        accept = headers.get("accept", "")
        recorded = RecordedRequest(
            method=method,
            path=path,
            query=query,
            accept=accept,
            authorization=headers.get("authorization", ""),
        )
        with self._lock:
            self.requests.append(recorded)
            resources = dict(self._resources)
        target = parse_target(path, resources)
        fault = self._take_fault(target, path)
        delay = fault.delay if fault is not None else 0.0
        if fault is not None and fault.status is not None:
            return delay, fault_reply(fault.status, target, path)
        if method != "GET":
            if target is not None and target.resource == LEASES:
                return delay, self._write(method, target, payload)
            return delay, (405, status_body(405, f"the emulator is read-only ({method})"))
        return delay, self._serve(path, query, accept, target)

    def _write(self, method: str, target: Target, payload: bytes) -> Reply:
        """Create (POST), replace (PUT) or delete (DELETE) one Lease, with resourceVersion checks."""
        try:
            body: Body = json.loads(payload) if payload else {}
        except ValueError:
            return 400, status_body(400, "the request body is not JSON")
        meta = body.get("metadata") or {}
        name = target.name if method != "POST" else meta.get("name")
        if not name or (method == "PUT" and meta.get("name") != name):
            return 400, status_body(400, "metadata.name is missing or does not match the URL")
        key, qualified = (target.namespace or "", str(name)), target.resource.qualified
        with self._lock:
            objects = self._objects[(LEASES.group, LEASES.plural)]
            stored = objects.get(key)
            if method == "POST" and stored is not None:
                return 409, status_body(
                    409, f'{qualified} "{name}" already exists', reason="AlreadyExists"
                )
            if method in {"PUT", "DELETE"} and stored is None:
                return 404, status_body(404, f'{qualified} "{name}" not found')
            if method == "DELETE":
                del objects[key]
                self._rv += 1
                return 200, {"kind": "Status", "apiVersion": "v1", "status": "Success"}
            if (
                method == "PUT"
                and meta.get("resourceVersion") != stored["metadata"]["resourceVersion"]
            ):
                return 409, status_body(
                    409,
                    f'Operation cannot be fulfilled on {qualified} "{name}": the object has been '
                    "modified; please apply your changes to the latest version and try again",
                )
            if method not in {"POST", "PUT"}:
                return 405, status_body(405, f"the emulator does not {method} leases")
            self._rv += 1
            body["metadata"] = {**meta, "namespace": key[0], "resourceVersion": str(self._rv)}
            body.update(apiVersion=LEASES.api_version("v1"), kind=LEASES.kind)
            objects[key] = body
            return (201 if method == "POST" else 200), json.loads(json.dumps(body))

    def _take_fault(self, target: Target | None, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(target, path):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None

    def _serve(
        self, path: str, query: dict[str, list[str]], accept: str, target: Target | None
    ) -> Reply:
        with self._lock:
            resources = list(self._resources.values())
        reply = discovery(path, resources)
        if reply is not None:
            return reply
        if target is None:
            return not_found()
        res = target.resource
        key = (res.group, res.plural)
        with self._lock:
            if target.name is not None:
                body = self._objects[key].get((target.namespace or "", target.name))
                return get_reply(target, body, accept)
            if query.get("continue") and self._expire.get(key, 0) > 0:
                self._expire[key] -= 1
                return expired_reply()
            stored, rv = self._objects[key], str(self._rv)
            return list_reply(
                target, self._sorted_keys(key), stored, query, accept=accept, resource_version=rv
            )

    def _sorted_keys(self, key: tuple[str, str]) -> list[tuple[str, str]]:
        """The stored keys of one resource, sorted once per resourceVersion (caller holds the lock)."""
        cached = self._sorted.get(key)
        if cached is None or cached[0] != self._rv:
            cached = self._sorted[key] = (self._rv, sorted(self._objects[key]))
        return cached[1]
