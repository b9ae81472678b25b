"""A generated, realistic fleet for ``bench_fleet.py``: live objects (with API-server fields and
injected drift) and the Git manifests that declare them.

Per team namespace (20 live objects): the Namespace, 4 Services, a TLS Secret, a ConfigMap, 4
HTTPRoutes, a GRPCRoute, a TLSRoute, a TCPRoute, a UDPRoute, a ReferenceGrant, 2 Istio
AuthorizationPolicies, a PeerAuthentication and a NetworkPolicy. Every 50 namespaces share an infra
namespace with 2 Gateways. Teams own 10 namespaces each. Live objects carry ``uid``,
``resourceVersion``, ``managedFields`` (Argo CD apply, the gateway controller's status update),
``status`` and tool annotations. Injected drift, deterministic by index: 1 % of HTTPRoutes have a
backend weight edited by ``kubectl-edit``; 0.5 % of routes exist only in Git; one
AuthorizationPolicy in 200 exists only live (unmanaged); 1 % of routes attach to a Gateway in
another namespace whose listener does not allow it.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

GW = "gateway.networking.k8s.io"
GW_V1 = f"{GW}/v1"
ISTIO = "security.istio.io/v1"
PER_NAMESPACE = 20
NAMESPACES_PER_INFRA = 50
NAMESPACES_PER_TEAM = 10
CREATED = "2026-11-01T00:00:00Z"

Body = dict[str, Any]


@dataclass(slots=True)
class Fleet:
    """Live objects, the Git files (path -> YAML text) and the teams (name -> namespaces)."""

    live: list[Body] = field(default_factory=list)
    git: dict[str, list[Body]] = field(default_factory=dict)
    teams: dict[str, list[str]] = field(default_factory=dict)


def _meta(name: str, namespace: str | None, **extra: Any) -> Body:
    meta: Body = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta.update(extra)
    return meta


def _apply_fields(body: Body) -> Body:
    """A FieldsV1 set covering the declared metadata labels and every top-level spec field."""
    fields: Body = {}
    labels = body["metadata"].get("labels")
    if labels:
        fields["f:metadata"] = {"f:labels": {f"f:{k}": {} for k in labels}}
    spec = body.get("spec")
    if isinstance(spec, dict):
        fields["f:spec"] = {f"f:{k}": {} for k in spec}
    return fields


def _live(git: Body, i: int, *, status: Body | None, edited: Body | None = None) -> Body:
    """The live twin of a Git object: server metadata, managedFields, status, defaults."""
    body = copy.deepcopy(git)
    meta = body["metadata"]
    managed = [
        {
            "manager": "argocd-controller",
            "operation": "Apply",
            "apiVersion": body["apiVersion"],
            "time": CREATED,
            "fieldsType": "FieldsV1",
            "fieldsV1": _apply_fields(git),
        }
    ]
    if status is not None:
        managed.append(
            {
                "manager": "gateway-controller",
                "operation": "Update",
                "apiVersion": body["apiVersion"],
                "time": CREATED,
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:status": {f"f:{k}": {} for k in status}},
                "subresource": "status",
            }
        )
    if edited is not None:
        managed.append(
            {
                "manager": "kubectl-edit",
                "operation": "Update",
                "apiVersion": body["apiVersion"],
                "time": "2026-11-20T10:00:00Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": edited,
            }
        )
    meta.update(
        uid=f"00000000-0000-4000-8000-{i:012d}",
        resourceVersion=str(100000 + i),
        generation=1,
        creationTimestamp=CREATED,
        managedFields=managed,
    )
    annotations = dict(meta.get("annotations") or {})
    annotations["argocd.argoproj.io/tracking-id"] = (
        f"fleet:{body['apiVersion'].rpartition('/')[0]}/{body['kind']}:"
        f"{meta.get('namespace', '')}/{meta['name']}"
    )
    meta["annotations"] = annotations
    labels = dict(meta.get("labels") or {})
    labels["app.kubernetes.io/instance"] = "fleet"
    meta["labels"] = labels
    if status is not None:
        body["status"] = status
    return body


def _conditions(*types: str) -> list[Body]:
    return [
        {
            "type": t,
            "status": "True",
            "reason": t,
            "message": "",
            "lastTransitionTime": CREATED,
            "observedGeneration": 1,
        }
        for t in types
    ]


def _route_status(parent: Body) -> Body:
    return {
        "parents": [
            {
                "parentRef": parent,
                "controllerName": "example.com/gateway-controller",
                "conditions": _conditions("Accepted", "ResolvedRefs"),
            }
        ]
    }


def _gateway(name: str, namespace: str) -> Body:
    selector = {"matchLabels": {"gateway-access": "shared"}}
    return {
        "apiVersion": GW_V1,
        "kind": "Gateway",
        "metadata": _meta(name, namespace, labels={"tier": "edge"}),
        "spec": {
            "gatewayClassName": "example",
            "listeners": [
                {
                    "name": "http",
                    "port": 80,
                    "protocol": "HTTP",
                    "allowedRoutes": {"namespaces": {"from": "Selector", "selector": selector}},
                },
                {
                    "name": "https",
                    "port": 443,
                    "protocol": "HTTPS",
                    "hostname": "*.example.com",
                    "tls": {"certificateRefs": [{"name": "wildcard-cert"}]},
                    "allowedRoutes": {"namespaces": {"from": "Selector", "selector": selector}},
                },
                {
                    "name": "grpc",
                    "port": 8443,
                    "protocol": "HTTPS",
                    "hostname": "*.grpc.example.com",
                    "tls": {"certificateRefs": [{"name": "wildcard-cert"}]},
                    "allowedRoutes": {
                        "namespaces": {"from": "All"},
                        "kinds": [{"kind": "GRPCRoute"}],
                    },
                },
                {
                    "name": "tls",
                    "port": 9443,
                    "protocol": "TLS",
                    "tls": {"mode": "Passthrough"},
                    "allowedRoutes": {"namespaces": {"from": "All"}},
                },
                {
                    "name": "tcp",
                    "port": 5432,
                    "protocol": "TCP",
                    "allowedRoutes": {"namespaces": {"from": "All"}},
                },
                {
                    "name": "udp",
                    "port": 5353,
                    "protocol": "UDP",
                    "allowedRoutes": {"namespaces": {"from": "Selector", "selector": selector}},
                },
            ],
        },
    }


def _gateway_status(gateway: Body) -> Body:
    return {
        "addresses": [{"type": "IPAddress", "value": "10.0.0.1"}],
        "conditions": _conditions("Accepted", "Programmed"),
        "listeners": [
            {
                "name": listener["name"],
                "attachedRoutes": 10,
                "supportedKinds": [{"group": GW, "kind": "HTTPRoute"}],
                "conditions": _conditions("Accepted", "Programmed", "ResolvedRefs"),
            }
            for listener in gateway["spec"]["listeners"]
        ],
    }


def _parent(infra: str, gateway: str, section: str) -> Body:
    return {"name": gateway, "namespace": infra, "sectionName": section}


def _live_parent(parent: Body) -> Body:
    return {"group": GW, "kind": "Gateway", **parent}


def _http_route(name: str, ns: str, parent: Body, svc: str, i: int, other: Body) -> Body:
    return {
        "apiVersion": GW_V1,
        "kind": "HTTPRoute",
        "metadata": _meta(name, ns, labels={"app": name}),
        "spec": {
            "parentRefs": [parent],
            "hostnames": [f"{name}.{ns}.example.com"],
            "rules": [
                {
                    "matches": [
                        {
                            "path": {"type": "PathPrefix", "value": f"/api/v{i % 3}"},
                            "headers": [{"name": "x-env", "value": "prod"}],
                        }
                    ],
                    "filters": [
                        {
                            "type": "RequestHeaderModifier",
                            "requestHeaderModifier": {"add": [{"name": "x-team", "value": ns}]},
                        }
                    ],
                    "backendRefs": [
                        {"name": svc, "port": 8080, "weight": 90},
                        {**other, "port": 8080, "weight": 10},
                    ],
                    "timeouts": {"request": "30s"},
                },
                {"backendRefs": [{"name": svc, "port": 8080}]},
            ],
        },
    }


def _http_route_live(git: Body, drifted: bool) -> tuple[Body, Body | None]:
    """The live spec of an HTTPRoute: API-server defaults applied, optionally edited."""
    spec = copy.deepcopy(git["spec"])
    spec["parentRefs"] = [_live_parent(p) for p in spec["parentRefs"]]
    first, second = spec["rules"]
    first["matches"][0]["headers"][0]["type"] = "Exact"
    for ref in (*first["backendRefs"], *second["backendRefs"]):
        ref.update(group="", kind="Service")
        ref.setdefault("weight", 1)
    second["matches"] = [{"path": {"type": "PathPrefix", "value": "/"}}]
    edited = None
    if drifted:
        first["backendRefs"][0]["weight"] = 50
        edited = {
            "f:spec": {"f:rules": {}},
        }
    return {**git, "spec": spec}, edited


def _simple_route(kind: str, api: str, name: str, ns: str, parent: Body, svc: str) -> Body:
    spec: Body = {"parentRefs": [parent], "rules": [{"backendRefs": [{"name": svc, "port": 8080}]}]}
    if kind in ("GRPCRoute", "TLSRoute"):
        spec["hostnames"] = [f"{name}.{ns}.grpc.example.com"]
    return {"apiVersion": api, "kind": kind, "metadata": _meta(name, ns), "spec": spec}


def _simple_route_live(git: Body) -> Body:
    spec = copy.deepcopy(git["spec"])
    spec["parentRefs"] = [_live_parent(p) for p in spec["parentRefs"]]
    for rule in spec["rules"]:
        for ref in rule["backendRefs"]:
            ref.update(group="", kind="Service", weight=1)
    return {**git, "spec": spec}


def _authz(name: str, ns: str, team: str, action: str) -> Body:
    return {
        "apiVersion": ISTIO,
        "kind": "AuthorizationPolicy",
        "metadata": _meta(name, ns),
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "action": action,
            "rules": [
                {
                    "from": [{"source": {"principals": [f"cluster.local/ns/{ns}/sa/{team}"]}}],
                    "to": [{"operation": {"methods": ["GET", "POST"], "paths": ["/api/*"]}}],
                }
            ],
        },
    }


def _namespace_objects(fleet: Fleet, n: int, team: str, infra: str) -> None:
    ns = f"{team}-ns{n}"
    base = n * PER_NAMESPACE
    git: list[Body] = []
    live: list[Body] = []

    def both(
        obj: Body, idx: int, status: Body | None = None, live_body: Body | None = None
    ) -> None:
        git.append(obj)
        live.append(_live(live_body or obj, base + idx, status=status))

    def live_only(obj: Body, idx: int) -> None:
        live.append(_live(obj, base + idx, status=None))

    live_only(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": _meta(ns, None, labels={"team": team, "gateway-access": "shared"}),
        },
        0,
    )
    for s in range(4):
        live_only(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": _meta(f"svc-{s}", ns, labels={"app": f"svc-{s}"}),
                "spec": {
                    "type": "ClusterIP",
                    "clusterIP": f"10.{n % 250}.{s}.1",
                    "selector": {"app": f"svc-{s}"},
                    "ports": [{"name": "http", "port": 8080, "protocol": "TCP", "targetPort": 80}],
                },
            },
            1 + s,
        )
    live_only(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": _meta("tls", ns),
            "data": {"tls.crt": "LS0tLS1CRUdJTi0tLS0t", "tls.key": "LS0tLS1CRUdJTi0tLS0t"},
        },
        5,
    )
    live_only(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta("settings", ns),
            "data": {"LOG_LEVEL": "info", "FEATURES": "a,b,c"},
        },
        6,
    )
    foreign = n % 100 == 7  # 1 % of namespaces: a route attached where it is not allowed
    for r in range(4):
        i = base + 7 + r
        parent = _parent(infra, f"gw-{n % 2}", "https" if r % 2 else "http")
        if foreign and r == 0:
            parent = _parent(infra, f"gw-{n % 2}", "udp")
        # web-3 sends 10 % to the previous namespace, which grants it (ReferenceGrant)
        other = {"name": f"svc-{(r + 1) % 4}"}
        if r == 3 and n % NAMESPACES_PER_TEAM:
            other = {"name": "svc-0", "namespace": f"{team}-ns{n - 1}"}
        route = _http_route(f"web-{r}", ns, parent, f"svc-{r}", i, other)
        if i % 200 == 9:  # 0.5 %: declared in Git, not (yet) in the cluster
            git.append(route)
            continue
        drifted = i % 100 == 8
        live_spec, edited = _http_route_live(route, drifted)
        git.append(route)
        status = _route_status(_live_parent(parent))
        live.append(_live(live_spec, i, status=status, edited=edited))
    kinds = (
        ("GRPCRoute", GW_V1, "grpc"),
        ("TLSRoute", GW_V1, "tls"),
        ("TCPRoute", GW_V1, "tcp"),
        ("UDPRoute", GW_V1, "udp"),
    )
    for k, (kind, api, section) in enumerate(kinds):
        parent = _parent(infra, f"gw-{n % 2}", section)
        route = _simple_route(kind, api, f"{kind.lower()}-a", ns, parent, f"svc-{k}")
        both(route, 11 + k, _route_status(_live_parent(parent)), _simple_route_live(route))
    # the last namespace of a team grants its sibling, which does not use it: a stale grant
    grantee = f"{team}-ns{n + 1 if (n + 1) % NAMESPACES_PER_TEAM else n - 1}"
    both(
        {
            "apiVersion": GW_V1,
            "kind": "ReferenceGrant",
            "metadata": _meta("from-infra", ns),
            "spec": {
                "from": [{"group": GW, "kind": "HTTPRoute", "namespace": grantee}],
                "to": [{"group": "", "kind": "Service", "name": "svc-0"}],
            },
        },
        15,
    )
    both(_authz("allow-team", ns, team, "ALLOW"), 16)
    deny = _authz("deny-debug", ns, team, "DENY")
    if n % 200 == 3:  # one in 200: applied by hand, not in Git
        live_only(deny, 17)
    else:
        both(deny, 17)
    both(
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "PeerAuthentication",
            "metadata": _meta("default", ns),
            "spec": {"mtls": {"mode": "STRICT"}},
        },
        18,
    )
    both(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta("default-deny", ns),
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": team}}}]}],
            },
        },
        19,
    )
    fleet.live.extend(live)
    fleet.git.setdefault(f"teams/{team}/{ns}.yaml", []).extend(git)
    fleet.teams.setdefault(team, []).append(ns)


def _infra_objects(fleet: Fleet, infra: str, index: int) -> None:
    fleet.live.append(
        _live(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(infra, None)},
            10_000_000 + index * 10,
            status=None,
        )
    )
    fleet.live.append(
        _live(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "kubernetes.io/tls",
                "metadata": _meta("wildcard-cert", infra),
                "data": {"tls.crt": "LS0tLS1CRUdJTi0tLS0t", "tls.key": "LS0tLS1CRUdJTi0tLS0t"},
            },
            10_000_000 + index * 10 + 1,
            status=None,
        )
    )
    for g in range(2):
        gateway = _gateway(f"gw-{g}", infra)
        live_gw = copy.deepcopy(gateway)
        for listener in live_gw["spec"]["listeners"]:
            for ref in (listener.get("tls") or {}).get("certificateRefs", []):
                ref.update(group="", kind="Secret")
        fleet.live.append(
            _live(
                live_gw,
                10_000_000 + index * 10 + 2 + g,
                status=_gateway_status(gateway),
            )
        )
        fleet.git.setdefault(f"platform/{infra}.yaml", []).append(gateway)
    fleet.teams.setdefault("platform", []).append(infra)


def generate(objects: int) -> Fleet:
    """A fleet of about ``objects`` live objects."""
    fleet = Fleet()
    namespaces = max(1, objects // PER_NAMESPACE)
    for n in range(namespaces):
        infra = f"infra-{n // NAMESPACES_PER_INFRA}"
        if n % NAMESPACES_PER_INFRA == 0:
            _infra_objects(fleet, infra, n // NAMESPACES_PER_INFRA)
        _namespace_objects(fleet, n, f"team-{n // NAMESPACES_PER_TEAM}", infra)
    return fleet


def as_list(items: list[Body]) -> Body:
    """``kubectl get -o json`` shape: a ``v1`` List."""
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}


def json_text(items: list[Body]) -> str:
    return json.dumps(as_list(items), indent=4)
