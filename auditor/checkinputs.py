"""Which kinds each check reads (its inputs), and so which checks a run could evaluate when some
kinds were not read: coverage for the history's resolution (a finding is resolved only by a run
that could evaluate its check)."""

from __future__ import annotations

from auditor.catalog import CHECKS
from auditor.checkids import (
    AM_001,
    AM_002,
    AM_003,
    AM_004,
    AM_005,
    AM_007,
    AZ_001,
    AZ_002,
    AZ_003,
    AZ_004,
    AZ_005,
    AZ_006,
    AZ_007,
    AZ_008,
    BE_001,
    BE_002,
    BE_003,
    CI_002,
    HN_001,
    HN_002,
    HN_003,
    HN_004,
    HN_005,
    HN_006,
    HN_007,
    LK_002,
    LK_004,
    LK_005,
    LS_001,
    LS_002,
    LS_003,
    LS_004,
    MT_001,
    MT_002,
    MT_003,
    MT_004,
    MT_005,
    RG_001,
    RG_002,
    RG_003,
    RG_004,
    RG_006,
    RG_008,
    RG_009,
    RT_001,
    RT_002,
    RT_003,
    RT_004,
    RT_005,
    RT_006,
    RT_007,
    RT_008,
    RT_009,
    RT_010,
    ST_003,
    ST_004,
    TN_001,
    TN_002,
    TN_003,
    TN_004,
    TN_005,
    TN_006,
    TN_007,
)
from auditor.keys import GroupKind

_GW = "gateway.networking.k8s.io"
_GRANT = GroupKind(_GW, "ReferenceGrant")
_PARENTS = frozenset(
    {GroupKind(_GW, "Gateway"), GroupKind(_GW, "ListenerSet"), GroupKind("", "Namespace")}
)
_SERVICE = GroupKind("", "Service")
_SECRET = GroupKind("", "Secret")
_NAMESPACE = GroupKind("", "Namespace")

_ISTIO_SEC = "security.istio.io"
_AP = GroupKind(_ISTIO_SEC, "AuthorizationPolicy")
_PEERAUTHN = GroupKind(_ISTIO_SEC, "PeerAuthentication")
_SERVICEENTRY = GroupKind("networking.istio.io", "ServiceEntry")
_GATEWAY = GroupKind(_GW, "Gateway")
_GATEWAYCLASS = GroupKind(_GW, "GatewayClass")
_SERVICEACCOUNT = GroupKind("", "ServiceAccount")
_PODS = frozenset(
    {
        GroupKind("", "Pod"),
        *(GroupKind("apps", k) for k in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")),
        GroupKind("batch", "Job"),
        GroupKind("batch", "CronJob"),
    }
)
_WAYPOINTS = frozenset({_SERVICE, _SERVICEENTRY, _GATEWAY, _GATEWAYCLASS, _NAMESPACE})
_CILIUM = frozenset(
    {
        GroupKind("cilium.io", "CiliumNetworkPolicy"),
        GroupKind("cilium.io", "CiliumClusterwideNetworkPolicy"),
        GroupKind("networking.k8s.io", "NetworkPolicy"),
    }
)
_LINKERD = "policy.linkerd.io"
_ISTIO = frozenset({_AP, _PEERAUTHN})
_LINKERD_KINDS = frozenset(
    GroupKind(_LINKERD, k)
    for k in (
        "Server",
        "AuthorizationPolicy",
        "HTTPRoute",
        "MeshTLSAuthentication",
        "NetworkAuthentication",
    )
)

_INPUTS: dict[str, frozenset[GroupKind]] = {
    **dict.fromkeys(
        (RT_001, RT_002, RT_003, RT_004, RT_005, RT_006, RT_007, RT_008, RT_009, RT_010),
        _PARENTS | {_SERVICE},
    ),
    **dict.fromkeys((HN_001, HN_002, HN_003, HN_004, HN_005, HN_006, HN_007), _PARENTS),
    **dict.fromkeys((LS_001, LS_002, LS_003, LS_004), _PARENTS),
    **dict.fromkeys((TN_001, TN_002, TN_003, TN_004, TN_005, TN_006, TN_007), _PARENTS),
    **dict.fromkeys((RG_001, RG_002, RG_003, RG_004, RG_008, RG_009, BE_002), frozenset({_GRANT})),
    RG_006: frozenset({_GRANT, _NAMESPACE}),
    BE_001: frozenset({_GRANT, _SERVICE}),
    BE_003: frozenset({_GRANT, _SECRET}),
    ST_003: _PARENTS,
    ST_004: _PARENTS | {_GRANT, _SERVICE},
    # Every mesh check also needs its mesh's own kinds: when the marker cannot be read they are
    # unread, and findings that depend on the mesh being installed must not resolve.
    AZ_001: _ISTIO | _PODS | {_NAMESPACE},
    AZ_002: _ISTIO | {_SERVICE, _SERVICEENTRY, _GATEWAY, _GATEWAYCLASS},
    AZ_003: _ISTIO | _WAYPOINTS,
    **dict.fromkeys((AZ_004, AZ_005, AM_002, AM_005, MT_005, AM_001), _ISTIO | {_NAMESPACE}),
    **dict.fromkeys((MT_001, MT_002, MT_004, AM_007), _ISTIO),
    AZ_006: _ISTIO | {_NAMESPACE, _SERVICEACCOUNT},
    AZ_007: _ISTIO | {_NAMESPACE},
    AZ_008: _ISTIO | _WAYPOINTS | _PODS,
    MT_003: _ISTIO | {_NAMESPACE},
    AM_003: _ISTIO | {_GATEWAY, _GATEWAYCLASS},
    AM_004: _ISTIO | _WAYPOINTS | _PODS,
    CI_002: _PODS | _CILIUM | {_NAMESPACE},
    LK_002: _LINKERD_KINDS | {_NAMESPACE},
    **dict.fromkeys((LK_004, LK_005), _LINKERD_KINDS),
}


def inputs(check_id: str) -> frozenset[GroupKind]:
    """Kinds besides the finding's own object that a check must have read to be trusted.

    A finding whose check lacks one of these in a run is neither raised reliably nor resolved.
    """
    return _INPUTS.get(check_id, frozenset())


def evaluable(*, unread: frozenset[GroupKind]) -> frozenset[str] | None:
    """The checks whose inputs were all read (None: every check), given the kinds not read."""
    blocked = {check for check in CHECKS if inputs(check) & unread}
    return frozenset(CHECKS) - blocked if blocked else None
