"""Indexes over one ClusterState, built once per analysis.

Owns the parsed, defaulted view of the objects the Gateway checks look up repeatedly: parents
(Gateways and ListenerSets) with their listeners, ReferenceGrants keyed for O(1) matching, routes,
and Namespace labels (with the implicit ``kubernetes.io/metadata.name`` label). No check loops over
grants or Gateways per route: everything below is a dictionary lookup.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.checks.common.fields import as_int, as_list, as_map, as_str, path, spec
from auditor.keys import GroupKind, ResourceKey
from auditor.kinds import GATEWAY_GROUP, GATEWAY_X_GROUP, NAMESPACE, ROUTE_KINDS
from auditor.model import ClusterState, KubeObject, View
from auditor.teams import namespace_labels

logger = logging.getLogger(__name__)

GATEWAY = GroupKind(GATEWAY_GROUP, "Gateway")
GATEWAYCLASS = GroupKind(GATEWAY_GROUP, "GatewayClass")
LISTENERSET = GroupKind(GATEWAY_GROUP, "ListenerSet")
XLISTENERSET = GroupKind(GATEWAY_X_GROUP, "XListenerSet")
LISTENERSET_KINDS = frozenset({LISTENERSET, XLISTENERSET})
PARENT_KINDS = frozenset({GATEWAY, LISTENERSET, XLISTENERSET})
REFERENCEGRANT = GroupKind(GATEWAY_GROUP, "ReferenceGrant")
BACKENDTLSPOLICY = GroupKind(GATEWAY_GROUP, "BackendTLSPolicy")
METADATA_NAME = "kubernetes.io/metadata.name"


@dataclass(frozen=True, slots=True, kw_only=True)
class Listener:
    """One listener of a Gateway or ListenerSet with GATEWAY_SEMANTICS §1 defaults applied."""

    owner: ResourceKey
    name: str
    port: int | None
    protocol: str
    hostname: str | None
    tls_mode: str
    namespaces_from: str
    selector: Mapping[str, Any] | None
    kinds: tuple[GroupKind, ...]
    body: Mapping[str, Any]

    @property
    def label(self) -> str:
        """``name`` (``port/protocol``) for messages."""
        return f"{self.name} ({self.port}/{self.protocol})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Parent:
    """A Gateway or ListenerSet and its own listeners."""

    obj: KubeObject
    listeners: tuple[Listener, ...]

    @property
    def key(self) -> ResourceKey:
        return self.obj.key


@dataclass(frozen=True, slots=True, kw_only=True)
class GrantFrom:
    group: str
    kind: str
    namespace: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GrantTo:
    group: str
    kind: str
    name: str | None  # None or "" = every object of the kind


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """A ReferenceGrant as data (no defaults exist for grants)."""

    obj: KubeObject
    froms: tuple[GrantFrom, ...]
    tos: tuple[GrantTo, ...]

    @property
    def key(self) -> ResourceKey:
        return self.obj.key

    def admits(self, group: str, kind: str, name: str) -> bool:
        """True when some ``to`` entry covers the target ``group``/``kind``/``name``."""
        return any(
            t.group == group and t.kind == kind and (not t.name or t.name == name) for t in self.tos
        )


GrantSlot = tuple[str, str, str, str]
"""(grant namespace, from group, from kind, from namespace)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Index:
    """Lookups over one ClusterState."""

    state: ClusterState
    gateways: Mapping[ResourceKey, Parent]
    listenersets: Mapping[ResourceKey, Parent]
    routes: tuple[KubeObject, ...]
    grants: tuple[Grant, ...]
    grants_by_slot: Mapping[GrantSlot, tuple[Grant, ...]]
    ns_labels: Mapping[str, Mapping[str, str]]
    backend_tls_policies: tuple[KubeObject, ...] = ()
    assume_namespace_labels: bool = False

    def labels_of(self, namespace: str) -> Mapping[str, str]:
        """Labels of ``namespace``; a namespace with no object has only the implicit label."""
        return self.ns_labels.get(namespace) or {METADATA_NAME: namespace}

    def labels_known(self, namespace: str) -> bool:
        """Whether the labels of ``namespace`` are known: Namespaces were read and, in the
        manifests view (where a Namespace absent from the input may still exist), its object is
        in the input — unless the run assumes absent Namespaces carry only the implicit label."""
        if not self.observed(NAMESPACE):
            return False
        if namespace in self.ns_labels or self.assume_namespace_labels:
            return True
        return self.state.view != View.MANIFESTS

    def exists(self, key: ResourceKey) -> bool:
        return key in self.state.objects

    def observed(self, gk: GroupKind) -> bool:
        return gk in self.state.observed

    def parent(self, key: ResourceKey) -> Parent | None:
        return self.gateways.get(key) or self.listenersets.get(key)

    def grants_for(self, slot: GrantSlot) -> tuple[Grant, ...]:
        return self.grants_by_slot.get(slot, ())

    def namespaces(self) -> list[str]:
        """Names of the Namespace objects in the state."""
        return sorted(self.ns_labels)


