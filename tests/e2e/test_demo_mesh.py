"""The demo's mesh sample: an ambient namespace whose L7 selector policy ztunnel narrows, and a
sidecar namespace relaxed to PERMISSIVE — reported per team, with nothing for absent meshes."""

from __future__ import annotations

import json

import pytest

from auditor import cli


def test_demo_reports_the_mesh_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    first = document["runs"][0]
    found = {
        (f["check"], f["object"]["namespace"], f["object"]["name"]): f
        for f in first["findings"]
        if f["object"]
    }
    narrowed = found[("PDA-AZ-004", "payments", "checkout-get-only")]
    assert narrowed["severity"] == "high" and narrowed["team"] == "payments"
    assert "admits no one" in narrowed["message"]
    assert ("PDA-AM-005", "payments", "checkout-get-only") in found
    assert found[("PDA-MT-001", "shop", "default")]["team"] == "shop"
    assert not [key for key in found if key[0] in ("PDA-CI-002", "PDA-LK-002")]
    notes = {s["subject"]: s["reason"] for s in first["run"]["skipped"]}
    assert notes["cluster demo: linkerd checks"].startswith("mesh not installed")
    assert "cluster demo: istio checks" not in notes
