"""The built-in catalogue of kinds the auditor reads, and which of them are policy kinds.

Gateway API kinds, the Envoy Gateway policy kinds (``VENDOR_POLICY_KINDS``), mesh policy kinds and
NetworkPolicy are all policy kinds (PDA-DR-002 applies to them).

Stdlib only; shared by the sources (what to list) and the checks (what counts as managed policy).
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.model import GroupKind, ResourceKey

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
    GroupKind("policy.linkerd.io", "NetworkAuthentication"),
    GroupKind("telemetry.istio.io", "Telemetry"),
    GroupKind("extensions.istio.io", "WasmPlugin"),
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
POD = GroupKind("", "Pod")
SERVICEACCOUNT = GroupKind("", "ServiceAccount")

WORKLOAD_KINDS: tuple[GroupKind, ...] = (
    GroupKind("apps", "Deployment"),
    GroupKind("apps", "StatefulSet"),
    GroupKind("apps", "DaemonSet"),
    GroupKind("apps", "ReplicaSet"),
    GroupKind("batch", "Job"),
    GroupKind("batch", "CronJob"),
)
"""Kinds whose pod template stands for their pods (MESH_SEMANTICS §1)."""

INPUT_KINDS: tuple[GroupKind, ...] = (POD, *WORKLOAD_KINDS, SERVICEACCOUNT)
"""Kinds read only as inputs of the mesh checks: no drift is computed for them (they are not
policy, and a Deployment's replicas or image changing is not policy drift)."""

METADATA_ONLY_KINDS: frozenset[GroupKind] = frozenset({SECRET, POD})
"""Kinds listed as ``PartialObjectMetadataList``: names, labels and annotations, never specs."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MeshMarker:
    """The ConfigMap whose presence says a mesh is installed (MESH_SEMANTICS §1).

    Read by name only (RBAC ``get`` with ``resourceNames``): the auditor never lists ConfigMaps.
    """

    mesh: str
    namespace: str
    name: str
    groups: tuple[str, ...]
    """The API groups of the mesh's own kinds: unread when the marker cannot be read."""

    @property
    def key(self) -> ResourceKey:
        return ResourceKey(group="", kind="ConfigMap", namespace=self.namespace, name=self.name)


ISTIO_MARKER = MeshMarker(
    mesh="istio",
    namespace="istio-system",
    name="istio",
    groups=(
        "security.istio.io",
        "networking.istio.io",
        "telemetry.istio.io",
        "extensions.istio.io",
    ),
)
CILIUM_MARKER = MeshMarker(
    mesh="cilium", namespace="kube-system", name="cilium-config", groups=("cilium.io",)
)
LINKERD_MARKER = MeshMarker(
    mesh="linkerd", namespace="linkerd", name="linkerd-config", groups=("policy.linkerd.io",)
)
MESH_MARKERS: tuple[MeshMarker, ...] = (ISTIO_MARKER, CILIUM_MARKER, LINKERD_MARKER)
CRD = GroupKind("apiextensions.k8s.io", "CustomResourceDefinition")

POLICY_KINDS: tuple[GroupKind, ...] = (
    GATEWAY_KINDS
    + VENDOR_POLICY_KINDS
    + MESH_KINDS
    + (GroupKind("networking.k8s.io", "NetworkPolicy"),)
)
"""Kinds whose live objects in a team's namespaces must be declared in Git (PDA-DR-002)."""

REFERENCE_KINDS: tuple[GroupKind, ...] = (GroupKind(GATEWAY_X_GROUP, "XBackend"),)
"""Kinds read because they hold references the checks judge, but not policy kinds (no DR-002)."""

BUILTIN_KINDS: frozenset[GroupKind] = frozenset(
    {NAMESPACE, SERVICE, SECRET, CONFIGMAP, CRD, POD, SERVICEACCOUNT, *WORKLOAD_KINDS}
)
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
    """The kinds to read from a cluster: policy, reference and mesh input kinds, Namespaces,
    Services, plus extra, minus exclude."""
    kinds = [*POLICY_KINDS, *REFERENCE_KINDS, *INPUT_KINDS, NAMESPACE, SERVICE, *extra]
    seen: dict[GroupKind, None] = {}
    for gk in kinds:
        if gk not in exclude:
            seen.setdefault(gk, None)
    return tuple(seen)
