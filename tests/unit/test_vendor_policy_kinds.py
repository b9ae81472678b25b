"""Envoy Gateway policy kinds are catalogued policy kinds: read by default, and DR-002 applies."""

from __future__ import annotations

from auditor.checks.drift import DriftSettings, check_drift
from auditor.keys import GroupKind, key_of
from auditor.kinds import ENVOY_GATEWAY_GROUP, POLICY_KINDS, VENDOR_POLICY_KINDS, default_catalogue
from auditor.model import KubeObject
from auditor.normalize import SchemaRegistry

SECURITY_POLICY = GroupKind(ENVOY_GATEWAY_GROUP, "SecurityPolicy")


def test_vendor_policy_kinds_are_policy_kinds_read_by_default() -> None:
    assert {k.kind for k in VENDOR_POLICY_KINDS} == {
        "SecurityPolicy",
        "EnvoyExtensionPolicy",
        "BackendTrafficPolicy",
        "ClientTrafficPolicy",
    }
    assert set(VENDOR_POLICY_KINDS) <= set(POLICY_KINDS)
    assert set(VENDOR_POLICY_KINDS) <= set(default_catalogue())
    assert SECURITY_POLICY not in default_catalogue(exclude=(SECURITY_POLICY,))


def test_live_security_policy_not_in_git_is_dr002() -> None:
    body = {
        "apiVersion": f"{ENVOY_GATEWAY_GROUP}/v1alpha1",
        "kind": "SecurityPolicy",
        "metadata": {"name": "allow-all", "namespace": "payments"},
        "spec": {
            "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"}]
        },
    }
    findings = check_drift(
        cluster="prod",
        desired=[],
        live=[KubeObject(key=key_of(body), body=body)],
        observed=frozenset({SECURITY_POLICY}),
        schemas=SchemaRegistry.from_crds([]),
        settings=DriftSettings(),
    )
    assert [(f.check, f.object) for f in findings] == [("PDA-DR-002", key_of(body))]
