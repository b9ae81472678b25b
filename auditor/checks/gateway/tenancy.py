"""Tenancy of shared Gateways: TN-001 … TN-007. Reason is null for all of them.

A Gateway is *shared* when teams are configured and no team owns its namespace, or an accepted
route (or ListenerSet) of another team attaches to it. Without teams there is no tenancy model, so
TN-001, TN-003, TN-004, TN-006 and TN-007 need teams; TN-002 and TN-005 do not. Listener-scoped findings set ``listener`` and carry ``ref`` = the listener
(owner + sectionName), so each listener has its own finding id.

- TN-001: a listener of a shared Gateway (or of a ListenerSet merged into one) with ``from: All``.
- TN-002: a Selector keyed on any label other than ``kubernetes.io/metadata.name`` (or empty,
  matching every namespace).
- TN-003 (teams; Namespaces observed): a Selector/All listener admits an existing namespace of a
  team whose ``allowed_parents`` does not list the listener's owner (and section, when given).
- TN-004: ``allowedListeners.namespaces.from`` other than None on a shared Gateway.
- TN-005: ``spec.defaultScope`` on a Gateway or ``spec.useDefaultGateways`` on a route (not None).
- TN-006 (teams): a Gateway in the namespace of a team whose ``allowed_parents`` is set and does
  not list that Gateway (the team is restricted to given parents, so it may not run its own), or
  whose ``gateway_classes`` is set and does not name the Gateway's ``gatewayClassName``. One
  finding per Gateway naming every reason.
- TN-007 (teams): a listener without hostname (HTTP/HTTPS/TLS) on a Gateway whose accepted routes
  come from two or more teams.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from auditor.checkids import TN_001, TN_002, TN_003, TN_004, TN_005, TN_006, TN_007
from auditor.checks.common.fields import as_str, spec
from auditor.checks.gateway.context import Context
from auditor.checks.gateway.evaluate import allowed_listeners_from
from auditor.checks.gateway.index import Listener, Parent
from auditor.checks.gateway.listeners import namespace_allowed, only_metadata_name
from auditor.checks.gateway.topology import Topology
from auditor.keys import ResourceKey
from auditor.kinds import NAMESPACE
from auditor.model import Finding, Ref, TeamPolicy

logger = logging.getLogger(__name__)


def listener_ref(listener: Listener) -> Ref:
    o = listener.owner
    return Ref(
        group=o.group, kind=o.kind, namespace=o.namespace, name=o.name, section_name=listener.name
    )


def tenancy_findings(ctx: Context, topo: Topology) -> Iterator[Finding | None]:
    shared = {key for key, gw in ctx.index.gateways.items() if _is_shared(ctx, topo, gw)}
    for gateway in ctx.index.gateways.values():
        listeners = topo.merged_listeners(gateway)
        if gateway.key in shared:
            yield from _all_listeners(ctx, gateway, listeners)
            yield _allowed_listeners(ctx, gateway)
        yield from _catch_all(ctx, topo, gateway)
        yield _default_scope(ctx, gateway)
        yield _team_gateway(ctx, gateway)
    for parent in [*ctx.index.gateways.values(), *ctx.index.listenersets.values()]:
        for listener in parent.listeners:
            yield _selector_label(ctx, parent, listener)
            yield _effective_set(ctx, parent, listener)
    for route in ctx.index.routes:
        value = as_str(spec(route.body).get("useDefaultGateways"))
        if value and value != "None":
            yield ctx.finding(
                TN_005,
                route,
                f"{route.key} sets useDefaultGateways: {value}: it attaches to every default "
                f"Gateway without a parentRef, invisible to parentRef-based review.",
            )


def _attaching(topo: Topology, gateway: Parent) -> list[ResourceKey]:
    keys = [ev.referrer.key for ev in topo.attached.get(gateway.key, [])]
    keys += [ls.key for ls in topo.listenersets.get(gateway.key, [])]
    return keys


def _is_shared(ctx: Context, topo: Topology, gateway: Parent) -> bool:
    attaching = _attaching(topo, gateway)
    if not ctx.has_teams:
        return False
    owner = ctx.team_name(gateway.key.namespace)
    return owner is None or any(ctx.team_name(k.namespace) != owner for k in attaching)


def _all_listeners(
    ctx: Context, gateway: Parent, listeners: list[Listener]
) -> Iterator[Finding | None]:
    for listener in listeners:
        owner = ctx.index.parent(listener.owner)
        if listener.namespaces_from == "All" and owner is not None:
            yield ctx.finding(
                TN_001,
                owner.obj,
                f"Listener {listener.name} of {listener.owner} admits routes from all namespaces "
                f"on shared Gateway {gateway.key.namespace}/{gateway.key.name}: any namespace can "
                f"attach and claim its traffic.",
                listener=listener.name,
                ref=listener_ref(listener),
            )


def _allowed_listeners(ctx: Context, gateway: Parent) -> Finding | None:
    mode = allowed_listeners_from(gateway)
    if mode == "None":
        return None
    return ctx.finding(
        TN_004,
        gateway.obj,
        f"Shared Gateway {gateway.key.namespace}/{gateway.key.name} sets allowedListeners "
        f"from: {mode}: ListenerSets can add listeners (ports, hostnames, certificates) to it.",
    )


def _catch_all(ctx: Context, topo: Topology, gateway: Parent) -> Iterator[Finding | None]:
    attaching = [ev.referrer.key.namespace for ev in topo.attached.get(gateway.key, [])]
    tenants = {t for t in map(ctx.team_name, attaching) if t is not None}
    if len(tenants) < 2:
        return
    for listener in gateway.listeners:
        if listener.hostname is None and listener.protocol in ("HTTP", "HTTPS", "TLS"):
            yield ctx.finding(
                TN_007,
                gateway.obj,
                f"Listener {listener.name} of Gateway {gateway.key.namespace}/{gateway.key.name} "
                f"has no hostname while routes of {len(tenants)} teams "
                f"({', '.join(sorted(tenants))}) attach: it is a catch-all any of them can claim.",
                listener=listener.name,
                ref=listener_ref(listener),
            )


def _default_scope(ctx: Context, gateway: Parent) -> Finding | None:
    scope = as_str(spec(gateway.obj.body).get("defaultScope"))
    if not scope or scope == "None":
        return None
    return ctx.finding(
        TN_005,
        gateway.obj,
        f"Gateway {gateway.key.namespace}/{gateway.key.name} sets defaultScope: {scope}: routes "
        f"using useDefaultGateways attach to it without any parentRef.",
    )


def _team_gateway(ctx: Context, gateway: Parent) -> Finding | None:
    team = ctx.team_of_ns(gateway.key.namespace)
    if team is None:
        return None
    where = f"Gateway {gateway.key.namespace}/{gateway.key.name} runs in a namespace of team {team.name}"
    problems = []
    if team.allowed_parents is not None and not _lists(team, gateway.key, None):
        problems.append("whose allowed_parents does not list it")
    klass = as_str(spec(gateway.obj.body).get("gatewayClassName")) or ""
    if team.gateway_classes is not None and klass not in team.gateway_classes:
        allowed = ", ".join(team.gateway_classes) or "none"
        problems.append(
            f"and uses GatewayClass {klass or '<missing>'}, not one of its gateway_classes ({allowed})"
        )
    if not problems:
        return None
    return ctx.finding(TN_006, gateway.obj, f"{where}, {'; '.join(problems)}.")


def _lists(team: TeamPolicy, owner: ResourceKey, section: str | None) -> bool:
    return any(
        e.kind == owner.kind
        and e.namespace == owner.namespace
        and e.name == owner.name
        and (not e.sections or section is None or section in e.sections)
        for e in team.allowed_parents or ()
    )


def _selector_label(ctx: Context, parent: Parent, listener: Listener) -> Finding | None:
    if listener.namespaces_from != "Selector" or listener.selector is None:
        return None
    if only_metadata_name(listener.selector):
        return None
    return ctx.finding(
        TN_002,
        parent.obj,
        f"Listener {listener.name} of {parent.key} selects namespaces by labels other than "
        f"kubernetes.io/metadata.name (or by no label at all): anyone allowed to label a "
        f"Namespace can widen who attaches.",
        listener=listener.name,
        ref=listener_ref(listener),
    )


def _effective_set(ctx: Context, parent: Parent, listener: Listener) -> Finding | None:
    if not ctx.has_teams or not ctx.index.observed(NAMESPACE):
        return None
    if listener.namespaces_from not in ("All", "Selector"):
        return None
    offenders: dict[str, str] = {}
    admitted = _admitted(ctx, listener)
    for team, namespaces in _restricted_teams(ctx):
        if team.name in offenders or _lists(team, parent.key, listener.name):
            continue
        first = next((ns for ns in namespaces if admitted is None or ns in admitted), None)
        if first is not None:
            offenders[team.name] = first
    if not offenders:
        return None
    return ctx.finding(
        TN_003,
        parent.obj,
        f"Listener {listener.name} of {parent.key} admits namespaces of team(s) "
        f"{', '.join(sorted(offenders))}, whose allowed_parents do not include it.",
        listener=listener.name,
        ref=listener_ref(listener),
        other_namespace=next(iter(offenders.values())) if len(offenders) == 1 else None,
    )


def _restricted_teams(ctx: Context) -> list[tuple[TeamPolicy, list[str]]]:
    """The teams with ``allowed_parents`` and their namespaces (sorted), once per run: asking
    every listener about every namespace made tenancy O(listeners x namespaces)."""
    if "restricted-teams" not in ctx.derived:
        grouped: dict[str, tuple[TeamPolicy, list[str]]] = {}
        for ns in sorted(ctx.index.ns_labels):
            team = ctx.team_of_ns(ns)
            if team is not None and team.allowed_parents is not None:
                grouped.setdefault(team.name, (team, []))[1].append(ns)
        ctx.derived["restricted-teams"] = list(grouped.values())
    restricted: list[tuple[TeamPolicy, list[str]]] = ctx.derived["restricted-teams"]
    return restricted


def _admitted(ctx: Context, listener: Listener) -> frozenset[str] | None:
    """The namespaces of the state a Selector listener admits (each distinct selector evaluated
    once per run: many listeners share one); None for ``from: All``, which admits every one."""
    if listener.namespaces_from != "Selector":
        return None
    key = ("selector", json.dumps(listener.selector, sort_keys=True, default=repr))
    if key not in ctx.derived:
        ctx.derived[key] = frozenset(
            ns
            for ns, labels in ctx.index.ns_labels.items()
            if namespace_allowed(listener, ns, labels)
        )
    admitted: frozenset[str] = ctx.derived[key]
    return admitted
