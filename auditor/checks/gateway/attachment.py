"""Attachment findings: RT-002..RT-006, RT-008, RT-009 and RT-010 from the shared evaluations.

One finding per (referring object, parentRef); ``ref`` is the defaulted parentRef and ``reason`` the
condition reason a conformant implementation would set (null for RT-006 and RT-008).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from auditor.checkids import RT_002, RT_003, RT_004, RT_005, RT_006, RT_008, RT_009, RT_010
from auditor.checks.gateway.context import Context
from auditor.checks.gateway.evaluate import REASONS, Evaluation, Outcome, allowed_listeners_from
from auditor.checks.gateway.index import Listener
from auditor.checks.gateway.listeners import describe_kinds, describe_namespaces, hostnames_of
from auditor.checks.gateway.refs import is_mesh_parent
from auditor.model import Finding

logger = logging.getLogger(__name__)

CHECK_OF: dict[Outcome, str] = {
    Outcome.DANGLING: RT_006,
    Outcome.NO_MATCHING_PARENT: RT_004,
    Outcome.NOT_ALLOWED_NAMESPACE: RT_002,
    Outcome.NOT_ALLOWED_KIND: RT_003,
    Outcome.NO_MATCHING_HOSTNAME: RT_005,
    Outcome.NOT_ALLOWED: RT_009,
    Outcome.LISTENERSET_NOT_ALLOWED: RT_010,
}


def attachment_findings(ctx: Context, evaluations: list[Evaluation]) -> Iterator[Finding]:
    for ev in evaluations:
        found = _finding(ctx, ev)
        if found is not None:
            yield found


def _finding(ctx: Context, ev: Evaluation) -> Finding | None:
    check = CHECK_OF.get(ev.outcome)
    if check is None:
        if ev.outcome == Outcome.MESH and ev.pref.namespace != ev.referrer.key.namespace:
            return ctx.finding(
                RT_008,
                ev.referrer,
                _consumer(ev),
                ref=ev.pref.ref,
                other_namespace=ev.pref.namespace,
            )
        return None
    return ctx.finding(
        check,
        ev.referrer,
        f"{ev.referrer.key} parentRef #{ev.pref.index} to {ev.pref.describe()}: {_why(ev)}",
        ref=ev.pref.ref,
        reason=REASONS.get(ev.outcome),
        other_namespace=ev.pref.namespace,
    )


def _consumer(ev: Evaluation) -> str:
    return (
        f"{ev.referrer.key} is a mesh consumer route on Service {ev.pref.namespace}/{ev.pref.name}: "
        f"it changes traffic to that Service only for clients in namespace "
        f"{ev.referrer.key.namespace} (needs the mesh to support MeshConsumerRoute)."
    )


def _names(listeners: tuple[Listener, ...]) -> str:
    return ", ".join(lst.label for lst in listeners)


def _why(ev: Evaluation) -> str:
    match ev.outcome:
        case Outcome.DANGLING:
            return _dangling(ev)
        case Outcome.NO_MATCHING_PARENT if is_mesh_parent(ev.pref):
            return (
                "the Service has no port matching its port/sectionName (sectionName is a Service "
                "port name), so the mesh route matches no parent: NoMatchingParent."
            )
        case Outcome.NO_MATCHING_PARENT:
            return (
                "no listener of the parent matches its sectionName/port "
                "(a Gateway parentRef sees only the Gateway's own listeners), so it is refused "
                "with NoMatchingParent."
            )
        case Outcome.NOT_ALLOWED_NAMESPACE:
            policies = "; ".join(
                f"listener {lst.name} {describe_namespaces(lst)}" for lst in ev.listeners
            )
            return (
                f"refused with NotAllowedByListeners because namespace {ev.referrer.key.namespace} "
                f"is not admitted: {policies}."
            )
        case Outcome.NOT_ALLOWED_KIND:
            kinds = "; ".join(
                f"listener {lst.name} has {describe_kinds(lst)}" for lst in ev.listeners
            )
            return f"refused with NotAllowedByListeners because no candidate listener accepts {ev.referrer.key.kind}: {kinds}."
        case Outcome.NO_MATCHING_HOSTNAME:
            hosts = ", ".join(hostnames_of(ev.referrer)) or "*"
            listeners = ", ".join(f"{lst.name} ({lst.hostname or '*'})" for lst in ev.listeners)
            return (
                f"refused with NoMatchingListenerHostname: route hostnames [{hosts}] intersect "
                f"none of the allowed listeners {listeners}."
            )
        case Outcome.LISTENERSET_NOT_ALLOWED:
            return (
                "the ListenerSet is not accepted by its Gateway's allowedListeners (NotAllowed), "
                "so its listeners carry no route and this parentRef attaches nowhere."
            )
        case Outcome.NOT_ALLOWED:
            parent = ev.gateway_parent
            mode = allowed_listeners_from(parent) if parent is not None else "None"
            return (
                f"the Gateway's allowedListeners.namespaces.from is {mode}, which does not admit "
                f"ListenerSets from namespace {ev.referrer.key.namespace}; refused with NotAllowed."
            )
        case _:
            return ev.outcome.value


def _dangling(ev: Evaluation) -> str:
    pref = ev.pref
    if pref.group == "core":
        return (
            "group 'core' is not the core API group (write group: \"\" for a Service parent); "
            "the parent does not resolve."
        )
    if pref.group not in ("", "gateway.networking.k8s.io") or pref.kind not in (
        "Gateway",
        "ListenerSet",
        "Service",
    ):
        return f"{pref.group or 'core'}/{pref.kind} is not a known parent kind and no such object exists."
    hint = ""
    if pref.namespace == ev.referrer.key.namespace:
        hint = " (the parentRef sets no other namespace, so it points into the referrer's own namespace)"
    return f"the parent does not exist{hint}; no controller will report status for it."
