"""End to end through the CLI: a real Git remote, the emulated API server reached by the real
kubernetes client, and the history database (SQLite and PostgreSQL). Three audits of a changing
live state open, resolve and reopen one finding under a stable id; failures make runs partial and
resolve nothing."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest

from auditor import cli
from tests.gitrepo import GitRemote
from tests.integration.conftest_k8s import K8sApi, K8sApiFactory

GW = "gateway.networking.k8s.io"

ROUTE_GIT = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: checkout
spec:
  parentRefs:
    - name: edge
  hostnames: [pay.example.com]
  rules:
    - backendRefs:
        - {name: checkout, port: 8080, weight: 90}
        - {name: checkout-canary, port: 8080, weight: 10}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  gatewayClassName: istio
  listeners:
    - {name: http, port: 80, protocol: HTTP, hostname: "*.example.com"}
---
apiVersion: v1
kind: Secret
metadata:
  name: tls
type: Opaque
data:
  tls.key: c3VwZXItc2VjcmV0LXZhbHVl
---
# Istio is not installed in this cluster: not applicable, never "missing".
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-by-default
spec: {}
"""

SECRET_VALUE = "c3VwZXItc2VjcmV0LXZhbHVl"  # must never appear anywhere


def managed(manager: str, operation: str, time: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "manager": manager,
        "operation": operation,
        "apiVersion": f"{GW}/v1",
        "time": time,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    }


def live_route(weights: tuple[int, int]) -> dict[str, Any]:
    return {
        "apiVersion": f"{GW}/v1",
        "kind": "HTTPRoute",
        "metadata": {
            "name": "checkout",
            "namespace": "payments",
            "uid": "5d0e6a1c-1",
            "resourceVersion": "4711",
            "generation": 3,
            "creationTimestamp": "2026-11-01T09:00:00Z",
            "labels": {"argocd.argoproj.io/instance": "payments"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
            "managedFields": [
                managed(
                    "argocd-controller",
                    "Apply",
                    "2026-11-01T09:00:00Z",
                    {"f:spec": {"f:parentRefs": {}, "f:hostnames": {}}},
                ),
                managed(
                    "kubectl-edit", "Update", "2026-11-20T10:31:02Z", {"f:spec": {"f:rules": {}}}
                ),
            ],
        },
        "spec": {
            "parentRefs": [{"group": GW, "kind": "Gateway", "name": "edge"}],
            "hostnames": ["pay.example.com"],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [
                        {
                            "group": "",
                            "kind": "Service",
                            "name": "checkout",
                            "port": 8080,
                            "weight": weights[0],
                        },
                        {
                            "group": "",
                            "kind": "Service",
                            "name": "checkout-canary",
                            "port": 8080,
                            "weight": weights[1],
                        },
                    ],
                }
            ],
        },
        "status": {"parents": []},
    }


LIVE_GATEWAY = {
    "apiVersion": f"{GW}/v1",
    "kind": "Gateway",
    "metadata": {
        "name": "edge",
        "namespace": "payments",
        "uid": "g-1",
        "resourceVersion": "9",
        "generation": 1,
    },
    "spec": {
        "gatewayClassName": "istio",
        "listeners": [
            {
                "name": "http",
                "port": 80,
                "protocol": "HTTP",
                "hostname": "*.example.com",
                "allowedRoutes": {"namespaces": {"from": "Same"}},
            },
        ],
    },
}


def service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "payments"},
        "spec": {"ports": [{"port": 8080, "protocol": "TCP"}]},
    }


@pytest.fixture
def world(tmp_path: Path, k8s_api: K8sApiFactory, db_url: str) -> dict[str, Any]:
    remote = GitRemote.create(tmp_path / "gitops")
    remote.commit({"clusters/prod/payments/app.yaml": ROUTE_GIT}, message="payments")
    api: K8sApi = k8s_api(channel="standard", context="prod")
    emulator = api.emulator
    emulator.put(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "payments", "labels": {"kubernetes.io/metadata.name": "payments"}},
        }
    )
    emulator.put(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "tls", "namespace": "payments"},
            "data": {"tls.key": SECRET_VALUE},
        }
    )
    for name in ("checkout", "checkout-canary"):
        emulator.put(service(name))
    emulator.put(copy.deepcopy(LIVE_GATEWAY))
    emulator.put(live_route((50, 50)))
    config = tmp_path / "auditor.yaml"
    config.write_text(
        f"""
database: {{url: "{db_url}"}}
git: {{cache_dir: {tmp_path / "cache"}}}
clusters: [{{name: prod, kubeconfig: {api.kubeconfig}, context: prod}}]
repositories: [{{name: gitops, url: "{remote.url}", ref: main}}]
kinds: {{secret_metadata: true}}
teams:
  - name: payments
    namespaces: [payments]
    sources: [{{repository: gitops, paths: ["clusters/{{cluster}}/payments/*.yaml"], default_namespace: payments}}]
"""
    )
    return {"config": config, "emulator": emulator, "remote": remote, "db": db_url}


def audit(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, Any]]:
    code = cli.main(["audit", "--config", str(world["config"]), "--format", "json", *extra])
    out = capsys.readouterr()
    assert SECRET_VALUE not in out.out + out.err
    return code, json.loads(out.out)


def only(findings: list[dict[str, Any]], check: str) -> dict[str, Any]:
    matching = [f for f in findings if f["check"] == check]
    assert len(matching) == 1, [(f["check"], f["message"]) for f in findings]
    return matching[0]


