"""``auditor analyze`` gives no verdict on what the input does not show (issue 13, scope 8):
Namespace labels a Selector needs, nameless objects, the scope of unknown kinds; and its JSON
carries the ``run`` object like ``audit``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor import cli
from auditor.sources.files import read_manifests

GATEWAY = """\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
    - name: http
      port: 80
      protocol: HTTP
      allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {exposed: "true"}}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [{name: public, namespace: infra}]
"""

NAMELESS = """\
apiVersion: batch/v1
kind: Job
metadata: {generateName: migrate-, namespace: shop}
spec: {template: {spec: {containers: [{name: m, image: busybox}], restartPolicy: Never}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {labels: {a: b}}
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = cli.main(["analyze", *args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def attachment(out: dict[str, Any]) -> list[tuple[str, str]]:
    """(check, reason) of the route-attachment findings (TN-002 fires on the Selector itself)."""
    return [(f["check"], f["reason"]) for f in out["findings"] if f["check"].startswith("PDA-RT")]


def label_notes(out: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in out["run"]["skipped"] if s["subject"].startswith("namespaces ")]


def test_selector_without_namespace_labels_is_a_note_not_a_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "gw.yaml").write_text(GATEWAY)
    _, out = run(capsys, str(tmp_path))
    assert attachment(out) == []
    run_obj = out["run"]
    assert run_obj["status"] == "complete" and run_obj["revisions"] == {}
    assert run_obj["id"] and run_obj["started_at"] and run_obj["finished_at"]
    (note,) = label_notes(out)
    assert note["subject"] == "namespaces shop" and note["partial"] is False
    assert "labels are unknown" in note["reason"]


def test_assume_namespace_labels_keeps_the_definite_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "gw.yaml").write_text(GATEWAY)
    code, out = run(capsys, str(tmp_path), "--assume-namespace-labels")
    assert code == 1
    assert attachment(out) == [("PDA-RT-002", "NotAllowedByListeners")]
    assert label_notes(out) == []


def test_namespace_in_the_input_is_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {exposed: '%s'}}\n"
    (tmp_path / "gw.yaml").write_text(GATEWAY + "---\n" + namespace % "false")
    _, out = run(capsys, str(tmp_path))
    assert (attachment(out), label_notes(out)) == ([("PDA-RT-002", "NotAllowedByListeners")], [])
    (tmp_path / "gw.yaml").write_text(GATEWAY + "---\n" + namespace % "true")
    _, out = run(capsys, str(tmp_path))
    assert (attachment(out), label_notes(out)) == ([], [])


def test_nameless_non_policy_objects_are_notes_not_a_partial_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "jobs.yaml").write_text(NAMELESS)
    code, out = run(capsys, str(tmp_path))
    assert code == 0 and out["run"]["status"] == "complete"
    reasons = [s["reason"] for s in out["run"]["skipped"]]
    assert any("generateName 'migrate-'" in r and "jobs.yaml:1" in r for r in reasons)
    assert any("ConfigMap without metadata.name" in r for r in reasons)
    assert all(s["partial"] is False for s in out["run"]["skipped"])


def test_nameless_policy_object_still_makes_the_run_partial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    route = (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {labels: {a: b}}\n"
    )
    (tmp_path / "route.yaml").write_text(route)
    code, out = run(capsys, str(tmp_path))
    assert code == 3 and out["run"]["status"] == "partial"
    assert [f["check"] for f in out["findings"]] == ["PDA-SRC-001"]


def test_cluster_scoped_and_unknown_scope_kinds_get_no_namespace(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n"
        "---\napiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: ca}\n"
        "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: team}\n"
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        "metadata: {name: b, namespace: stray}\n"
    )
    keys = {(o.key.kind, o.key.namespace) for o in read_manifests([str(tmp_path)]).objects}
    assert keys == {
        ("ClusterRole", ""),
        ("ClusterIssuer", ""),
        ("Widget", "team"),
        ("Deployment", "default"),
        ("ClusterRoleBinding", ""),
    }


HTTPS = """\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
    - {name: https, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: web-cert}]}}
"""


def test_certificate_secrets_absent_from_secretless_input_get_no_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Conformance gateway-secret-reference-grant-specific: the suite creates the certificate
    Secret itself; manifests without any Secret say nothing about it."""
    (tmp_path / "gw.yaml").write_text(HTTPS)
    code, out = run(capsys, str(tmp_path))
    assert (code, out["findings"]) == (0, [])
    subjects = [s["subject"] for s in out["run"]["skipped"]]
    assert "input: Secret existence checks" in subjects
    other = "apiVersion: v1\nkind: Secret\nmetadata: {name: other, namespace: infra}\n"
    (tmp_path / "gw.yaml").write_text(HTTPS + "---\n" + other)
    code, out = run(capsys, str(tmp_path))
    assert [(f["check"], f["reason"], f["listener"]) for f in out["findings"]] == [
        ("PDA-BE-003", "InvalidCertificateRef", "https")
    ]
    assert "input: Secret existence checks" not in [s["subject"] for s in out["run"]["skipped"]]
