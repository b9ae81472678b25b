"""The built-in catalogue of kinds the auditor reads, and which of them are policy kinds.

Gateway API kinds, the Envoy Gateway policy kinds (``VENDOR_POLICY_KINDS``), mesh policy kinds and
NetworkPolicy are all policy kinds (PDA-DR-002 applies to them).

Stdlib only; shared by the sources (what to list) and the checks (what counts as managed policy).
"""

from __future__ import annotations

from auditor.model import GroupKind

GATEWAY_GROUP = "gateway.networking.k8s.io"
GATEWAY_X_GROUP = "gateway.networking.x-k8s.io"
ENVOY_GATEWAY_GROUP = "gateway.envoyproxy.io"

_GATEWAY_V1_KINDS = (
    "GatewayClass",
    "Gateway",
    "ListenerSet",
    "HTTPRoute",
    "GRPCRoute",
    "TLSRoute",
    "TCPRoute",
    "UDPRoute",
    "ReferenceGrant",
    "BackendTLSPolicy",
)
GATEWAY_KINDS: tuple[GroupKind, ...] = (
    *(GroupKind(GATEWAY_GROUP, k) for k in _GATEWAY_V1_KINDS),
    GroupKind(GATEWAY_X_GROUP, "XBackendTrafficPolicy"),
    GroupKind(GATEWAY_X_GROUP, "XListenerSet"),
)

ROUTE_KINDS: frozenset[str] = frozenset(
    {"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"}
)

MESH_KINDS: tuple[GroupKind, ...] = (
    GroupKind("security.istio.io", "AuthorizationPolicy"),
    GroupKind("security.istio.io", "PeerAuthentication"),
    GroupKind("security.istio.io", "RequestAuthentication"),
    GroupKind("networking.istio.io", "DestinationRule"),
    GroupKind("networking.istio.io", "VirtualService"),
    GroupKind("networking.istio.io", "ServiceEntry"),
    GroupKind("networking.istio.io", "Sidecar"),
    GroupKind("cilium.io", "CiliumNetworkPolicy"),
    GroupKind("cilium.io", "CiliumClusterwideNetworkPolicy"),
    GroupKind("policy.linkerd.io", "Server"),
    GroupKind("policy.linkerd.io", "AuthorizationPolicy"),
    GroupKind("policy.linkerd.io", "HTTPRoute"),
    GroupKind("policy.linkerd.io", "MeshTLSAuthentication"),
)

VENDOR_POLICY_KINDS: tuple[GroupKind, ...] = (
    GroupKind(ENVOY_GATEWAY_GROUP, "SecurityPolicy"),
    GroupKind(ENVOY_GATEWAY_GROUP, "EnvoyExtensionPolicy"),
    GroupKind(ENVOY_GATEWAY_GROUP, "BackendTrafficPolicy"),
    GroupKind(ENVOY_GATEWAY_GROUP, "ClientTrafficPolicy"),
)
"""Gateway implementations' own policy kinds (Envoy Gateway)."""

NAMESPACE = GroupKind("", "Namespace")
SERVICE = GroupKind("", "Service")
SECRET = GroupKind("", "Secret")
CONFIGMAP = GroupKind("", "ConfigMap")
CRD = GroupKind("apiextensions.k8s.io", "CustomResourceDefinition")

POLICY_KINDS: tuple[GroupKind, ...] = (
    GATEWAY_KINDS
    + VENDOR_POLICY_KINDS
    + MESH_KINDS
    + (GroupKind("networking.k8s.io", "NetworkPolicy"),)
)
"""Kinds whose live objects in a team's namespaces must be declared in Git (PDA-DR-002)."""

INFERENCE_GROUP = "inference.networking.k8s.io"
INFERENCE_X_GROUP = "inference.networking.x-k8s.io"
INFERENCE_POOL = GroupKind(INFERENCE_GROUP, "InferencePool")
"""Gateway API Inference Extension backend (GEP-3567; v1 group). Its v1alpha2 predecessor lives in
``INFERENCE_X_GROUP``: resolvable as a backend, but not listed by default."""

REFERENCE_KINDS: tuple[GroupKind, ...] = (GroupKind(GATEWAY_X_GROUP, "XBackend"), INFERENCE_POOL)
"""Kinds read because they hold references the checks judge or are their targets, but not policy
kinds (no DR-002)."""

BUILTIN_KINDS: frozenset[GroupKind] = frozenset({NAMESPACE, SERVICE, SECRET, CONFIGMAP, CRD})
"""Kinds every API server serves (a snapshot observes them by definition)."""

CLUSTER_SCOPED: frozenset[GroupKind] = frozenset(
    {
        NAMESPACE,
        CRD,
        GroupKind(GATEWAY_GROUP, "GatewayClass"),
        GroupKind("cilium.io", "CiliumClusterwideNetworkPolicy"),
    }
)
"""Kinds known to be cluster-scoped without asking discovery (used offline)."""


def default_catalogue(
    *, extra: tuple[GroupKind, ...] = (), exclude: tuple[GroupKind, ...] = ()
) -> tuple[GroupKind, ...]:
    """The kinds to read from a cluster: policy and reference kinds, Namespaces, Services, plus
    extra, minus exclude."""
    kinds = [*POLICY_KINDS, *REFERENCE_KINDS, NAMESPACE, SERVICE, *extra]
    seen: dict[GroupKind, None] = {}
    for gk in kinds:
        if gk not in exclude:
            seen.setdefault(gk, None)
    return tuple(seen)
