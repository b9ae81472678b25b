"""The built-in catalogue of kinds the auditor reads, and which of them are policy kinds.

Gateway API kinds, the Envoy Gateway policy kinds (``VENDOR_POLICY_KINDS``), mesh policy kinds and
NetworkPolicy are all policy kinds (PDA-DR-002 applies to them).

Stdlib only; shared by the sources (what to list) and the checks (what counts as managed policy).
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.keys import GroupKind, ResourceKey

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

INFERENCE_GROUP = "inference.networking.k8s.io"
INFERENCE_X_GROUP = "inference.networking.x-k8s.io"
INFERENCE_POOL = GroupKind(INFERENCE_GROUP, "InferencePool")
"""Gateway API Inference Extension backend (GEP-3567; v1 group). Its v1alpha2 predecessor lives in
``INFERENCE_X_GROUP``: resolvable as a backend, but not listed by default."""

REFERENCE_KINDS: tuple[GroupKind, ...] = (GroupKind(GATEWAY_X_GROUP, "XBackend"), INFERENCE_POOL)
"""Kinds read because they hold references the checks judge or are their targets, but not policy
kinds (no DR-002)."""

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

BUILTIN_CLUSTER_SCOPED: frozenset[GroupKind] = frozenset(
    GroupKind(group, kind)
    for group, names in (
        ("", ("Node", "PersistentVolume", "ComponentStatus")),
        ("rbac.authorization.k8s.io", ("ClusterRole", "ClusterRoleBinding")),
        ("storage.k8s.io", ("StorageClass", "CSIDriver", "CSINode", "VolumeAttachment")),
        (
            "admissionregistration.k8s.io",
            (
                "ValidatingWebhookConfiguration",
                "MutatingWebhookConfiguration",
                "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding",
                "MutatingAdmissionPolicy",
                "MutatingAdmissionPolicyBinding",
            ),
        ),
        ("apiregistration.k8s.io", ("APIService",)),
        ("scheduling.k8s.io", ("PriorityClass",)),
        ("node.k8s.io", ("RuntimeClass",)),
        ("networking.k8s.io", ("IngressClass", "IPAddress", "ServiceCIDR")),
        ("certificates.k8s.io", ("CertificateSigningRequest", "ClusterTrustBundle")),
        ("flowcontrol.apiserver.k8s.io", ("FlowSchema", "PriorityLevelConfiguration")),
        ("resource.k8s.io", ("DeviceClass",)),
        (GATEWAY_X_GROUP, ("XMesh",)),
    )
    for kind in names
)
"""Cluster-scoped kinds of Kubernetes itself (and XMesh), for reading manifests offline."""

BUILTIN_GROUPS: frozenset[str] = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "scheduling.k8s.io",
        "node.k8s.io",
        "certificates.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "resource.k8s.io",
    }
)
"""API groups of Kubernetes itself: every kind in them is known, with its scope."""


def scope_unknown(gk: GroupKind) -> bool:
    """Offline, a kind outside Kubernetes' own groups and the catalogue has an unknown scope (it
    may be cluster-scoped), so an object of it is never given a namespace it did not set."""
    known = {*POLICY_KINDS, *REFERENCE_KINDS, *CLUSTER_SCOPED}
    return gk.group not in BUILTIN_GROUPS and gk not in known


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
