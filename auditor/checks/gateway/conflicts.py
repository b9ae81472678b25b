"""Conflicts a conformant controller resolves by rejecting one side: PDA-HN-006 and PDA-HN-007.

- HN-006 (listener ``Conflicted=True`` / ``Accepted=False``, reason ``ProtocolConflict`` or
  ``HostnameConflict``; ``ref`` = the rejected listener). Listeners are distinct when they differ
  in port, or share port and protocol and differ in hostname (HTTP, HTTPS, TLS) — TCP and UDP
  listeners on one port are never distinct; HTTPS and TLS on one port may coexist (Gateway
  ``listeners`` godoc, v1.6.1). Within the Gateway's own listeners "the implementation MUST NOT
  pick one conflicting Listener as the winner": every indistinct listener is reported (naming one
  it clashes with; ``ProtocolConflict`` when any clash is a protocol clash). ListenerSet listeners
  are then merged in the spec's precedence order (the Gateway, ListenerSets oldest first, then by
  namespace/name: ListenerSetSpec.listeners godoc): each is compared only with the listeners
  accepted so far, so a listener already rejected no longer counts against later ones
  (conformance ListenerSetHostnameConflict, ListenerSetProtocolConflict). When every listener of a
  ListenerSet is rejected, the message says the ListenerSet is ``ListenersNotValid``.
- HN-007 (route ``Accepted=False``, no reason mandated; ``ref`` = the listener): an HTTPRoute and
  a GRPCRoute attached to one listener with intersecting hostnames. "The implementation MUST
  accept exactly one of these two routes": the older (creationTimestamp, then namespace/name), so
  the other is reported naming the winner (GRPCRoute ``hostnames`` godoc, GATEWAY_SEMANTICS §2.6).
  A route already refused there no longer counts against later ones. The loser keeps its other
  attachments.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from auditor.checkids import HN_006, HN_007
from auditor.checks.gateway.context import Context
from auditor.checks.gateway.evaluate import Evaluation, created
from auditor.checks.gateway.index import Listener, Parent
from auditor.checks.gateway.listeners import hostnames_of, intersects
from auditor.checks.gateway.tenancy import listener_ref
from auditor.checks.gateway.topology import Topology
from auditor.keys import ResourceKey
from auditor.model import Finding, KubeObject

logger = logging.getLogger(__name__)

PROTOCOL_CONFLICT = "ProtocolConflict"
HOSTNAME_CONFLICT = "HostnameConflict"


def conflict_findings(ctx: Context, topo: Topology) -> Iterator[Finding | None]:
    for gateway in ctx.index.gateways.values():
        yield from _listener_conflicts(ctx, topo, gateway)
    yield from _http_grpc_conflicts(ctx, topo)


def clash(a: Listener, b: Listener) -> str | None:
    """The conflict reason when ``a`` and ``b`` are not distinct, else None."""
    if a.port is None or a.port != b.port:
        return None
    if a.protocol != b.protocol:
        if {a.protocol, b.protocol} == {"HTTPS", "TLS"}:
            return None
        return PROTOCOL_CONFLICT
    if a.protocol in ("TCP", "UDP") or a.hostname == b.hostname:
        return HOSTNAME_CONFLICT
    return None


def _why(reason: str, a: Listener, b: Listener) -> str:
    if reason == PROTOCOL_CONFLICT:
        return f"protocol {b.protocol} clashes with {a.protocol} on port {a.port}"
    return f"same port {a.port}, protocol {a.protocol} and hostname {a.hostname or '*'}"


def _listener_conflicts(ctx: Context, topo: Topology, gateway: Parent) -> Iterator[Finding | None]:
    own = list(gateway.listeners)
    kept: list[Listener] = []
    for lst in own:
        clashes = [(other, r) for other in own if other is not lst if (r := clash(other, lst))]
        if not clashes:
            kept.append(lst)
            continue
        other, reason = next((c for c in clashes if c[1] == PROTOCOL_CONFLICT), clashes[0])
        yield _finding(ctx, gateway, lst, other, reason, within=True)
    for ls in topo.listenersets.get(gateway.key, []):
        hits: list[tuple[Listener, Listener, str]] = []
        for lst in ls.listeners:
            hit = next(((o, r) for o in kept if (r := clash(o, lst))), None)
            if hit is None:
                kept.append(lst)
            else:
                hits.append((lst, hit[0], hit[1]))
        # A ListenerSet left with no listener is itself Accepted=False, ListenersNotValid.
        emptied = len(hits) == len(ls.listeners)
        for lst, other, reason in hits:
            yield _finding(ctx, gateway, lst, other, reason, within=False, emptied=emptied)


def _finding(
    ctx: Context,
    gateway: Parent,
    lst: Listener,
    other: Listener,
    reason: str,
    *,
    within: bool,
    emptied: bool = False,
) -> Finding | None:
    owner = ctx.index.parent(lst.owner)
    if owner is None:
        return None
    rule = (
        "indistinct listeners of one Gateway are all rejected"
        if within
        else f"{other.owner} takes precedence in the merge order, so this listener is rejected"
    )
    if emptied:
        rule += (
            f"; no listener of {lst.owner} is left, so it is Accepted=False with reason "
            f"ListenersNotValid"
        )
    return ctx.finding(
        HN_006,
        owner.obj,
        f"Listener {lst.name} of {lst.owner} conflicts with listener {other.name} of "
        f"{other.owner} on Gateway {gateway.key.namespace}/{gateway.key.name}: "
        f"{_why(reason, other, lst)}; {rule} (Conflicted=True, reason {reason}).",
        listener=lst.name,
        ref=listener_ref(lst),
        reason=reason,
    )


def _order(obj: KubeObject) -> tuple[str, str, str]:
    return (created(obj), obj.key.namespace, obj.key.name)


def _http_grpc_conflicts(ctx: Context, topo: Topology) -> Iterator[Finding | None]:
    on_listener: dict[tuple[ResourceKey, str], tuple[Listener, dict[ResourceKey, KubeObject]]] = {}
    for evs in topo.attached.values():
        for ev in evs:
            _collect(on_listener, ev)
    for listener, routes in on_listener.values():
        kept: list[KubeObject] = []
        for route in sorted(routes.values(), key=_order):
            winner = next(
                (w for w in kept if w.key.kind != route.key.kind and _hosts_intersect(w, route)),
                None,
            )
            if winner is None:
                kept.append(route)
                continue
            yield ctx.finding(
                HN_007,
                route,
                f"{route.key} and {winner.key} (older, or first by namespace/name) attach to "
                f"listener {listener.name} of {listener.owner} with intersecting hostnames: only "
                f"one of an HTTPRoute and a GRPCRoute is accepted there, so {route.key} is "
                f"Accepted=False on it.",
                ref=listener_ref(listener),
                other_namespace=winner.key.namespace,
            )


def _collect(
    on_listener: dict[tuple[ResourceKey, str], tuple[Listener, dict[ResourceKey, KubeObject]]],
    ev: Evaluation,
) -> None:
    route = ev.referrer
    if route.key.kind not in ("HTTPRoute", "GRPCRoute"):
        return
    for lst in ev.listeners:
        slot = on_listener.setdefault((lst.owner, lst.name), (lst, {}))
        slot[1][route.key] = route


def _hosts_intersect(a: KubeObject, b: KubeObject) -> bool:
    return any(intersects(x, y) for x in hostnames_of(a) or ["*"] for y in hostnames_of(b) or ["*"])
