"""Drift throughput: normalize and diff N and 2N generated HTTPRoute pairs, 1 % of them drifted.

Run: ``.venv/bin/python benchmarks/bench_drift.py [--pairs N]``. Uses the real v1.6.1 CRD bundle
from ``../shared/crds`` when present, else the built-in Gateway API table. Prints pairs/second
for both sizes; roughly equal rates mean linear scaling.
"""

from __future__ import annotations

import argparse
import copy
import gc
import time
from pathlib import Path
from typing import Any

import yaml

from auditor.checks.drift import DriftSettings, check_drift
from auditor.keys import GroupKind, key_of
from auditor.model import KubeObject
from auditor.normalize import SchemaRegistry

GW = "gateway.networking.k8s.io"
BUNDLE = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "crds"
    / "gateway-api"
    / "v1.6.1"
    / "standard.yaml"
)


def schemas() -> tuple[SchemaRegistry, str]:
    if not BUNDLE.exists():
        return SchemaRegistry.from_crds([]), "built-in table"
    with BUNDLE.open() as f:
        crds = [
            d
            for d in yaml.load_all(f, Loader=yaml.CSafeLoader)
            if d and d.get("kind") == "CustomResourceDefinition"
        ]
    return SchemaRegistry.from_crds(crds), "CRD bundle v1.6.1"


def git_route(i: int) -> dict[str, Any]:
    return {
        "apiVersion": f"{GW}/v1",
        "kind": "HTTPRoute",
        "metadata": {
            "name": f"route-{i}",
            "namespace": f"team-{i % 50}",
            "labels": {"app": f"app-{i}"},
        },
        "spec": {
            "parentRefs": [{"name": "public", "namespace": "infra", "sectionName": "https"}],
            "hostnames": [f"app-{i}.example.com"],
            "rules": [
                {
                    "matches": [
                        {"path": {"value": "/api"}, "headers": [{"name": "x-env", "value": "prod"}]}
                    ],
                    "backendRefs": [
                        {"name": f"app-{i}", "port": 8080, "weight": 90},
                        {"name": f"app-{i}-canary", "port": 8080, "weight": 10},
                    ],
                    "timeouts": {"request": "30s"},
                },
                {"backendRefs": [{"name": f"app-{i}", "port": 8080}]},
            ],
        },
    }


def live_route(git: dict[str, Any], i: int, drifted: bool) -> dict[str, Any]:
    spec = copy.deepcopy(git["spec"])
    spec["parentRefs"][0].update(group=GW, kind="Gateway")
    first, second = spec["rules"]
    first["matches"][0]["path"]["type"] = "PathPrefix"
    first["matches"][0]["headers"][0]["type"] = "Exact"
    for ref in (*first["backendRefs"], *second["backendRefs"]):
        ref.update(group="", kind="Service")
        ref.setdefault("weight", 1)
    second["matches"] = [{"path": {"type": "PathPrefix", "value": "/"}}]
    if drifted:
        first["backendRefs"][0]["weight"] = 50
    meta = copy.deepcopy(git["metadata"])
    meta.update(
        uid=f"uid-{i}",
        resourceVersion=str(1000 + i),
        generation=1,
        creationTimestamp="2026-11-01T00:00:00Z",
        annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}"},
        managedFields=[
            {
                "manager": "argocd-controller",
                "operation": "Apply",
                "time": "2026-11-01T00:00:00Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:metadata": {"f:labels": {"f:app": {}}},
                    "f:spec": {"f:hostnames": {}, "f:parentRefs": {}, "f:rules": {}},
                },
            },
            {
                "manager": "kubectl-edit",
                "operation": "Update",
                "time": "2026-11-02T00:00:00Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {"f:rules": {}}},
            },
        ],
    )
    status = {
        "parents": [{"parentRef": {"name": "public"}, "controllerName": "x", "conditions": []}]
    }
    return {
        "apiVersion": f"{GW}/v1",
        "kind": "HTTPRoute",
        "metadata": meta,
        "spec": spec,
        "status": status,
    }


def objects(n: int) -> tuple[list[KubeObject], list[KubeObject]]:
    desired, live = [], []
    for i in range(n):
        body = git_route(i)
        desired.append(KubeObject(key=key_of(body), body=body))
        other = live_route(body, i, drifted=i % 100 == 0)
        live.append(KubeObject(key=key_of(other), body=other))
    return desired, live


def measure(n: int, registry: SchemaRegistry) -> tuple[float, int]:
    desired, live = objects(n)
    gc.collect()
    start = time.perf_counter()
    findings = check_drift(
        cluster="bench",
        desired=desired,
        live=live,
        observed=frozenset({GroupKind(GW, "HTTPRoute")}),
        schemas=registry,
        settings=DriftSettings(),
    )
    return time.perf_counter() - start, len(findings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5000, help="N (the second run uses 2N)")
    args = parser.parse_args()
    registry, source = schemas()
    measure(100, registry)  # warm-up: compile the schema
    print(f"schemas: {source}")
    rates = []
    for n in (args.pairs, 2 * args.pairs):
        seconds, found = measure(n, registry)
        rates.append(n / seconds)
        print(f"{n:>7} pairs: {seconds:6.2f} s  {n / seconds:9.0f} pairs/s  {found} drift findings")
    print(f"scaling: 2N rate / N rate = {rates[1] / rates[0]:.2f} (1.00 = linear)")


if __name__ == "__main__":
    main()