def build_index(state: ClusterState, *, assume_namespace_labels: bool = False) -> Index:
    """Parse every relevant object of ``state`` once (per view: memoised on the state, shared by
    ``check_gateway``, ``check_grant_changes`` and the notes)."""
    return state.memo(
        ("gateway-index", assume_namespace_labels),
        lambda: _build_index(state, assume_namespace_labels=assume_namespace_labels),
    )


def _build_index(state: ClusterState, *, assume_namespace_labels: bool) -> Index:
    gateways: dict[ResourceKey, Parent] = {}
    listenersets: dict[ResourceKey, Parent] = {}
    routes: list[KubeObject] = []
    grants: list[Grant] = []
    tls_policies: list[KubeObject] = []
    namespace_bodies: list[Mapping[str, Any]] = []
    for key in state.sorted_keys():
        obj = state.objects[key]
        gk = key.group_kind
        if gk == GATEWAY:
            gateways[key] = Parent(obj=obj, listeners=parse_listeners(key, obj.body))
        elif gk in LISTENERSET_KINDS:
            listenersets[key] = Parent(obj=obj, listeners=parse_listeners(key, obj.body))
        elif key.group == GATEWAY_GROUP and key.kind in ROUTE_KINDS:
            routes.append(obj)
        elif gk == REFERENCEGRANT:
            grants.append(parse_grant(obj))
        elif gk == BACKENDTLSPOLICY:
            tls_policies.append(obj)
        elif gk == NAMESPACE:
            namespace_bodies.append({**obj.body, "apiVersion": "v1", "kind": "Namespace"})
    by_slot: dict[GrantSlot, list[Grant]] = defaultdict(list)
    for grant in grants:
        for entry in grant.froms:
            slot = (grant.key.namespace, entry.group, entry.kind, entry.namespace)
            if grant not in by_slot[slot]:
                by_slot[slot].append(grant)
    return Index(
        state=state,
        gateways=gateways,
        listenersets=listenersets,
        routes=tuple(routes),
        grants=tuple(grants),
        grants_by_slot={k: tuple(v) for k, v in by_slot.items()},
        ns_labels=namespace_labels(namespace_bodies),
        backend_tls_policies=tuple(tls_policies),
        assume_namespace_labels=assume_namespace_labels,
    )


def parse_listeners(owner: ResourceKey, body: Mapping[str, Any]) -> tuple[Listener, ...]:
    """The listeners of a Gateway or ListenerSet body, defaulted."""
    out: list[Listener] = []
    for raw in as_list(spec(body).get("listeners")):
        entry = as_map(raw)
        allowed = as_map(entry.get("allowedRoutes"))
        namespaces = as_map(allowed.get("namespaces"))
        selector = namespaces.get("selector")
        kinds = tuple(_route_kind(k) for k in map(as_map, as_list(allowed.get("kinds"))))
        hostname = as_str(entry.get("hostname"))
        out.append(
            Listener(
                owner=owner,
                name=as_str(entry.get("name")) or "",
                port=as_int(entry.get("port")),
                protocol=as_str(entry.get("protocol")) or "",
                hostname=hostname.lower() if hostname else None,
                tls_mode=as_str(path(entry, "tls", "mode")) or "Terminate",
                namespaces_from=as_str(namespaces.get("from")) or "Same",
                selector=selector if isinstance(selector, Mapping) else None,
                kinds=kinds,
                body=entry,
            )
        )
    return tuple(out)


def _route_kind(entry: Mapping[str, Any]) -> GroupKind:
    """An ``allowedRoutes.kinds`` entry; ``group`` defaults only when absent (an explicit ``""``
    is the core group, which holds no route kind, so the entry matches nothing)."""
    group = entry.get("group")
    return GroupKind(
        group if isinstance(group, str) else GATEWAY_GROUP, as_str(entry.get("kind")) or ""
    )


def parse_grant(obj: KubeObject) -> Grant:
    """A ReferenceGrant body as a Grant (entries missing required fields never match)."""
    body_spec = spec(obj.body)
    froms = tuple(
        GrantFrom(
            group=_required(f.get("group")),
            kind=_required(f.get("kind")),
            namespace=_required(f.get("namespace")),
        )
        for f in map(as_map, as_list(body_spec.get("from")))
    )
    tos = tuple(
        GrantTo(
            group=_required(t.get("group")),
            kind=_required(t.get("kind")),
            name=as_str(t.get("name")),
        )
        for t in map(as_map, as_list(body_spec.get("to")))
    )
    return Grant(obj=obj, froms=froms, tos=tos)


def _required(value: object) -> str:
    """A required grant field; a missing or non-string value becomes a string nothing matches."""
    return value if isinstance(value, str) else "\0"
