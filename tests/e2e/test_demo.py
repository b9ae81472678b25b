"""``auditor demo``: the embedded default runs the production path and shows what it promises."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor import cli


def keyed(findings: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (f["check"], f"{f['object']['namespace']}/{f['object']['name']}"): f
        for f in findings
        if f["object"]
    }


def test_demo_shows_drift_attachment_grant_and_history(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    first, second = (run["findings"] for run in document["runs"])
    found = keyed(first)
    drift = found[("PDA-DR-003", "payments/checkout")]
    assert {(c["path"], c["desired"], c["live"], c["manager"]) for c in drift["changes"]} == {
        ("spec.rules[0].backendRefs[0].weight", 90, 50, "kubectl-edit"),
        ("spec.rules[0].backendRefs[1].weight", 10, 50, "kubectl-edit"),
    }
    assert ("PDA-DR-002", "payments/debug") in found
    assert ("PDA-DR-001", "shop/deny-by-default") in found
    attachment = found[("PDA-RT-001", "shop/admin")]
    assert attachment["severity"] == "critical" and attachment["other_team"] == "platform"
    assert found[("PDA-RT-002", "shop/legacy")]["reason"] == "NotAllowedByListeners"
    assert found[("PDA-RG-001", "shop/search")]["reason"] == "RefNotPermitted"
    assert found[("PDA-RG-008", "shop/search")]["severity"] == "critical", (
        "the controller routes it anyway"
    )
    assert not [f for f in first if f["object"] and f["object"]["name"] == "storefront"], (
        "the argo-rollouts weight change is expected mutation"
    )
    assert document["runs"][0]["run"]["status"] == "complete"
    assert ("PDA-DR-003", "payments/checkout") not in keyed(second)
    status = {h["id"]: h["status"] for h in document["history"]}
    assert status[drift["id"]] == "resolved"
    assert status[attachment["id"]] == "open"
    assert "REVNTy1ET05PVC1MRUFLLWNlcnQ" not in json.dumps(document), (
        "Secret data never leaves the loader"
    )


def test_demo_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Audit 1" in out and "Audit 2" in out
    assert "PDA-RT-001" in out and "PDA-RG-001" in out and "resolved" in out
