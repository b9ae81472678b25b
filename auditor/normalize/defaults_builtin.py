"""The built-in Gateway API schema table: GATEWAY_SEMANTICS §6 (v1.6.1, both channels) as code.

Used when a cluster or snapshot provides no CRD for a Gateway API kind (DESIGN §3). Each kind is a
list of rules in the §6 path notation — ``default``, list/map type markers (C9) and GEP-2257
duration fields (C7) — turned into an ``openAPIV3Schema``-shaped dict, so the very same compiler and
defaulter serve CRD schemas and this table. Every node is open (unknown fields are kept, never
reported as pruned), because the table describes defaults, not the whole API.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterator
from typing import Any

from auditor.keys import GroupKind
from auditor.kinds import GATEWAY_GROUP, GATEWAY_X_GROUP

logger = logging.getLogger(__name__)

Rule = tuple[str, str, Any]
"""(what, §6 path, value): what is ``default``, ``map`` (value: key fields), ``set``,
``atomic-map``, ``duration`` or ``string-map`` (a map of free keys compared key by key)."""

_DURATION = "^([0-9]{1,5}(h|m|s|ms)){1,4}$"
_CATCH_ALL_MATCH = {"path": {"type": "PathPrefix", "value": "/"}}


def _d(path: str, value: Any) -> Rule:
    return ("default", path, value)


def _parent_refs(prefix: str) -> Iterator[Rule]:
    yield _d(f"{prefix}.group", GATEWAY_GROUP)
    yield _d(f"{prefix}.kind", "Gateway")


def _service_ref(prefix: str) -> Iterator[Rule]:
    yield _d(f"{prefix}.group", "")
    yield _d(f"{prefix}.kind", "Service")


def _header_modifiers(prefix: str) -> Iterator[Rule]:
    for modifier in ("requestHeaderModifier", "responseHeaderModifier"):
        yield ("map", f"{prefix}.{modifier}.set", ("name",))
        yield ("map", f"{prefix}.{modifier}.add", ("name",))
        yield ("set", f"{prefix}.{modifier}.remove", None)


def _mirror(prefix: str) -> Iterator[Rule]:
    yield from _service_ref(f"{prefix}.requestMirror.backendRef")
    yield _d(f"{prefix}.requestMirror.fraction.denominator", 100)


def _http_filters(prefix: str) -> Iterator[Rule]:
    yield from _header_modifiers(prefix)
    yield from _mirror(prefix)
    yield _d(f"{prefix}.requestRedirect.statusCode", 302)
    yield _d(f"{prefix}.cors.maxAge", 5)
    for field in ("allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders"):
        yield ("set", f"{prefix}.cors.{field}", None)
    yield from _service_ref(f"{prefix}.externalAuth.backendRef")
    yield ("set", f"{prefix}.externalAuth.grpc.allowedHeaders", None)
    yield ("set", f"{prefix}.externalAuth.http.allowedHeaders", None)
    yield ("set", f"{prefix}.externalAuth.http.allowedResponseHeaders", None)


def _grpc_filters(prefix: str) -> Iterator[Rule]:
    yield from _header_modifiers(prefix)
    yield from _mirror(prefix)


def _session_persistence(prefix: str) -> Iterator[Rule]:
    yield _d(f"{prefix}.type", "Cookie")
    yield _d(f"{prefix}.cookieConfig.lifetimeType", "Session")
    yield ("duration", f"{prefix}.absoluteTimeout", None)


def _listeners(prefix: str) -> Iterator[Rule]:
    yield ("map", prefix, ("name",))
    routes = f"{prefix}[*].allowedRoutes"
    yield _d(routes, {"namespaces": {"from": "Same"}})
    yield _d(f"{routes}.kinds[*].group", GATEWAY_GROUP)
    yield _d(f"{routes}.namespaces", {"from": "Same"})
    yield _d(f"{routes}.namespaces.from", "Same")
    yield ("atomic-map", f"{routes}.namespaces.selector", None)
    yield _d(f"{prefix}[*].tls.certificateRefs[*].group", "")
    yield _d(f"{prefix}[*].tls.certificateRefs[*].kind", "Secret")
    yield _d(f"{prefix}[*].tls.mode", "Terminate")


def _gateway() -> Iterator[Rule]:
    yield _d(".spec.addresses[*].type", "IPAddress")
    yield _d(".spec.allowedListeners.namespaces", {"from": "None"})
    yield _d(".spec.allowedListeners.namespaces.from", "None")
    yield ("atomic-map", ".spec.allowedListeners.namespaces.selector", None)
    yield from _listeners(".spec.listeners")
    yield _d(".spec.tls.backend.clientCertificateRef.group", "")
    yield _d(".spec.tls.backend.clientCertificateRef.kind", "Secret")
    yield _d(".spec.tls.frontend.default.validation.mode", "AllowValidOnly")
    yield ("map", ".spec.tls.frontend.perPort", ("port",))
    yield _d(".spec.tls.frontend.perPort[*].tls.validation.mode", "AllowValidOnly")


def _listener_set() -> Iterator[Rule]:
    yield from _parent_refs(".spec.parentRef")
    yield from _listeners(".spec.listeners")


def _backend_refs(rules: str) -> Iterator[Rule]:
    yield from _service_ref(f"{rules}.backendRefs[*]")
    yield _d(f"{rules}.backendRefs[*].weight", 1)


def _http_route() -> Iterator[Rule]:
    rules = ".spec.rules[*]"
    yield from _parent_refs(".spec.parentRefs[*]")
    yield _d(".spec.rules", [{"matches": [_CATCH_ALL_MATCH]}])
    yield _d(f"{rules}.matches", [_CATCH_ALL_MATCH])
    yield _d(f"{rules}.matches[*].path", _CATCH_ALL_MATCH["path"])
    yield _d(f"{rules}.matches[*].path.type", "PathPrefix")
    yield _d(f"{rules}.matches[*].path.value", "/")
    for field in ("headers", "queryParams"):
        yield ("map", f"{rules}.matches[*].{field}", ("name",))
        yield _d(f"{rules}.matches[*].{field}[*].type", "Exact")
    yield from _backend_refs(rules)
    yield from _http_filters(f"{rules}.filters[*]")
    yield from _http_filters(f"{rules}.backendRefs[*].filters[*]")
    yield from _session_persistence(f"{rules}.sessionPersistence")
    yield ("duration", f"{rules}.timeouts.request", None)
    yield ("duration", f"{rules}.timeouts.backendRequest", None)
    yield ("duration", f"{rules}.retry.backoff", None)
    yield ("set", f"{rules}.retry.codes", None)


def _grpc_route() -> Iterator[Rule]:
    rules = ".spec.rules[*]"
    yield from _parent_refs(".spec.parentRefs[*]")
    yield _d(f"{rules}.matches[*].method.type", "Exact")
    yield ("map", f"{rules}.matches[*].headers", ("name",))
    yield _d(f"{rules}.matches[*].headers[*].type", "Exact")
    yield from _backend_refs(rules)
    yield from _grpc_filters(f"{rules}.filters[*]")
    yield from _grpc_filters(f"{rules}.backendRefs[*].filters[*]")
    yield from _session_persistence(f"{rules}.sessionPersistence")


def _l4_route() -> Iterator[Rule]:
    yield from _parent_refs(".spec.parentRefs[*]")
    yield from _backend_refs(".spec.rules[*]")


def _backend_traffic_policy() -> Iterator[Rule]:
    yield ("map", ".spec.targetRefs", ("group", "kind", "name"))
    yield _d(".spec.retryConstraint.budget", {"percent": 20, "interval": "10s"})
    yield _d(".spec.retryConstraint.budget.percent", 20)
    yield _d(".spec.retryConstraint.budget.interval", "10s")
    yield ("duration", ".spec.retryConstraint.budget.interval", None)
    yield _d(".spec.retryConstraint.minRetryRate", {"count": 10, "interval": "1s"})
    yield ("duration", ".spec.retryConstraint.minRetryRate.interval", None)
    yield from _session_persistence(".spec.sessionPersistence")


def _backend() -> Iterator[Rule]:
    yield _d(".spec.tls.clientCertificateRef.group", "")
    yield _d(".spec.tls.clientCertificateRef.kind", "Secret")


def _none() -> Iterator[Rule]:
    yield from ()


_TABLE = {
    GroupKind(GATEWAY_GROUP, "GatewayClass"): _none,
    GroupKind(GATEWAY_GROUP, "Gateway"): _gateway,
    GroupKind(GATEWAY_GROUP, "ListenerSet"): _listener_set,
    GroupKind(GATEWAY_GROUP, "HTTPRoute"): _http_route,
    GroupKind(GATEWAY_GROUP, "GRPCRoute"): _grpc_route,
    GroupKind(GATEWAY_GROUP, "TLSRoute"): _l4_route,
    GroupKind(GATEWAY_GROUP, "TCPRoute"): _l4_route,
    GroupKind(GATEWAY_GROUP, "UDPRoute"): _l4_route,
    GroupKind(GATEWAY_GROUP, "ReferenceGrant"): _none,
    GroupKind(GATEWAY_GROUP, "BackendTLSPolicy"): _none,
    GroupKind(GATEWAY_X_GROUP, "XBackendTrafficPolicy"): _backend_traffic_policy,
    GroupKind(GATEWAY_X_GROUP, "XBackend"): _backend,
    GroupKind(GATEWAY_X_GROUP, "XMesh"): _none,
    GroupKind(GATEWAY_X_GROUP, "XListenerSet"): _listener_set,
}

BUILTIN_KINDS: frozenset[GroupKind] = frozenset(_TABLE)
"""Gateway API kinds the built-in table covers."""


def _config_map() -> Iterator[Rule]:
    yield ("string-map", ".data", None)
    yield ("string-map", ".binaryData", None)


def _secret() -> Iterator[Rule]:
    yield ("string-map", ".data", None)
    yield ("string-map", ".stringData", None)
    yield _d(".type", "Opaque")


_NATIVE = {GroupKind("", "ConfigMap"): _config_map, GroupKind("", "Secret"): _secret}
"""Core kinds whose few static server defaults are known offline (not reported as built-in)."""

_SEGMENT = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[\*\]")


def builtin_rules(gk: GroupKind) -> list[Rule] | None:
    """The §6 rules of a Gateway API kind (or core Secret/ConfigMap), or None when not covered."""
    factory = _TABLE.get(gk) or _NATIVE.get(gk)
    return list(factory()) if factory is not None else None


def _open_node() -> dict[str, Any]:
    return {"x-kubernetes-preserve-unknown-fields": True}


def _node_at(root: dict[str, Any], path: str) -> dict[str, Any]:
    node = root
    for match in _SEGMENT.finditer(path):
        if match.group(1) is not None:
            node["type"] = "object"
            node = node.setdefault("properties", {}).setdefault(match.group(1), _open_node())
        else:
            node["type"] = "array"
            node = node.setdefault("items", _open_node())
    return node


def builtin_openapi(gk: GroupKind) -> dict[str, Any] | None:
    """An ``openAPIV3Schema``-shaped dict of the built-in rules of ``gk`` (None: not covered)."""
    rules = builtin_rules(gk)
    if rules is None:
        return None
    root = _open_node()
    for what, path, value in rules:
        node = _node_at(root, path)
        if what == "default":
            node["default"] = copy.deepcopy(value)
        elif what in ("map", "set"):
            node["x-kubernetes-list-type"] = what
            if value:
                node["x-kubernetes-list-map-keys"] = list(value)
        elif what == "atomic-map":
            node["x-kubernetes-map-type"] = "atomic"
        elif what == "string-map":
            node["additionalProperties"] = {"type": "string"}
        else:
            node["pattern"] = _DURATION
    return root