def test_three_audits_open_resolve_and_reopen(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, first = audit(world, capsys, "-vv", "--log-format", "json")  # debug logs checked too
    assert first["run"]["status"] == "complete", first["run"]["skipped"]
    assert code == 1
    drift = only(first["findings"], "PDA-DR-003")
    assert drift["object"] == {
        "group": GW,
        "kind": "HTTPRoute",
        "namespace": "payments",
        "name": "checkout",
    }
    assert drift["severity"] == "high"
    assert (
        drift["origin"]["path"] == "clusters/prod/payments/app.yaml"
        and drift["origin"]["line"] == 1
    )
    assert [
        (c["path"], c["desired"], c["live"], c["manager"], c["operation"], c["time"])
        for c in drift["changes"]
    ] == [
        (
            "spec.rules[0].backendRefs[0].weight",
            90,
            50,
            "kubectl-edit",
            "Update",
            "2026-11-20T10:31:02Z",
        ),
        (
            "spec.rules[0].backendRefs[1].weight",
            10,
            50,
            "kubectl-edit",
            "Update",
            "2026-11-20T10:31:02Z",
        ),
    ]
    assert not [f for f in first["findings"] if f["check"] == "PDA-DR-001"], (
        "Istio is not served: not applicable"
    )

    world["emulator"].put(live_route((90, 10)))  # someone reverts the edit
    code, second = audit(world, capsys)
    assert second["run"]["status"] == "complete"
    assert not [f for f in second["findings"] if f["check"] == "PDA-DR-003"]

    world["emulator"].put(live_route((0, 100)))  # and drifts again
    code, third = audit(world, capsys)
    again = only(third["findings"], "PDA-DR-003")
    assert again["id"] == drift["id"]

    assert cli.main(["show", drift["id"][:12], "--db", world["db"], "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [e["type"] for e in shown["events"]] == ["opened", "resolved", "reopened"]
    assert [e["run_id"] for e in shown["events"]] == [
        first["run"]["id"],
        second["run"]["id"],
        third["run"]["id"],
    ]
    assert shown["status"] == "open"

    assert cli.main(["history", "--db", world["db"], "--status", "all", "--format", "json"]) == 0
    history = json.loads(capsys.readouterr().out)["findings"]
    assert drift["id"] in {f["id"] for f in history}
    dump = json.dumps(history) + json.dumps(shown)
    assert SECRET_VALUE not in dump
    if world["db"].startswith("sqlite:///"):
        database = Path(world["db"].removeprefix("sqlite:///"))
        for file in database.parent.glob(database.name + "*"):  # the file and its WAL
            assert SECRET_VALUE.encode() not in file.read_bytes()


def test_forbidden_kind_makes_the_run_partial_and_resolves_nothing(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _, first = audit(world, capsys)
    drift = only(first["findings"], "PDA-DR-003")
    world["emulator"].fail(GW, "httproutes", status=403)
    code, second = audit(world, capsys)
    assert code == 3
    assert second["run"]["status"] == "partial"
    assert {"subject": f"cluster prod: {GW}/HTTPRoute", "reason": "403 Forbidden"} in [
        {"subject": s["subject"], "reason": s["reason"]} for s in second["run"]["skipped"]
    ]
    # The route was not observed: not "missing" (no DR-001), and its drift is not resolved.
    assert not [f for f in second["findings"] if f["check"] in ("PDA-DR-001", "PDA-DR-003")]
    assert cli.main(["show", drift["id"], "--db", world["db"], "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "open"
    assert [e["type"] for e in shown["events"]] == ["opened"]
    code, _ = audit(world, capsys, "--allow-partial")
    assert code == 0


def test_unreachable_git_makes_the_run_partial_without_false_unmanaged(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, first = audit(world, capsys)
    drift = only(first["findings"], "PDA-DR-003")
    config: Path = world["config"]
    config.write_text(
        config.read_text().replace(world["remote"].url, (tmp_path / "gone.git").as_uri())
    )
    (tmp_path / "cache").rename(tmp_path / "cache-old")
    code, second = audit(world, capsys)
    assert code == 3
    assert any(
        s["subject"].startswith("team payments: repository gitops")
        for s in second["run"]["skipped"]
    )
    assert not [f for f in second["findings"] if f["check"] == "PDA-DR-002"], (
        "Git unread: nothing is unmanaged"
    )
    assert cli.main(["show", drift["id"], "--db", world["db"], "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "open"


def test_no_store_never_opens_the_database(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config: Path = world["config"]
    config.write_text(
        config.read_text().replace(world["db"], "postgresql+psycopg://nobody@127.0.0.1:1/none")
    )
    code, result = audit(world, capsys, "--no-store")
    assert code == 1 and result["findings"]
    code = cli.main(["audit", "--config", str(config)])
    assert code == 2
    assert "127.0.0.1" in capsys.readouterr().err


def test_retention_prunes_old_runs_but_keeps_open_findings(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    config: Path = world["config"]
    config.write_text(
        config.read_text().replace('database: {url: "', 'database: {retention: 1s, url: "')
    )
    _, first = audit(world, capsys)
    drift = only(first["findings"], "PDA-DR-003")
    time.sleep(1.2)
    _, second = audit(world, capsys)
    assert cli.main(["runs", "--db", world["db"], "--format", "json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)["runs"]] == [second["run"]["id"]]
    assert cli.main(["show", drift["id"], "--db", world["db"], "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "open" and [e["type"] for e in shown["events"]] == ["opened"]
