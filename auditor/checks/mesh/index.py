"""Indexes over one ClusterState for the mesh checks, built once per analysis.

Owns the parsed view of what the mesh checks look up repeatedly: Namespaces with their labels,
workloads (a pod template stands for its pods, MESH_SEMANTICS §1) grouped by namespace, Services,
ServiceAccounts, waypoint Gateways, the policies of each mesh by namespace, and the installed
meshes with their settings (Istio root namespace and trust domain, Cilium ``enable-policy``).
Every check is a dictionary lookup per namespace: nothing scans all pods per policy.

The marker's ``data.mesh`` is YAML; the two scalars read from it (``rootNamespace``,
``trustDomain``) are top-level keys, read line by line so the checks stay free of a YAML parser.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.checks.common.fields import as_map, as_str, path, spec
from auditor.keys import GroupKind, ResourceKey
from auditor.kinds import (
    CILIUM_MARKER,
    GATEWAY_GROUP,
    ISTIO_MARKER,
    LINKERD_MARKER,
    NAMESPACE,
    POD,
    SERVICE,
    SERVICEACCOUNT,
    WORKLOAD_KINDS,
)
from auditor.model import ClusterState, KubeObject
from auditor.teams import namespace_labels

logger = logging.getLogger(__name__)

ISTIO_SECURITY = "security.istio.io"
ISTIO_NETWORKING = "networking.istio.io"
LINKERD_POLICY = "policy.linkerd.io"
AUTHORIZATION_POLICY = GroupKind(ISTIO_SECURITY, "AuthorizationPolicy")
PEER_AUTHENTICATION = GroupKind(ISTIO_SECURITY, "PeerAuthentication")
REQUEST_AUTHENTICATION = GroupKind(ISTIO_SECURITY, "RequestAuthentication")
TELEMETRY = GroupKind("telemetry.istio.io", "Telemetry")
WASM_PLUGIN = GroupKind("extensions.istio.io", "WasmPlugin")
SERVICE_ENTRY = GroupKind(ISTIO_NETWORKING, "ServiceEntry")
GATEWAY = GroupKind(GATEWAY_GROUP, "Gateway")
GATEWAYCLASS = GroupKind(GATEWAY_GROUP, "GatewayClass")
HTTPROUTE = GroupKind(GATEWAY_GROUP, "HTTPRoute")
GRPCROUTE = GroupKind(GATEWAY_GROUP, "GRPCRoute")
CNP = GroupKind("cilium.io", "CiliumNetworkPolicy")
CCNP = GroupKind("cilium.io", "CiliumClusterwideNetworkPolicy")
NETWORK_POLICY = GroupKind("networking.k8s.io", "NetworkPolicy")
LINKERD_AUTHZ = GroupKind(LINKERD_POLICY, "AuthorizationPolicy")
LINKERD_SERVER = GroupKind(LINKERD_POLICY, "Server")
LINKERD_HTTPROUTE = GroupKind(LINKERD_POLICY, "HTTPRoute")
MESH_TLS_AUTHN = GroupKind(LINKERD_POLICY, "MeshTLSAuthentication")
NETWORK_AUTHN = GroupKind(LINKERD_POLICY, "NetworkAuthentication")

WAYPOINT_CONTROLLER = "istio.io/mesh-controller"
WAYPOINT_CLASS = "istio-waypoint"
"""The GatewayClass istiod creates for waypoints: a Gateway of this class is a waypoint even when
the GatewayClass object is not in the input (manifests rarely carry it)."""

_WORKLOADS = frozenset(WORKLOAD_KINDS)
_TOP_KEY = re.compile(r"^(rootNamespace|trustDomain):\s*['\"]?([^'\"#\s]+)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Workload:
    """A pod or a workload object standing for its pods (labels/annotations of its template)."""

    obj: KubeObject
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    service_account: str | None

    @property
    def namespace(self) -> str:
        return self.obj.key.namespace

    @property
    def owned(self) -> bool:
        """Created by a controller (a ReplicaSet's pods, a Deployment's ReplicaSet): the
        controller is the object to report, not each of its children."""
        return bool(path(self.obj.body, "metadata", "ownerReferences"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Meshes:
    """Which meshes the state says are installed, with the settings their markers carry."""

    istio: bool
    cilium: bool
    linkerd: bool
    root_namespace: str = "istio-system"
    trust_domain: str = "cluster.local"


@dataclass(frozen=True, slots=True, kw_only=True)
class MeshIndex:
    state: ClusterState
    meshes: Meshes
    ns_labels: Mapping[str, Mapping[str, str]]
    namespaces: Mapping[str, KubeObject]
    workloads: Mapping[str, tuple[Workload, ...]]
    services: Mapping[ResourceKey, KubeObject]
    service_accounts: frozenset[tuple[str, str]]
    by_kind: Mapping[GroupKind, tuple[KubeObject, ...]]
    by_kind_ns: Mapping[tuple[GroupKind, str], tuple[KubeObject, ...]]

    def observed(self, gk: GroupKind) -> bool:
        return gk in self.state.observed

    def exists(self, key: ResourceKey) -> bool:
        return key in self.state.objects

    def get(self, key: ResourceKey) -> KubeObject | None:
        return self.state.objects.get(key)

    def labels_of(self, namespace: str) -> Mapping[str, str]:
        return self.ns_labels.get(namespace) or {}

    def of_kind(self, gk: GroupKind) -> tuple[KubeObject, ...]:
        return self.by_kind.get(gk, ())

    def in_namespace(self, gk: GroupKind, namespace: str) -> tuple[KubeObject, ...]:
        return self.by_kind_ns.get((gk, namespace), ())

    def all_workloads(self) -> list[Workload]:
        return [w for ws in self.workloads.values() for w in ws]

    def workloads_observed(self) -> bool:
        return POD in self.state.observed and self.state.observed >= _WORKLOADS

    def service_account_exists(self, namespace: str, name: str) -> bool:
        """``default`` exists in every existing namespace (MESH_SEMANTICS §1); so does the
        ServiceAccount istiod's deployment controller creates for a Gateway it deploys (named
        after the Gateway: the waypoint identity)."""
        if name == "default":
            return namespace in self.namespaces or not self.observed(NAMESPACE)
        gateway = ResourceKey(GATEWAY.group, GATEWAY.kind, namespace, name)
        return (namespace, name) in self.service_accounts or gateway in self.state.objects


def build_index(state: ClusterState) -> MeshIndex:
    """The mesh lookups of ``state``, built once per view (memoised on the state)."""
    return state.memo("mesh-index", lambda: _build_index(state))


def _build_index(state: ClusterState) -> MeshIndex:
    by_kind: dict[GroupKind, list[KubeObject]] = defaultdict(list)
    by_kind_ns: dict[tuple[GroupKind, str], list[KubeObject]] = defaultdict(list)
    workloads: dict[str, list[Workload]] = defaultdict(list)
    for key in state.sorted_keys():
        obj = state.objects[key]
        gk = key.group_kind
        by_kind[gk].append(obj)
        by_kind_ns[(gk, key.namespace)].append(obj)
        workload = _workload(obj)
        if workload is not None:
            workloads[key.namespace].append(workload)
    namespaces = {o.key.name: o for o in by_kind.get(NAMESPACE, [])}
    return MeshIndex(
        state=state,
        meshes=_meshes(state),
        ns_labels=namespace_labels([o.body for o in namespaces.values()]),
        namespaces=namespaces,
        workloads={ns: tuple(ws) for ns, ws in workloads.items()},
        services={o.key: o for o in by_kind.get(SERVICE, [])},
        service_accounts=frozenset(
            (o.key.namespace, o.key.name) for o in by_kind.get(SERVICEACCOUNT, [])
        ),
        by_kind={gk: tuple(objs) for gk, objs in by_kind.items()},
        by_kind_ns={k: tuple(objs) for k, objs in by_kind_ns.items()},
    )


def _workload(obj: KubeObject) -> Workload | None:
    gk = obj.key.group_kind
    if gk == POD:
        meta: Mapping[str, Any] = as_map(obj.body.get("metadata"))
        pod_spec = spec(obj.body)
    elif gk in _WORKLOADS:
        template = path(obj.body, "spec", "template")
        if obj.key.kind == "CronJob":
            template = path(obj.body, "spec", "jobTemplate", "spec", "template")
        meta = as_map(as_map(template).get("metadata"))
        pod_spec = as_map(as_map(template).get("spec"))
    else:
        return None
    return Workload(
        obj=obj,
        labels=_strings(meta.get("labels")),
        annotations=_strings(meta.get("annotations")),
        service_account=as_str(pod_spec.get("serviceAccountName")),
    )


def _strings(raw: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in as_map(raw).items()}


def _meshes(state: ClusterState) -> Meshes:
    istio = state.objects.get(ISTIO_MARKER.key)
    cilium = state.objects.get(CILIUM_MARKER.key)
    linkerd = state.objects.get(LINKERD_MARKER.key)
    settings: dict[str, str] = {}
    if istio is not None:
        mesh = as_str(path(istio.body, "data", "mesh")) or ""
        for line in mesh.splitlines():
            found = _TOP_KEY.match(line)
            if found:
                settings[found.group(1)] = found.group(2)
    cilium_on = (
        cilium is not None
        and (as_str(path(cilium.body, "data", "enable-policy")) or "default") != "never"
    )
    return Meshes(
        istio=istio is not None,
        cilium=cilium_on,
        linkerd=linkerd is not None,
        root_namespace=settings.get("rootNamespace", "istio-system"),
        trust_domain=settings.get("trustDomain", "cluster.local"),
    )
