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
from dataclasses import dataclass
from enum import StrEnum

from auditor.checks.common.fields import as_map, as_str, path, spec
from auditor.checks.common.selectors import selector_matches
from auditor.checks.gateway.index import (
    GATEWAY,
    PARENT_KINDS,
    Index,
    Listener,
    Parent,
)
from auditor.checks.gateway.listeners import (
    HOSTNAME_KINDS,
    candidates,
    hostname_match,
    kind_allowed,
    namespace_allowed,
    route_hostnames,
)
from auditor.checks.gateway.refs import (
    ParentRef,
    is_mesh_parent,
    listenerset_parent_ref,
    route_parent_refs,
)
from auditor.kinds import NAMESPACE, SERVICE
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
    UNKNOWN = "Unknown"


REASONS: dict[Outcome, str] = {
    Outcome.NO_MATCHING_PARENT: "NoMatchingParent",
    Outcome.NOT_ALLOWED_NAMESPACE: "NotAllowedByListeners",
    Outcome.NOT_ALLOWED_KIND: "NotAllowedByListeners",
    Outcome.NO_MATCHING_HOSTNAME: "NoMatchingListenerHostname",
    Outcome.NOT_ALLOWED: "NotAllowed",
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
    out: list[Evaluation] = []
    for route in index.routes:
        out.extend(evaluate_route(index, route, pref) for pref in route_parent_refs(route))
    for ls in index.listenersets.values():
        pref = listenerset_parent_ref(ls.obj)
        if pref is not None:
            out.append(evaluate_listenerset(index, ls.obj, pref))
    return out


def evaluate_route(index: Index, route: KubeObject, pref: ParentRef) -> Evaluation:
    """§2.6 for one parentRef of ``route``."""
    target = pref.target
    if is_mesh_parent(pref):
        if not index.observed(SERVICE) or index.exists(target):
            return Evaluation(
                referrer=route,
                pref=pref,
                outcome=Outcome.MESH,
                parent=index.state.objects.get(target),
            )
        return Evaluation(referrer=route, pref=pref, outcome=Outcome.DANGLING)
    parent = index.parent(target)
    if parent is None:
        return _missing(index, route, pref)
    found = candidates(parent.listeners, pref.section_name, pref.port)
    if not found:
        return _refused(route, pref, parent, Outcome.NO_MATCHING_PARENT, ())
    kind = route.key.group_kind
    labels = index.labels_of(route.key.namespace)
    by_kind = [lst for lst in found if kind_allowed(lst, kind)]
    # Selector listeners cannot be judged when the Namespaces (their labels) were not read.
    unknown = [] if index.observed(NAMESPACE) else [lst for lst in by_kind if _selects(lst)]
    judged = [lst for lst in by_kind if not (unknown and _selects(lst))]
    allowed = [lst for lst in judged if namespace_allowed(lst, route.key.namespace, labels)]
    if not allowed:
        if unknown:
            return Evaluation(referrer=route, pref=pref, outcome=Outcome.UNOBSERVED)
        outcome = Outcome.NOT_ALLOWED_NAMESPACE if by_kind else Outcome.NOT_ALLOWED_KIND
        return _refused(route, pref, parent, outcome, tuple(by_kind or found))
    if route.key.kind in HOSTNAME_KINDS:
        hostnames = route_hostnames(route.body)
        matching = tuple(lst for lst in allowed if hostname_match(lst, hostnames))
        if not matching:
            if unknown:
                return Evaluation(referrer=route, pref=pref, outcome=Outcome.UNOBSERVED)
            return _refused(route, pref, parent, Outcome.NO_MATCHING_HOSTNAME, tuple(allowed))
        allowed = list(matching)
    return Evaluation(
        referrer=route, pref=pref, outcome=Outcome.ACCEPTED, parent=parent, listeners=tuple(allowed)
    )


def _selects(listener: Listener) -> bool:
    return listener.namespaces_from == "Selector"


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
    if allowed_listeners_from(gateway) == "Selector" and not index.observed(NAMESPACE):
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
            raw = path(spec(gateway.obj.body), "allowedListeners", "namespaces", "selector")
            selector = as_map(raw) if isinstance(raw, dict) else None
            return selector_matches(selector, index.labels_of(namespace))
        case _:
            return False


def created(obj: KubeObject) -> str:
    """``metadata.creationTimestamp`` (RFC 3339 sorts as text); absent sorts last."""
    return as_str(path(obj.body, "metadata", "creationTimestamp")) or "9999"
