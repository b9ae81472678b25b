"""``auditor analyze`` with mesh manifests: ownership from the Namespace ``team`` label (or
``--team-label``), mesh findings in JSON, and the notes of meshes that are not installed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor import cli

MANIFESTS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data: {mesh: ""}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
---
apiVersion: v1
kind: Namespace
metadata: {name: payroll, labels: {team: payroll, owner: finance, istio.io/dataplane-mode: ambient}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: payroll}
spec:
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: web}]}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: get-only, namespace: payroll}
spec:
  selector: {matchLabels: {app: web}}
  rules: [{to: [{operation: {methods: [GET]}}]}]
"""


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    path = tmp_path / "mesh.yaml"
    path.write_text(MANIFESTS)
    return path


def analyze(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = cli.main(["analyze", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def findings_of(doc: dict[str, object]) -> list[tuple[str, str, str | None]]:
    raw = doc["findings"]
    assert isinstance(raw, list)
    return sorted((f["check"], f["object"]["name"], f["team"]) for f in raw)


def test_the_team_label_names_the_owner(
    manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = analyze(capsys, str(manifests))
    assert code == 1
    assert findings_of(doc) == [
        ("PDA-AM-004", "get-only", "payroll"),
        ("PDA-AM-005", "get-only", "payroll"),
        ("PDA-AZ-004", "get-only", "payroll"),
        ("PDA-AZ-007", "payroll", "payroll"),
    ]


def test_another_team_label(manifests: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, doc = analyze(capsys, "--team-label", "owner", str(manifests))
    assert {team for _, _, team in findings_of(doc)} == {"finance"}


def test_without_a_team_label_no_team_namespace(
    manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, doc = analyze(capsys, "--team-label", "nobody", str(manifests))
    checks = [check for check, _, _ in findings_of(doc)]
    assert "PDA-AZ-007" not in checks and "PDA-AZ-004" in checks


def test_meshes_not_installed_are_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text(MANIFESTS.split("---\n", 2)[2])
    code = cli.main(["analyze", str(path)])
    err = capsys.readouterr().err
    assert code == 0
    assert "istio checks" in err and "mesh not installed" in err


def test_sarif_rules_carry_the_upstream_equivalents(
    manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["analyze", "--format", "sarif", str(manifests)]) == 1
    sarif = json.loads(capsys.readouterr().out)
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["PDA-AM-005"]["properties"]["upstream"] == [
        "kiali authorizationpolicy.ambient.l7notargetrefs",
        "kiali requestauthentication.ambient.l7notargetrefs",
    ]
    assert rules["PDA-AZ-004"]["properties"]["upstream"] == [
        "kiali authorizationpolicy.ambient.l7nowaypoint"
    ]
    assert rules["PDA-AZ-007"]["properties"]["category"] == "mesh-security"
