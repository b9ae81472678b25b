"""A small Kubernetes API server emulator on 127.0.0.1 for tests (stdlib HTTP, background thread).

It owns: legacy discovery (``/version``, ``/api``, ``/api/v1``, ``/apis``, ``/apis/<g>[/<v>]``) built
from built-in resources and the CRDs it is given; list (cluster-wide and namespaced) and get of every
served resource, including ``apiextensions.k8s.io/v1 customresourcedefinitions``; pagination with
``limit``/``continue``; ``labelSelector``; metadata-only lists (``as=PartialObjectMetadataList``);
failure injection (status codes, delays, expiring continue tokens); and a request log.

Objects are stored as given. Like the real API server, list items carry no ``apiVersion``/``kind``.
Use it through a kubeconfig file: ``emulator.write_kubeconfig(path)``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

Body = dict[str, Any]

CRD_ROOT = Path(__file__).resolve().parents[1] / ".." / "shared" / "crds"
GATEWAY_CRDS = CRD_ROOT / "gateway-api" / "v1.6.1"

_STATUS_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    410: "Expired",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


@functools.cache
def _bundle_json(channel: str) -> str:
    with (GATEWAY_CRDS / f"{channel}.yaml").open() as fh:
        docs = [d for d in yaml.load_all(fh, Loader=yaml.CSafeLoader) if d]
    return json.dumps([d for d in docs if d.get("kind") == "CustomResourceDefinition"])


def load_crd_bundle(channel: str = "standard") -> list[Body]:
    """The CRDs of the Gateway API v1.6.1 ``standard`` or ``experimental`` bundle (fresh copies)."""
    crds: list[Body] = json.loads(_bundle_json(channel))
    return crds


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key in Kubernetes version priority: v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > other."""
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not m:
        return (3, 0, 0, version)
    stage = {"": 0, "beta": 1, "alpha": 2}[m.group(2) or ""]
    return (stage, -int(m.group(1)), -int(m.group(3) or 0), version)


