"""The documents the Kubernetes API emulator answers with (pure functions, no I/O but CRD loading).

Owns: the served-resource model, discovery documents (APIVersions, APIGroupList, APIGroup,
APIResourceList), list pages (sorting, ``labelSelector``, ``limit``/``continue``, metadata-only
``PartialObjectMetadataList``), get bodies, ``Status`` failure bodies, Kubernetes version priority,
and loading the Gateway API CRD bundles from ``<repo>/../shared/crds``.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import functools
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Body = dict[str, Any]
Reply = tuple[int, Body]

GATEWAY_CRDS = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "crds" / "gateway-api" / "v1.6.1"
)

_STATUS_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
_NOT_FOUND = "the server could not find the requested resource"
VERSION: Body = {
    "major": "1",
    "minor": "33",
    "gitVersion": "v1.33.0-emulator",
    "platform": "linux/amd64",
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
    versions: tuple[str, ...] = ("v1",)

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def api_version(self, version: str) -> str:
        return f"{self.group}/{version}" if self.group else version

    def discovery(self) -> Body:
        return {
            "name": self.plural,
            "singularName": self.kind.lower(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
        }

    @classmethod
    def from_crd(cls, crd: Body) -> Resource | None:
        spec = crd["spec"]
        served = [v["name"] for v in spec["versions"] if v.get("served")]
        if not served:
            return None
        return cls(
            group=spec["group"],
            plural=spec["names"]["plural"],
            kind=spec["names"]["kind"],
            namespaced=spec["scope"] == "Namespaced",
            versions=tuple(sorted(served, key=version_priority)),
        )


LEASES = Resource(group="coordination.k8s.io", plural="leases", kind="Lease", namespaced=True)
"""The one writable resource (the worker's Leases); everything else is read-only."""

BUILTIN_RESOURCES: tuple[Resource, ...] = (
    Resource(group="", plural="namespaces", kind="Namespace", namespaced=False),
    Resource(group="", plural="services", kind="Service", namespaced=True),
    Resource(group="", plural="secrets", kind="Secret", namespaced=True),
    Resource(group="", plural="configmaps", kind="ConfigMap", namespaced=True),
    Resource(group="", plural="pods", kind="Pod", namespaced=True),
    Resource(group="", plural="serviceaccounts", kind="ServiceAccount", namespaced=True),
    Resource(group="apps", plural="deployments", kind="Deployment", namespaced=True),
    Resource(group="apps", plural="statefulsets", kind="StatefulSet", namespaced=True),
    Resource(group="apps", plural="daemonsets", kind="DaemonSet", namespaced=True),
    Resource(group="apps", plural="replicasets", kind="ReplicaSet", namespaced=True),
    Resource(group="batch", plural="jobs", kind="Job", namespaced=True),
    Resource(group="batch", plural="cronjobs", kind="CronJob", namespaced=True),
    Resource(
        group="networking.k8s.io", plural="networkpolicies", kind="NetworkPolicy", namespaced=True
    ),
    Resource(
        group="apiextensions.k8s.io",
        plural="customresourcedefinitions",
        kind="CustomResourceDefinition",
        namespaced=False,
    ),
    LEASES,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """What a resource URL addresses: a collection (name None) or one object, at one version."""

    resource: Resource
    version: str
    namespace: str | None
    name: str | None


def parse_target(path: str, resources: dict[tuple[str, str], Resource]) -> Target | None:
    """The resource a URL path addresses, or None (discovery paths, unknown resources)."""
    parts = path.strip("/").split("/")
    if parts[0] == "api" and len(parts) >= 3:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    res = resources.get((group, rest[0]))
    if len(rest) > 2 or res is None or version not in res.versions:
        return None
    name = rest[1] if len(rest) == 2 else None
    if namespace is not None and not res.namespaced:
        return None
    if name is not None and res.namespaced and namespace is None:
        return None
    return Target(resource=res, version=version, namespace=namespace, name=name)


# -- discovery ------------------------------------------------------------------------------------


def discovery(path: str, resources: list[Resource]) -> Reply | None:
    """The discovery document for ``path``, or None when it is not a discovery path."""
    parts = path.strip("/").split("/") if path.strip("/") else []
    match parts:
        case ["version"]:
            return 200, VERSION
        case ["api"]:
            return 200, {"kind": "APIVersions", "versions": ["v1"]}
        case ["apis"]:
            groups = [
                _group_doc(g, resources) for g in sorted({r.group for r in resources if r.group})
            ]
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        case ["api", "v1"]:
            return _resource_list("", "v1", resources)
        case ["apis", group]:
            if not any(r.group == group for r in resources):
                return 404, status_body(404, _NOT_FOUND)
            return 200, {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(group, resources)}
        case ["apis", group, version]:
            return _resource_list(group, version, resources)
    return None


def _group_doc(group: str, resources: list[Resource]) -> Body:
    versions = sorted(
        {v for r in resources if r.group == group for v in r.versions}, key=version_priority
    )
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def _resource_list(group: str, version: str, resources: list[Resource]) -> Reply:
    served = [r.discovery() for r in resources if r.group == group and version in r.versions]
    if not served:
        return 404, status_body(404, _NOT_FOUND)
    group_version = f"{group}/{version}" if group else version
    return 200, {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": served,
    }


def not_found() -> Reply:
    return 404, status_body(404, _NOT_FOUND)


# -- objects --------------------------------------------------------------------------------------


def get_reply(target: Target, body: Body | None, accept: str) -> Reply:
    """One object at the requested version (or its metadata only), or 404."""
    res = target.resource
    if body is None:
        return 404, status_body(404, f'{res.qualified} "{target.name}" not found')
    if "as=PartialObjectMetadata" in accept:
        meta = body.get("metadata", {})
        return 200, {
            "apiVersion": "meta.k8s.io/v1",
            "kind": "PartialObjectMetadata",
            "metadata": meta,
        }
    return 200, {**body, "apiVersion": res.api_version(target.version), "kind": res.kind}


def list_reply(
    target: Target,
    keys: Sequence[tuple[str, str]],
    stored: Mapping[tuple[str, str], Body],
    query: dict[str, list[str]],
    *,
    accept: str,
    resource_version: str,
) -> Reply:
    """One page of a list: sorted by namespace/name, filtered, limited; items without TypeMeta.

    ``keys`` are ``stored``'s keys, sorted. A page costs O(page) (bisect to the namespace and the
    continue token), not O(all objects), so a large fleet's paging stays linear. As on the real API
    server, ``remainingItemCount`` is left out when a label selector is set (the count is unknown).
    """

    def param(name: str) -> str:
        return (query.get(name) or [""])[0]

    lo, hi = 0, len(keys)
    if target.namespace is not None:
        lo = bisect.bisect_left(keys, (target.namespace, ""))
        hi = bisect.bisect_left(keys, (target.namespace + "\0", ""), lo)
    if param("continue"):
        try:
            after = tuple(json.loads(base64.urlsafe_b64decode(param("continue")))["after"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            return 400, status_body(400, "invalid continue token")
        lo = bisect.bisect_right(keys, after, lo, max(lo, hi))
    limit = int(param("limit") or 0)
    selector = param("labelSelector")
    matching = (k for k in itertools.islice(keys, lo, hi) if selects(selector, stored[k]))
    page = list(itertools.islice(matching, limit + 1 if limit else None))
    meta: Body = {"resourceVersion": resource_version}
    if limit and len(page) > limit:
        page = page[:limit]
        token = json.dumps({"rv": resource_version, "after": page[-1]})
        meta["continue"] = base64.urlsafe_b64encode(token.encode()).decode()
        if not selector:
            meta["remainingItemCount"] = hi - lo - limit
    res = target.resource
    if "as=PartialObjectMetadataList" in accept:
        head = {"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadataList"}
        items = [{"metadata": stored[k].get("metadata", {})} for k in page]
    else:
        head = {"apiVersion": res.api_version(target.version), "kind": f"{res.kind}List"}
        items = [
            {f: v for f, v in stored[k].items() if f not in ("apiVersion", "kind")} for k in page
        ]
    return 200, {**head, "metadata": meta, "items": items}


def expired_reply() -> Reply:
    message = "The provided continue parameter is too old to display a consistent list result."
    return 410, status_body(410, message)


def fault_reply(code: int, target: Target | None, path: str) -> Reply:
    """An injected failure, with a Status body like the real API server's."""
    if target is None:
        return code, status_body(code, f"injected {code} for {path}")
    res = target.resource
    if code != 403:
        return code, status_body(code, f"injected {code} for {res.qualified}")
    scope = f'in the namespace "{target.namespace}"' if target.namespace else "at the cluster scope"
    message = (
        f'{res.qualified} is forbidden: User "system:anonymous" cannot list resource '
        f'"{res.plural}" in API group "{res.group}" {scope}'
    )
    return code, status_body(code, message)


def selects(selector: str, body: Body) -> bool:
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
