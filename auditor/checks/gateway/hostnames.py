"""Hostname checks: HN-001 … HN-006. Reason is null for all of them.

- HN-001: a route's (or ListenerSet listener's) hostname outside the owning team's delegated
  ``hostnames`` (only for teams that configure hostnames; wildcard-aware containment).
- HN-002: a team route without hostnames accepted on a listener that also admits another team's
  namespaces (``from: All``, or a Selector matching a Namespace owned by another team).
- HN-003: the same hostname claimed by accepted routes of different teams on one Gateway; the
  winner is the oldest route (creationTimestamp, then namespace/name) and every route of another
  team is reported, naming the winner. ``ref`` = the Gateway.
- HN-004: identical hostname + match across accepted routes on one Gateway (HTTPRoute and GRPCRoute
  matches, defaults applied); all but the oldest are reported. ``ref`` = the Gateway.
- HN-005: a wildcard hostname in a team-owned route.
- HN-006 and HN-007 (listener and HTTPRoute/GRPCRoute conflicts) live in ``conflicts``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from auditor.checkids import HN_001, HN_002, HN_003, HN_004, HN_005
from auditor.checks.common.fields import as_list, as_map
from auditor.checks.gateway.context import Context
from auditor.checks.gateway.evaluate import Evaluation, created
from auditor.checks.gateway.index import Listener
from auditor.checks.gateway.listeners import (
    HOSTNAME_KINDS,
    contained,
    hostnames_of,
    intersects,
    namespace_allowed,
)
from auditor.checks.gateway.topology import Topology
from auditor.keys import ResourceKey
from auditor.model import Finding, KubeObject, Ref

logger = logging.getLogger(__name__)

Claim = tuple[ResourceKey, str, str]  # gateway, family, hostname-or-match key


def hostname_findings(
    ctx: Context, evaluations: list[Evaluation], topo: Topology
) -> Iterator[Finding | None]:
    yield from _delegation(ctx)
    yield from _wildcards(ctx)
    yield from _hostless(ctx, evaluations)
    yield from _collisions(ctx, topo)
    yield from _shadowed(ctx, topo)


def _delegation(ctx: Context) -> Iterator[Finding | None]:
    subjects: list[tuple[KubeObject, Sequence[str]]] = [
        (r, hostnames_of(r)) for r in ctx.index.routes if r.key.kind in HOSTNAME_KINDS
    ]
    subjects += [
        (ls.obj, [lst.hostname for lst in ls.listeners if lst.hostname])
        for ls in ctx.index.listenersets.values()
    ]
    for obj, hostnames in subjects:
        team = ctx.team_of_key(obj.key)
        if team is None or not team.hostnames:
            continue
        outside = [h for h in hostnames if not any(contained(h, p) for p in team.hostnames)]
        if outside:
            yield ctx.finding(
                HN_001,
                obj,
                f"{obj.key} of team {team.name} uses hostname(s) {', '.join(outside)} outside the "
                f"team's delegated hostnames [{', '.join(team.hostnames)}].",
            )


def _wildcards(ctx: Context) -> Iterator[Finding | None]:
    for route in ctx.index.routes:
        team = ctx.team_of_key(route.key)
        wild = [h for h in hostnames_of(route) if h.startswith("*")]
        if team is not None and wild:
            yield ctx.finding(
                HN_005,
                route,
                f"{route.key} of team {team.name} claims wildcard hostname(s) {', '.join(wild)}, "
                f"which capture every matching name not claimed more specifically.",
            )


def _hostless(ctx: Context, evaluations: list[Evaluation]) -> Iterator[Finding | None]:
    for ev in evaluations:
        route = ev.referrer
        if not ev.accepted or route.key.kind not in HOSTNAME_KINDS or hostnames_of(route):
            continue
        team = ctx.team_of_key(route.key)
        if team is None:
            continue
        shared = [lst for lst in ev.listeners if _admits_other_team(ctx, lst, team.name)]
        if shared:
            yield ctx.finding(
                HN_002,
                route,
                f"{route.key} of team {team.name} sets no hostnames and attaches to "
                f"{ev.pref.describe()} listener(s) {', '.join(lst.name for lst in shared)}, which "
                f"also admit other teams' routes: it inherits every hostname of the listener.",
                ref=ev.pref.ref,
                other_namespace=ev.pref.namespace,
            )


def _admits_other_team(ctx: Context, listener: Listener, team: str) -> bool:
    if listener.namespaces_from == "All":
        return True
    if listener.namespaces_from != "Selector":
        return False
    return any(
        namespace_allowed(listener, ns, labels) and ctx.team_name(ns) not in (None, team)
        for ns, labels in ctx.index.ns_labels.items()
    )


def _winner_order(obj: KubeObject) -> tuple[str, str, str]:
    return (created(obj), obj.key.namespace, obj.key.name)


def _family(kind: str) -> str:
    return "tls" if kind == "TLSRoute" else "http"


def _gateway_ref(key: ResourceKey) -> Ref:
    return Ref(group=key.group, kind=key.kind, namespace=key.namespace, name=key.name)


def _collisions(ctx: Context, topo: Topology) -> Iterator[Finding | None]:
    if not ctx.has_teams:
        return
    claims: dict[Claim, dict[ResourceKey, KubeObject]] = {}
    for gateway, evs in topo.attached.items():
        for ev in evs:
            route = ev.referrer
            for host in hostnames_of(route):
                slot = (gateway, _family(route.key.kind), host)
                claims.setdefault(slot, {})[route.key] = route
    losers: dict[tuple[ResourceKey, ResourceKey], tuple[KubeObject, KubeObject, list[str]]] = {}
    for (gateway, _, host), routes in claims.items():
        ordered = sorted(routes.values(), key=_winner_order)
        winner = ordered[0]
        winner_team = ctx.team_name(winner.key.namespace)
        for route in ordered[1:]:
            if ctx.team_name(route.key.namespace) != winner_team:
                losers.setdefault((route.key, gateway), (route, winner, []))[2].append(host)
    for (_, gateway), (route, winner, hosts) in sorted(losers.items()):
        yield ctx.finding(
            HN_003,
            route,
            f"{route.key} claims hostname(s) {', '.join(hosts)} on Gateway {gateway.namespace}/"
            f"{gateway.name}, already claimed by {winner.key} of team "
            f"{ctx.team_name(winner.key.namespace)} (older, so it wins).",
            ref=_gateway_ref(gateway),
            other_namespace=winner.key.namespace,
        )


def _shadowed(ctx: Context, topo: Topology) -> Iterator[Finding | None]:
    claims: dict[tuple[ResourceKey, int | None, str, MatchKey], dict[ResourceKey, KubeObject]] = {}
    for gateway, evs in topo.attached.items():
        for ev in evs:
            route = ev.referrer
            if route.key.kind not in ("HTTPRoute", "GRPCRoute"):
                continue
            keys = _match_keys(route)
            for port, host in _effective_hosts(ev):
                for match in keys:
                    claims.setdefault((gateway, port, host, match), {})[route.key] = route
    shadowed: dict[tuple[ResourceKey, ResourceKey], tuple[KubeObject, KubeObject]] = {}
    for (gateway, _, _, _), routes in claims.items():
        if len(routes) > 1:
            ordered = sorted(routes.values(), key=_winner_order)
            for route in ordered[1:]:
                shadowed.setdefault((route.key, gateway), (route, ordered[0]))
    for (_, gateway), (route, winner) in sorted(shadowed.items()):
        yield ctx.finding(
            HN_004,
            route,
            f"{route.key} repeats a hostname and match already defined by {winner.key} on "
            f"Gateway {gateway.namespace}/{gateway.name}; the older route's rule wins and this "
            f"one is shadowed although both report Accepted.",
            ref=_gateway_ref(gateway),
            other_namespace=winner.key.namespace,
        )


def _effective_hosts(ev: Evaluation) -> set[tuple[int | None, str]]:
    """(listener port, intersected hostname) pairs the route serves on its attached listeners."""
    out: set[tuple[int | None, str]] = set()
    for listener in ev.listeners:
        for host in hostnames_of(ev.referrer) or ["*"]:
            if intersects(listener.hostname, host):
                out.add((listener.port, _narrower(listener.hostname or "*", host)))
    return out


def _narrower(a: str, b: str) -> str:
    if a == "*" or (a.startswith("*.") and not b.startswith("*.")):
        return b
    if b == "*" or (b.startswith("*.") and not a.startswith("*.")):
        return a
    return a if len(a) >= len(b) else b


MatchKey = tuple[Any, ...]
"""A rule match in canonical form (defaults applied, headers and query params sorted): two
rules with equal keys match the same requests."""


def _match_keys(route: KubeObject) -> frozenset[MatchKey]:
    """Canonical match keys of a route's rules (HTTPRoute defaults: PathPrefix ``/``), computed
    once per object (a route attached to several Gateways asks once per Gateway)."""
    found: frozenset[MatchKey] | None = route.parsed.get("match-keys")
    if found is None:
        found = route.parsed["match-keys"] = frozenset(_compute_match_keys(route))
    return found


def _compute_match_keys(route: KubeObject) -> set[MatchKey]:
    http = route.key.kind == "HTTPRoute"
    rules = as_list(as_map(route.body.get("spec")).get("rules"))
    if http and not rules:
        rules = [{}]
    keys: set[MatchKey] = set()
    for rule in map(as_map, rules):
        matches = as_list(rule.get("matches")) or [{}]
        keys.update(_canonical(as_map(m), http=http) for m in matches)
    return keys


def _canonical(match: Mapping[str, Any], *, http: bool) -> MatchKey:
    """A tuple, not a JSON text (half the cost); any value that is not a string or null (a
    malformed manifest) is compared by its JSON text, tagged: ``1``, ``true`` and ``"1"`` stay
    different."""
    headers = tuple(sorted(_pairs(match.get("headers"), fold=True)))
    if http:
        path = as_map(match.get("path"))
        return (
            _scalar(path.get("type") or "PathPrefix"),
            _scalar(path.get("value") or "/"),
            _scalar(match.get("method")),
            tuple(sorted(_pairs(match.get("queryParams"), fold=False))),
            headers,
        )
    method = as_map(match.get("method"))
    return (
        _scalar(method.get("type") or "Exact"),
        _scalar(method.get("service")),
        _scalar(method.get("method")),
        headers,
    )


def _scalar(value: object) -> str | tuple[str, str] | None:
    if value is None or isinstance(value, str):
        return value
    return ("json", json.dumps(value, sort_keys=True, default=str))


def _pairs(items: object, *, fold: bool) -> list[tuple[str, str, str]]:
    """(type, name, value) triples; header names fold case, query param names are exact."""
    return [
        (str(m.get("type") or "Exact"), _name(m.get("name"), fold=fold), str(m.get("value")))
        for m in map(as_map, as_list(items))
    ]


def _name(value: object, *, fold: bool) -> str:
    return str(value).lower() if fold else str(value)
