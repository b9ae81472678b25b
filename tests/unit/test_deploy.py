"""The shipped RBAC is read-only, never grants Secrets, and covers every group the catalogue reads."""

from __future__ import annotations

from pathlib import Path

import yaml

from auditor.kinds import MESH_MARKERS, default_catalogue

RBAC = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"


def test_rbac_is_read_only_and_covers_the_catalogue() -> None:
    docs = list(yaml.safe_load_all(RBAC.read_text()))
    (role,) = [d for d in docs if d["kind"] == "ClusterRole"]
    groups: set[str] = set()
    for rule in role["rules"]:
        assert set(rule["verbs"]) <= {"get", "list"}
        assert "secrets" not in rule["resources"]
        groups.update(rule["apiGroups"])
    assert {gk.group for gk in default_catalogue()} <= groups


def test_rbac_reads_configmaps_only_by_marker_name() -> None:
    docs = list(yaml.safe_load_all(RBAC.read_text()))
    (role,) = [d for d in docs if d["kind"] == "ClusterRole"]
    rules = [r for r in role["rules"] if "configmaps" in r["resources"]]
    assert rules
    for rule in rules:
        assert rule["verbs"] == ["get"]
        assert set(rule["resourceNames"]) == {m.name for m in MESH_MARKERS}
    core = {res for r in role["rules"] if "" in r["apiGroups"] for res in r["resources"]}
    assert {"pods", "serviceaccounts", "namespaces", "services"} <= core


def test_the_only_write_is_leases_in_the_auditors_namespace() -> None:
    docs = list(yaml.safe_load_all(RBAC.read_text()))
    (role,) = [d for d in docs if d["kind"] == "Role"]
    assert role["metadata"]["namespace"] == "platform-auditor"
    assert role["rules"] == [
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "verbs": ["get", "create", "update"],
        }
    ]
    (binding,) = [d for d in docs if d["kind"] == "RoleBinding"]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]


def test_serve_deployment_names_the_lease_holder_and_probes() -> None:
    (deployment,) = yaml.safe_load_all((RBAC.parent / "serve.yaml").read_text())
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"] for e in container["env"]}
    assert {"POD_NAME", "POD_NAMESPACE"} <= env
    assert container["args"][0] == "serve"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
