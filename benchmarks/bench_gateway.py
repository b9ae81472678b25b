"""Benchmark of the Gateway API analysis: a generated fleet at two sizes (N and 2N).

Run: ``.venv/bin/python benchmarks/bench_gateway.py [--scale 1.0]``. At scale 1 the base fleet is
200 namespaces, 50 Gateways, 10,000 routes (HTTP, GRPC, TLS, TCP), 2,000 ReferenceGrants and their
Services; the second run doubles every count. Prints objects/second and the time ratio, which
should be close to 2 (the analysis is linear: indexes are built once, no route × grant loops).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from auditor.checks.gateway import GatewaySettings, check_gateway
from auditor.keys import key_of
from auditor.kinds import BUILTIN_KINDS, GATEWAY_KINDS
from auditor.model import AllowedParent, ClusterState, KubeObject, TeamPolicy, View

GW = "gateway.networking.k8s.io/v1"


def _gateway(i: int) -> dict[str, Any]:
    selector = {"matchLabels": {"tier": f"t{i % 5}"}}
    return {
        "apiVersion": GW,
        "kind": "Gateway",
        "metadata": {"name": f"gw-{i}", "namespace": f"infra-{i % 10}"},
        "spec": {
            "gatewayClassName": "example",
            "listeners": [
                {
                    "name": "http",
                    "port": 80,
                    "protocol": "HTTP",
                    "allowedRoutes": {"namespaces": {"from": "All"}},
                },
                {
                    "name": "https",
                    "port": 443,
                    "protocol": "HTTPS",
                    "hostname": f"*.gw{i}.example.com",
                    "tls": {"certificateRefs": [{"name": "cert", "namespace": "certs"}]},
                    "allowedRoutes": {"namespaces": {"from": "Selector", "selector": selector}},
                },
                {
                    "name": "tls",
                    "port": 8443,
                    "protocol": "TLS",
                    "tls": {"mode": "Passthrough"},
                    "allowedRoutes": {"namespaces": {"from": "All"}},
                },
                {"name": "tcp", "port": 5432, "protocol": "TCP"},
            ],
        },
    }


def _route(i: int, namespaces: int, gateways: int) -> dict[str, Any]:
    ns = f"team-{i % namespaces}"
    kind = ("HTTPRoute", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute")[i % 5]
    backend_ns = ns if i % 3 else f"team-{(i + 1) % namespaces}"
    section = {"HTTPRoute": "https", "GRPCRoute": "http", "TLSRoute": "tls", "TCPRoute": "tcp"}[
        kind
    ]
    gw = i % gateways
    spec: dict[str, Any] = {
        "parentRefs": [
            {"name": f"gw-{gw}", "namespace": f"infra-{gw % 10}", "sectionName": section}
        ],
        "rules": [
            {"backendRefs": [{"name": f"svc-{i % 40}", "namespace": backend_ns, "port": 80}]}
        ],
    }
    if kind in ("HTTPRoute", "GRPCRoute", "TLSRoute"):
        spec["hostnames"] = [f"r{i}.gw{gw}.example.com"]
    if kind == "HTTPRoute":
        spec["rules"][0]["matches"] = [{"path": {"type": "PathPrefix", "value": f"/p{i % 7}"}}]
    return {
        "apiVersion": GW,
        "kind": kind,
        "metadata": {"name": f"r-{i}", "namespace": ns},
        "spec": spec,
    }


def _grant(i: int, namespaces: int) -> dict[str, Any]:
    target = f"team-{(i + 1) % namespaces}"
    return {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"name": f"g-{i}", "namespace": target},
        "spec": {
            "from": [
                {
                    "group": "gateway.networking.k8s.io",
                    "kind": "HTTPRoute",
                    "namespace": f"team-{i % namespaces}",
                }
            ],
            "to": [{"group": "", "kind": "Service", "name": f"svc-{i % 40}"}],
        },
    }


def fleet(scale: float) -> list[dict[str, Any]]:
    namespaces, gateways = int(200 * scale), int(50 * scale)
    routes, grants = int(10_000 * scale), int(2_000 * scale)
    bodies: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": f"team-{n}", "labels": {"tier": f"t{n % 5}"}},
        }
        for n in range(namespaces)
    ]
    bodies += [_gateway(i) for i in range(gateways)]
    bodies += [_route(i, namespaces, gateways) for i in range(routes)]
    bodies += [_grant(i, namespaces) for i in range(grants)]
    bodies += [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": f"svc-{s}", "namespace": f"team-{n}"},
            "spec": {"ports": [{"port": 80}]},
        }
        for n in range(namespaces)
        for s in range(0, 40, 4)
    ]
    bodies.append(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cert", "namespace": "certs"}}
    )
    return bodies


def teams(scale: float) -> tuple[TeamPolicy, ...]:
    out = [
        TeamPolicy(
            name=f"team{t}",
            namespaces=(f"team-{t}*",),
            allowed_parents=(AllowedParent(namespace="infra-0", name="gw-0"),),
            hostnames=("*.example.com",),
        )
        for t in range(10)
    ]
    return (*out, TeamPolicy(name="platform", namespaces=("infra-*", "certs")))


def run(scale: float) -> tuple[int, float, int]:
    bodies = fleet(scale)
    objects = {}
    for body in bodies:
        key = key_of(body)
        objects[key] = KubeObject(key=key, body=body)
    observed = frozenset(BUILTIN_KINDS | set(GATEWAY_KINDS))
    state = ClusterState(cluster="bench", view=View.GIT, objects=objects, observed=observed)
    settings = GatewaySettings(teams=teams(scale))
    start = time.perf_counter()
    findings = check_gateway(state, settings=settings)
    return len(objects), time.perf_counter() - start, len(findings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size of the base fleet (N)")
    args = parser.parse_args()
    results = []
    for factor in (1, 2):
        count, seconds, findings = run(args.scale * factor)
        results.append(seconds)
        print(
            f"{factor}N: {count} objects, {findings} findings, {seconds:.2f}s, "
            f"{count / seconds:,.0f} objects/s"
        )
    print(f"time ratio 2N/N: {results[1] / results[0]:.2f} (linear = 2.0)")


if __name__ == "__main__":
    main()