def status_body(code: int, message: str, *, reason: str | None = None) -> Body:
    """A ``meta/v1 Status`` failure body, as the API server sends with error responses."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason or _STATUS_REASONS.get(code, "Unknown"),
        "details": {},
        "code": code,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    """One served resource: group, plural, kind, scope and served versions (priority order)."""

    group: str
    plural: str
    kind: str
    namespaced: bool
    versions: tuple[str, ...]

    def discovery(self) -> Body:
        return {
            "name": self.plural,
            "singularName": self.kind.lower(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
        }


BUILTIN_RESOURCES: tuple[Resource, ...] = (
    Resource(group="", plural="namespaces", kind="Namespace", namespaced=False, versions=("v1",)),
    Resource(group="", plural="services", kind="Service", namespaced=True, versions=("v1",)),
    Resource(group="", plural="secrets", kind="Secret", namespaced=True, versions=("v1",)),
    Resource(group="", plural="configmaps", kind="ConfigMap", namespaced=True, versions=("v1",)),
    Resource(
        group="networking.k8s.io",
        plural="networkpolicies",
        kind="NetworkPolicy",
        namespaced=True,
        versions=("v1",),
    ),
    Resource(
        group="apiextensions.k8s.io",
        plural="customresourcedefinitions",
        kind="CustomResourceDefinition",
        namespaced=False,
        versions=("v1",),
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedRequest:
    """One request the emulator received."""

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

    def matches(self, target: _Target | None, path: str) -> bool:
        if self.remaining == 0:
            return False
        if self.path is not None:
            return self.path == path
        if target is None or (target.resource.group, target.resource.plural) != (
            self.group,
            self.plural,
        ):
            return False
        return self.namespace is None or self.namespace == target.namespace


@dataclass(frozen=True, slots=True, kw_only=True)
class _Target:
    resource: Resource
    version: str
    namespace: str | None
    name: str | None


@dataclass(slots=True)
class _Response:
    status: int
    body: Body
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._respond(self.server.emulator.handle("GET", self.path, self._request_headers()))

    def _other(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._respond(self.server.emulator.handle(self.command, self.path, self._request_headers()))

    def _request_headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    do_POST = do_PUT = do_PATCH = do_DELETE = _other

    def _respond(self, response: _Response) -> None:
        if response.delay and self.server.emulator.stopping.wait(response.delay):
            return
        data = json.dumps(response.body).encode()
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in response.headers.items():
                self.send_header(name, value)
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
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
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
        """Serve each CRD's served versions and store the CRD itself (non-CRD documents are ignored)."""
        for crd in crds:
            if crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            served = [v["name"] for v in spec["versions"] if v.get("served")]
            if served:
                self.add_resource(
                    Resource(
                        group=spec["group"],
                        plural=spec["names"]["plural"],
                        kind=spec["names"]["kind"],
                        namespaced=spec["scope"] == "Namespaced",
                        versions=tuple(sorted(served, key=version_priority)),
                    )
                )
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
        """Answer requests for (group, plural[, namespace]) with ``status`` ``times`` times (None: always)."""
        return self._add_fault(
            Fault(group=group, plural=plural, namespace=namespace, status=status, remaining=times)
        )

    def delay(
        self,
        group: str,
        plural: str,
        seconds: float,
        *,
        times: int | None = None,
        namespace: str | None = None,
    ) -> Fault:
        """Delay the answer to requests for (group, plural[, namespace]) by ``seconds``."""
        return self._add_fault(
            Fault(group=group, plural=plural, namespace=namespace, delay=seconds, remaining=times)
        )

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
        out = []
        for req in list(self.requests):
            try:
                target = self._target(req.path)
            except LookupError:
                continue
            if (target.resource.group, target.resource.plural) == (group, plural):
                out.append(req)
        return out

    # -- serving ---------------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: dict[str, str]) -> _Response:
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
        try:
            target = self._target(path)
        except LookupError:
            target = None
        fault = self._take_fault(target, path)
        if fault is not None and fault.status is not None:
            resp = _Response(fault.status, self._fault_status(fault.status, target, path))
            resp.delay = fault.delay
            return resp
        if method != "GET":
            resp = _Response(405, status_body(405, f"the emulator is read-only ({method})"))
        else:
            resp = self._serve(path, query, accept, target)
        resp.delay = fault.delay if fault is not None else 0.0
        return resp

    def _take_fault(self, target: _Target | None, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(target, path):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None

    @staticmethod
    def _fault_status(code: int, target: _Target | None, path: str) -> Body:
        if target is None:
            return status_body(code, f"injected {code} for {path}")
        res = target.resource
        what = f"{res.plural}.{res.group}" if res.group else res.plural
        scope = (
            f'in the namespace "{target.namespace}"' if target.namespace else "at the cluster scope"
        )
        if code == 403:
            message = (
                f'{what} is forbidden: User "system:anonymous" cannot list resource '
                f'"{res.plural}" in API group "{res.group}" {scope}'
            )
        else:
            message = f"injected {code} for {what}"
        return status_body(code, message)

    def _serve(
        self, path: str, query: dict[str, list[str]], accept: str, target: _Target | None
    ) -> _Response:
        discovery = self._discovery(path)
        if discovery is not None:
            return discovery
        if target is None:
            return _Response(
                404, status_body(404, "the server could not find the requested resource")
            )
        if target.name is not None:
            return self._get(target, accept)
        return self._list(target, query, accept)

    def _target(self, path: str) -> _Target:
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) >= 3:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 4:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise LookupError(path)
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        if len(rest) > 2:
            raise LookupError(path)
        with self._lock:
            res = self._resources.get((group, rest[0]))
        if res is None or version not in res.versions or (namespace and not res.namespaced):
            raise LookupError(path)
        name = rest[1] if len(rest) == 2 else None
        if name is not None and res.namespaced and namespace is None:
            raise LookupError(path)
        return _Target(resource=res, version=version, namespace=namespace, name=name)

    def _get(self, target: _Target, accept: str) -> _Response:
        res = target.resource
        with self._lock:
            body = self._objects[(res.group, res.plural)].get(
                (target.namespace or "", target.name or "")
            )
        if body is None:
            what = f"{res.plural}.{res.group}" if res.group else res.plural
            return _Response(404, status_body(404, f'{what} "{target.name}" not found'))
        if "as=PartialObjectMetadata" in accept:
            meta_only = {"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata"}
            return _Response(200, {**meta_only, "metadata": body.get("metadata", {})})
        api_version = f"{res.group}/{target.version}" if res.group else target.version
        return _Response(200, {**body, "apiVersion": api_version, "kind": res.kind})

    def _list(self, target: _Target, query: dict[str, list[str]], accept: str) -> _Response:
        res = target.resource
        key = (res.group, res.plural)
        token = (query.get("continue") or [""])[0]
        limit = int((query.get("limit") or ["0"])[0] or 0)
        selector = (query.get("labelSelector") or [""])[0]
        with self._lock:
            if token and self._expire.get(key, 0) > 0:
                self._expire[key] -= 1
                message = "The provided continue parameter is too old to display a consistent list result."
                return _Response(410, status_body(410, message))
            rv = str(self._rv)
            items = sorted(self._objects[key].items())
        if target.namespace is not None:
            items = [(k, b) for k, b in items if k[0] == target.namespace]
        items = [(k, b) for k, b in items if _selects(selector, b)]
        if token:
            try:
                after = tuple(json.loads(base64.urlsafe_b64decode(token))["after"])
            except (ValueError, KeyError, TypeError, binascii.Error):
                return _Response(400, status_body(400, "invalid continue token"))
            items = [(k, b) for k, b in items if k > after]
        meta: Body = {"resourceVersion": rv}
        if limit and len(items) > limit:
            last = items[limit - 1][0]
            meta["continue"] = base64.urlsafe_b64encode(
                json.dumps({"after": last}).encode()
            ).decode()
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        if "as=PartialObjectMetadataList" in accept:
            head = {"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadataList"}
            page = [{"metadata": b.get("metadata", {})} for _, b in items]
        else:
            api_version = f"{res.group}/{target.version}" if res.group else target.version
            head = {"apiVersion": api_version, "kind": f"{res.kind}List"}
            page = [
                {k: v for k, v in b.items() if k not in ("apiVersion", "kind")} for _, b in items
            ]
        return _Response(200, {**head, "metadata": meta, "items": page})

    def _discovery(self, path: str) -> _Response | None:
        parts = path.strip("/").split("/") if path != "/" else []
        with self._lock:
            resources = list(self._resources.values())
        if parts == ["version"]:
            return _Response(200, _VERSION)
        if parts == ["api"]:
            return _Response(200, {"kind": "APIVersions", "versions": ["v1"]})
        if parts == ["apis"]:
            groups = sorted({r.group for r in resources if r.group})
            group_docs = [_group_doc(g, resources) for g in groups]
            return _Response(
                200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": group_docs}
            )
        if parts == ["api", "v1"]:
            return _resource_list("", "v1", resources)
        if len(parts) == 2 and parts[0] == "apis":
            if not any(r.group == parts[1] for r in resources):
                return _Response(
                    404, status_body(404, "the server could not find the requested resource")
                )
            return _Response(
                200, {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(parts[1], resources)}
            )
        if len(parts) == 3 and parts[0] == "apis":
            return _resource_list(parts[1], parts[2], resources)
        return None


