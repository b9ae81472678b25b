"""Severity rules of the drift checks (CHECKS.md DR-001/002/003, DRIFT_RULES).

* DR-001 (in Git, missing live): high for authorization policies, peer authentication,
  ReferenceGrants, NetworkPolicies and Cilium policies.
* DR-002 (live, not in Git): high for ReferenceGrants, authorization policies, peer
  authentication, Cilium policies, and routes whose parentRefs point at a Gateway or ListenerSet
  in another namespace.
* DR-003 (fields differ): high when a security field differs; low when every shown change is a
  re-order (C9: order in these lists does not change what is allowed); else medium.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from auditor.keys import GroupKind
from auditor.kinds import GATEWAY_GROUP, GATEWAY_X_GROUP, ROUTE_KINDS
from auditor.model import Body, ChangeOp, Severity
from auditor.normalize import Path

logger = logging.getLogger(__name__)

_ISTIO_AP = GroupKind("security.istio.io", "AuthorizationPolicy")
_ISTIO_PA = GroupKind("security.istio.io", "PeerAuthentication")
_LINKERD_AP = GroupKind("policy.linkerd.io", "AuthorizationPolicy")
_GRANT = GroupKind(GATEWAY_GROUP, "ReferenceGrant")
_NETPOL = GroupKind("networking.k8s.io", "NetworkPolicy")
_CILIUM = (
    GroupKind("cilium.io", "CiliumNetworkPolicy"),
    GroupKind("cilium.io", "CiliumClusterwideNetworkPolicy"),
)

MISSING_HIGH: frozenset[GroupKind] = frozenset(
    {_ISTIO_AP, _ISTIO_PA, _LINKERD_AP, _GRANT, _NETPOL, *_CILIUM}
)
UNDECLARED_HIGH: frozenset[GroupKind] = frozenset(
    {_ISTIO_AP, _ISTIO_PA, _LINKERD_AP, _GRANT, *_CILIUM}
)

_GATEWAY_SECURITY_FIELDS = frozenset(
    {
        "allowedRoutes",
        "allowedListeners",
        "hostnames",
        "parentRefs",
        "parentRef",
        "backendRefs",
        "backendRef",
    }
)
_CILIUM_RULES = frozenset(
    {"endpointSelector", "nodeSelector", "ingress", "ingressDeny", "egress", "egressDeny", "specs"}
)
_SPEC_SECURITY_FIELDS: dict[GroupKind, frozenset[str]] = {
    _GRANT: frozenset({"from", "to"}),
    _ISTIO_AP: frozenset({"rules", "action", "selector", "targetRef", "targetRefs"}),
    _ISTIO_PA: frozenset({"mtls", "portLevelMtls", "selector"}),
    _LINKERD_AP: frozenset({"targetRef", "requiredAuthenticationRefs"}),
    _NETPOL: frozenset({"podSelector", "ingress", "egress", "policyTypes"}),
    _CILIUM[0]: _CILIUM_RULES,
    _CILIUM[1]: _CILIUM_RULES,
}
MESH_LABELS: frozenset[str] = frozenset(
    {
        "istio.io/dataplane-mode",
        "istio.io/use-waypoint",
        "istio.io/use-waypoint-namespace",
        "istio.io/rev",
        "istio-injection",
        "sidecar.istio.io/inject",
        "linkerd.io/inject",
        "config.linkerd.io/default-inbound-policy",
    }
)
"""Labels/annotations that switch mesh enforcement on or off for what they select."""


def is_security_path(gk: GroupKind, path: Path) -> bool:
    """True when ``path`` of an object of kind ``gk`` is a DR-003 security field."""
    if len(path) >= 3 and path[0] == "metadata" and path[1] in ("labels", "annotations"):
        return path[2] in MESH_LABELS
    if len(path) < 2 or path[0] != "spec":
        return False
    if gk.group in (GATEWAY_GROUP, GATEWAY_X_GROUP) and any(
        seg in _GATEWAY_SECURITY_FIELDS for seg in path
    ):
        return True
    if (
        gk.group in (GATEWAY_GROUP, GATEWAY_X_GROUP)
        and "listeners" in path
        and path[-1] == "hostname"
    ):
        return True
    return path[1] in _SPEC_SECURITY_FIELDS.get(gk, frozenset())


def drift_severity(gk: GroupKind, shown: Sequence[tuple[Path, ChangeOp]]) -> Severity:
    """DR-003 severity of the shown changes, given as (path, op)."""
    if shown and all(op == ChangeOp.REORDER for _, op in shown):
        return Severity.LOW
    if any(op != ChangeOp.REORDER and is_security_path(gk, path) for path, op in shown):
        return Severity.HIGH
    return Severity.MEDIUM


def missing_severity(gk: GroupKind, default: Severity) -> Severity:
    """DR-001 severity of a Git object that does not exist live."""
    return Severity.HIGH if gk in MISSING_HIGH else default


def undeclared_severity(gk: GroupKind, body: Body, namespace: str, default: Severity) -> Severity:
    """DR-002 severity of a live object that Git does not declare."""
    if gk in UNDECLARED_HIGH:
        return Severity.HIGH
    if gk.group == GATEWAY_GROUP and gk.kind in ROUTE_KINDS and _foreign_parent(body, namespace):
        return Severity.HIGH
    return default


def _foreign_parent(body: Body, namespace: str) -> bool:
    spec = body.get("spec")
    refs = spec.get("parentRefs") if isinstance(spec, dict) else None
    for ref in refs if isinstance(refs, list) else []:
        if not isinstance(ref, dict):
            continue
        group = ref.get("group", GATEWAY_GROUP)
        kind = ref.get("kind", "Gateway")
        other = ref.get("namespace")
        if (
            group == GATEWAY_GROUP
            and kind in ("Gateway", "ListenerSet")
            and other
            and other != namespace
        ):
            return True
    return False
