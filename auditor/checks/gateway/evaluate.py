"""Route → parent and ListenerSet → Gateway attachment evaluation (GATEWAY_SEMANTICS §2.6, §2.7, §4).

Owns the per-parentRef decision procedure: parent exists → candidates by sectionName/port →
allowed kind and namespace → hostname intersection. The result (an ``Evaluation``) is computed once
and shared by the attachment, org-policy, hostname, tenancy and status checks.

Precedence for mixed NotAllowedByListeners refusals (spec §10.9 leaves it open): when at least one
candidate listener would carry the route's kind, the refusal is reported as a namespace refusal
(RT-002), because a namespace change would make it attach; when no candidate carries the kind it is
a kind refusal (RT-003).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from auditor.checks.common.fields import as_int, as_list, as_map, as_str, path, spec
from auditor.checks.common.selectors import selector_matches
from auditor.checks.gateway.index import (
    GATEWAY,
    METADATA_NAME,
    PARENT_KINDS,
    Index,
    Listener,
    Parent,
)
from auditor.checks.gateway.listeners import (
    HOSTNAME_KINDS,
    candidates,
    hostname_match,
    hostnames_of,
    kind_allowed,
    namespace_allowed,
    selector_keys,
)
from auditor.checks.gateway.refs import (
    ParentRef,
    is_mesh_parent,
    listenerset_parent_ref,
    route_parent_refs,
)
from auditor.keys import ResourceKey
from auditor.kinds import SERVICE
from auditor.model import KubeObject

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    ACCEPTED = "Accepted"
    MESH = "Mesh"
    UNOBSERVED = "Unobserved"
    DANGLING = "Dangling"
    NO_MATCHING_PARENT = "NoMatchingParent"
    NOT_ALLOWED_NAMESPACE = "NotAllowedNamespace"
    NOT_ALLOWED_KIND = "NotAllowedKind"
    NO_MATCHING_HOSTNAME = "NoMatchingListenerHostname"
    NOT_ALLOWED = "NotAllowed"
    LISTENERSET_NOT_ALLOWED = "ListenerSetNotAllowed"
    UNKNOWN = "Unknown"


REASONS: dict[Outcome, str] = {
    Outcome.NO_MATCHING_PARENT: "NoMatchingParent",
    Outcome.NOT_ALLOWED_NAMESPACE: "NotAllowedByListeners",
    Outcome.NOT_ALLOWED_KIND: "NotAllowedByListeners",
    Outcome.NO_MATCHING_HOSTNAME: "NoMatchingListenerHostname",
    Outcome.NOT_ALLOWED: "NotAllowed",
    Outcome.LISTENERSET_NOT_ALLOWED: "NotAllowed",
}
"""The Accepted=False reason a conformant implementation sets for each refusal."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """The predicted result of one parentRef.

    ``listeners``: the attached listeners when accepted, else the listeners that refused.
    """

    referrer: KubeObject
    pref: ParentRef
    outcome: Outcome
    parent: Parent | KubeObject | None = None
    listeners: tuple[Listener, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.outcome in (Outcome.ACCEPTED, Outcome.MESH)

    @property
    def gateway_parent(self) -> Parent | None:
        return self.parent if isinstance(self.parent, Parent) else None


def evaluate_all(index: Index) -> list[Evaluation]:
    """Every route parentRef and every ListenerSet parentRef of the state."""
    sets: list[Evaluation] = []
    for ls in index.listenersets.values():
        pref = listenerset_parent_ref(ls.obj)
        if pref is not None:
            sets.append(evaluate_listenerset(index, ls.obj, pref))
    refused = frozenset(ev.referrer.key for ev in sets if ev.outcome == Outcome.NOT_ALLOWED)
    out: list[Evaluation] = []
    for route in index.routes:
        out.extend(
            evaluate_route(index, route, pref, refused_sets=refused)
            for pref in route_parent_refs(route)
        )
    return out + sets


def evaluate_route(
    index: Index,
    route: KubeObject,
    pref: ParentRef,
    *,
    refused_sets: frozenset[ResourceKey] = frozenset(),
) -> Evaluation:
    """§2.6 for one parentRef of ``route``. A ListenerSet its Gateway does not accept
    (``refused_sets``) gives its listeners to no route (§2.7 handshake 1)."""
    target = pref.target
    if is_mesh_parent(pref):
        service = index.state.objects.get(target)
        if service is not None and not service_port_matches(service, pref):
            return Evaluation(
                referrer=route, pref=pref, outcome=Outcome.NO_MATCHING_PARENT, parent=service
            )
        if not index.observed(SERVICE) or service is not None:
            return Evaluation(referrer=route, pref=pref, outcome=Outcome.MESH, parent=service)
        return Evaluation(referrer=route, pref=pref, outcome=Outcome.DANGLING)
    parent = index.parent(target)
    if parent is None:
        return _missing(index, route, pref)
    if parent.key in refused_sets:
        return _refused(route, pref, parent, Outcome.LISTENERSET_NOT_ALLOWED, ())
    found = candidates(parent.listeners, pref.section_name, pref.port)
    if not found:
        return _refused(route, pref, parent, Outcome.NO_MATCHING_PARENT, ())
    kind = route.key.group_kind
    labels = index.labels_of(route.key.namespace)
    by_kind = [lst for lst in found if kind_allowed(lst, kind)]
    # A Selector on labels cannot be judged when the route's Namespace labels are unknown.
    known = index.labels_known(route.key.namespace)
    unknown = [] if known else [lst for lst in by_kind if needs_labels(lst.selector, lst)]
    judged = [lst for lst in by_kind if lst not in unknown]
    allowed = [lst for lst in judged if namespace_allowed(lst, route.key.namespace, labels)]
    if not allowed:
        if unknown:
            return Evaluation(referrer=route, pref=pref, outcome=Outcome.UNOBSERVED)
        outcome = Outcome.NOT_ALLOWED_NAMESPACE if by_kind else Outcome.NOT_ALLOWED_KIND
        return _refused(route, pref, parent, outcome, tuple(by_kind or found))
    if route.key.kind in HOSTNAME_KINDS:
        hostnames = hostnames_of(route)
        matching = tuple(lst for lst in allowed if hostname_match(lst, hostnames))
        if not matching:
            if unknown:
                return Evaluation(referrer=route, pref=pref, outcome=Outcome.UNOBSERVED)
            return _refused(route, pref, parent, Outcome.NO_MATCHING_HOSTNAME, tuple(allowed))
        allowed = list(matching)
    return Evaluation(
        referrer=route, pref=pref, outcome=Outcome.ACCEPTED, parent=parent, listeners=tuple(allowed)
    )


def service_port_matches(service: KubeObject, pref: ParentRef) -> bool:
    """§4 GAMMA: ``port`` must be a port of the Service and ``sectionName`` a port name; both
    set means one port with that name and number (conformance MeshPorts; a Service parentRef
    that matches no port matches no parent: NoMatchingParent)."""
    if pref.port is None and pref.section_name is None:
        return True
    ports = [as_map(p) for p in as_list(spec(service.body).get("ports"))]
    return any(
        (pref.port is None or as_int(p.get("port")) == pref.port)
        and (pref.section_name is None or as_str(p.get("name")) == pref.section_name)
        for p in ports
    )


def needs_labels(selector: Mapping[str, Any] | None, listener: Listener | None = None) -> bool:
    """A Selector whose result depends on Namespace labels other than the implicit
    ``kubernetes.io/metadata.name`` (a nil selector matches nothing, ``{}`` everything)."""
    if listener is not None and listener.namespaces_from != "Selector":
        return False
    return selector is not None and bool(selector_keys(selector) - {METADATA_NAME})


def _missing(index: Index, referrer: KubeObject, pref: ParentRef) -> Evaluation:
    gk = pref.target.group_kind
    known = gk in PARENT_KINDS
    if known and not index.observed(gk):
        return Evaluation(referrer=referrer, pref=pref, outcome=Outcome.UNOBSERVED)
    if not known and index.exists(pref.target):
        return Evaluation(
            referrer=referrer,
            pref=pref,
            outcome=Outcome.UNKNOWN,
            parent=index.state.objects[pref.target],
        )
    return Evaluation(referrer=referrer, pref=pref, outcome=Outcome.DANGLING)


def _refused(
    referrer: KubeObject,
    pref: ParentRef,
    parent: Parent,
    outcome: Outcome,
    listeners: tuple[Listener, ...],
) -> Evaluation:
    return Evaluation(
        referrer=referrer, pref=pref, outcome=outcome, parent=parent, listeners=listeners
    )


def evaluate_listenerset(index: Index, listenerset: KubeObject, pref: ParentRef) -> Evaluation:
    """§2.7 handshake 1: the Gateway's ``allowedListeners`` admits the ListenerSet."""
    gateway = index.gateways.get(pref.target) if pref.target.group_kind == GATEWAY else None
    if gateway is None:
        return _missing(index, listenerset, pref)
    if (
        allowed_listeners_from(gateway) == "Selector"
        and needs_labels(_allowed_listeners_selector(gateway))
        and not index.labels_known(listenerset.key.namespace)
    ):
        return Evaluation(referrer=listenerset, pref=pref, outcome=Outcome.UNOBSERVED)
    if listenerset_allowed(index, gateway, listenerset):
        return Evaluation(referrer=listenerset, pref=pref, outcome=Outcome.ACCEPTED, parent=gateway)
    return Evaluation(referrer=listenerset, pref=pref, outcome=Outcome.NOT_ALLOWED, parent=gateway)


def allowed_listeners_from(gateway: Parent) -> str:
    """``spec.allowedListeners.namespaces.from`` with its default (absent → None)."""
    return as_str(path(spec(gateway.obj.body), "allowedListeners", "namespaces", "from")) or "None"


def listenerset_allowed(index: Index, gateway: Parent, listenerset: KubeObject) -> bool:
    namespace = listenerset.key.namespace
    match allowed_listeners_from(gateway):
        case "All":
            return True
        case "Same":
            return namespace == gateway.key.namespace
        case "Selector":
            selector = _allowed_listeners_selector(gateway)
            return selector_matches(selector, index.labels_of(namespace))
        case _:
            return False


def _allowed_listeners_selector(gateway: Parent) -> Mapping[str, Any] | None:
    raw = path(spec(gateway.obj.body), "allowedListeners", "namespaces", "selector")
    return as_map(raw) if isinstance(raw, Mapping) else None


def created(obj: KubeObject) -> str:
    """``metadata.creationTimestamp`` (RFC 3339 sorts as text); absent sorts last."""
    return as_str(path(obj.body, "metadata", "creationTimestamp")) or "9999"