_VERSION: Body = {
    "major": "1",
    "minor": "33",
    "gitVersion": "v1.33.0-emulator",
    "platform": "linux/amd64",
}


def _group_doc(group: str, resources: list[Resource]) -> Body:
    versions = sorted(
        {v for r in resources if r.group == group for v in r.versions}, key=version_priority
    )
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def _resource_list(group: str, version: str, resources: list[Resource]) -> _Response:
    served = [r.discovery() for r in resources if r.group == group and version in r.versions]
    if not served:
        return _Response(404, status_body(404, "the server could not find the requested resource"))
    group_version = f"{group}/{version}" if group else version
    body = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version}
    return _Response(200, {**body, "resources": served})


def _selects(selector: str, body: Body) -> bool:
    """Label selector terms: ``k=v``, ``k==v``, ``k!=v``, ``k``, ``!k`` (comma = and)."""
    labels = (body.get("metadata") or {}).get("labels") or {}
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            k, v = term.split("!=", 1)
            ok = labels.get(k.strip()) != v.strip()
        elif "=" in term:
            k, v = term.replace("==", "=").split("=", 1)
            ok = labels.get(k.strip()) == v.strip()
        elif term.startswith("!"):
            ok = term[1:].strip() not in labels
        else:
            ok = term in labels
        if not ok:
            return False
    return True


def http_phrase(code: int) -> str:
    """``403 Forbidden`` style status line text, for assertions."""
    return f"{code} {HTTPStatus(code).phrase}"
