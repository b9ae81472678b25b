"""``auditor audit`` on a live cluster (the API emulator) with Istio: mesh findings per team on
both views, AM-001 from Git vs live, history; and a marker that cannot be read makes the run
partial without raising or resolving any Istio finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor import cli
from tests.gitrepo import GitRemote
from tests.integration.conftest_k8s import K8sApiFactory
from tests.k8s_emulator import Resource

GIT = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: v1
kind: Namespace
metadata: {name: pay, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: shop}
spec: {mtls: {mode: PERMISSIVE}}
"""


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


@pytest.fixture
def config(tmp_path: Path, k8s_api: K8sApiFactory) -> tuple[Path, Any]:
    remote = GitRemote.create(tmp_path / "repo")
    remote.commit({"mesh/all.yaml": GIT})
    api = k8s_api(channel="standard", context="prod")
    emulator = api.emulator
    for plural, kind in (
        ("authorizationpolicies", "AuthorizationPolicy"),
        ("peerauthentications", "PeerAuthentication"),
    ):
        emulator.add_resource(
            Resource(group="security.istio.io", plural=plural, kind=kind, namespaced=True)
        )
    emulator.put(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "istio", "namespace": "istio-system"},
            "data": {"mesh": "trustDomain: cluster.local\n"},
        }
    )
    emulator.put(namespace("shop", **{"istio.io/dataplane-mode": "ambient"}))
    emulator.put(namespace("pay"))  # ambient in Git, not live: PDA-AM-001
    emulator.put(
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "PeerAuthentication",
            "metadata": {"name": "default", "namespace": "shop"},
            "spec": {"mtls": {"mode": "PERMISSIVE"}},
        }
    )
    emulator.put(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "legacy", "namespace": "shop"},
            "spec": {
                "selector": {"matchLabels": {"app": "legacy"}},
                "template": {
                    "metadata": {"labels": {"app": "legacy", "istio.io/dataplane-mode": "none"}},
                    "spec": {"containers": [{"name": "c", "image": "c"}]},
                },
            },
        }
    )
    path = tmp_path / "auditor.yaml"
    path.write_text(
        f"""
database: {{url: "sqlite:///{tmp_path / "a.db"}"}}
git: {{cache_dir: {tmp_path / "cache"}}}
clusters: [{{name: prod, kubeconfig: {api.kubeconfig}, context: prod}}]
repositories: [{{name: r, url: "{remote.url}"}}]
teams:
  - {{name: shop, namespaces: [shop, pay], cluster_scoped: true, sources: [{{repository: r, paths: ["mesh/*.yaml"]}}]}}
"""
    )
    return path, emulator


def audit(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, dict[str, Any]]:
    code = cli.main(["audit", "--config", str(path), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def mesh(result: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (f["check"], f["object"]["name"]): f
        for f in result["findings"]
        if f["check"][4:6] in ("AZ", "MT", "AM")
    }


def test_mesh_findings_are_audited_and_never_resolved_blind(
    config: tuple[Path, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path, emulator = config
    _, first = audit(capsys, path)
    assert first["run"]["status"] == "complete"
    found = mesh(first)
    assert found[("PDA-MT-001", "default")]["team"] == "shop"
    assert found[("PDA-AM-002", "legacy")]["view"] == "live"
    drift = found[("PDA-AM-001", "pay")]
    assert (drift["view"], drift["severity"], drift["team"]) == ("git", "critical", "shop")
    assert drift["origin"]["path"] == "mesh/all.yaml"

    emulator.fail_path("/api/v1/namespaces/istio-system/configmaps/istio", status=403)
    code, second = audit(capsys, path)
    assert code == 3 and second["run"]["status"] == "partial"
    assert mesh(second) == {}, "Istio unread: nothing judged"
    for f in found.values():
        assert cli.main(["show", f["id"], "--config", str(path), "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["status"] == "open", f["check"]
