"""The check catalogue: every check has a category and severity; inputs gate resolution."""

from __future__ import annotations

from auditor import catalog, checkinputs
from auditor.keys import GroupKind

GRANT = GroupKind("gateway.networking.k8s.io", "ReferenceGrant")


def test_every_design_check_is_catalogued() -> None:
    for prefix, numbers in {
        "DR": 3,
        "RT": 9,
        "HN": 6,
        "TN": 7,
        "RG": 7,
        "BE": 3,
        "ST": 6,
        "SRC": 4,
    }.items():
        for n in range(1, numbers + 1):
            assert f"PDA-{prefix}-{n:03d}" in catalog.CHECKS


def test_evaluable_blocks_only_checks_whose_inputs_were_not_read() -> None:
    assert checkinputs.evaluable(unread=frozenset()) is None
    checks = checkinputs.evaluable(unread=frozenset({GRANT}))
    assert checks is not None
    assert {"PDA-RG-001", "PDA-BE-001", "PDA-RG-004"}.isdisjoint(checks)
    assert {"PDA-DR-003", "PDA-RT-002", "PDA-HN-001"} <= checks
    secrets = checkinputs.evaluable(unread=frozenset({GroupKind("", "Secret")}))
    assert secrets is not None and "PDA-BE-003" not in secrets and "PDA-BE-001" in secrets


def test_conformance_checks_use_non_attachment_categories() -> None:
    """Issue 13: listener/BackendTLSPolicy validity is a predicted condition (status), a GAMMA
    consumer route is a legitimate scope note, never an unauthorized attachment."""
    status = {"PDA-LS-001", "PDA-LS-002", "PDA-LS-003", "PDA-LS-004", "PDA-BT-001", "PDA-BT-002"}
    for check in status:
        assert catalog.info(check).category == "status"
    rt008 = catalog.info("PDA-RT-008")
    assert rt008.category == "tenancy" and rt008.severity == "info"
    assert catalog.info("PDA-HN-007").category == "hostname"
    assert catalog.info("PDA-PA-001").category == "dangling-reference"
    assert catalog.info("PDA-RT-010").category == "unauthorized-attachment"
