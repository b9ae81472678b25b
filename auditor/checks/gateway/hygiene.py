"""ReferenceGrant hygiene: RG-004, RG-005, RG-006, RG-007. Object = the grant; reason null.

Exact rules (kept conservative on purpose):

- RG-004: no reference in the state matches the grant (§3.2), and every ``from`` entry names a kind
  whose references the auditor extracts (Gateway API route kinds, Gateway, ListenerSet, and the
  XBackend, SecurityPolicy and EnvoyExtensionPolicy of ``policyrefs``) and whose kind was observed.
  Grants from other kinds (other vendors' policies) are never called unused.
- RG-005: one finding per ``to`` entry without ``name`` (the whole kind in the namespace is
  exposed); severity high when that kind is core Secret, else medium. ``ref`` = the exposed kind
  with an empty name.
- RG-006: one finding per ``from`` entry whose namespace does not exist (only when Namespaces were
  observed, and not in the ``manifests`` view, where a referenced namespace exists implicitly), or, with teams configured, whose namespace no team owns while the grant's namespace is
  owned by a team (a team trusting an unowned namespace). ``ref`` = the from entry (empty name).
- RG-007: with teams configured, a grant in a team-owned namespace that exposes core Secrets to a
  ``from`` entry in another team's (or no team's) namespace whose kind is not Gateway or
  ListenerSet (the shared-infrastructure kinds expected to read another team's Secrets; a
  SecurityPolicy, EnvoyExtensionPolicy or XBackend of another team is still reported).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from auditor.checkids import RG_004, RG_005, RG_006, RG_007
from auditor.checks.gateway.context import Context
from auditor.checks.gateway.index import GATEWAY, LISTENERSET_KINDS, Grant, GrantFrom
from auditor.checks.gateway.policyrefs import POLICY_REFERRER_KINDS
from auditor.keys import GroupKind, ResourceKey
from auditor.kinds import GATEWAY_GROUP, NAMESPACE, ROUTE_KINDS, SECRET
from auditor.model import Finding, Ref, Severity, View

logger = logging.getLogger(__name__)

REFERRER_KINDS = (
    frozenset({GATEWAY, *LISTENERSET_KINDS})
    | {GroupKind(GATEWAY_GROUP, kind) for kind in ROUTE_KINDS}
    | POLICY_REFERRER_KINDS
)
SECRET_REFERRERS = frozenset({GATEWAY, *LISTENERSET_KINDS})


def hygiene_findings(ctx: Context, used: set[ResourceKey]) -> Iterator[Finding]:
    for grant in ctx.index.grants:
        candidates = [
            _unused(ctx, grant, used),
            *_unnamed(ctx, grant),
            *_bad_from(ctx, grant),
            *_secret_exposure(ctx, grant),
        ]
        yield from (f for f in candidates if f is not None)


def _unused(ctx: Context, grant: Grant, used: set[ResourceKey]) -> Finding | None:
    if grant.key in used or not grant.froms:
        return None
    kinds = {GroupKind(f.group, f.kind) for f in grant.froms}
    if not kinds <= REFERRER_KINDS or not all(ctx.index.observed(k) for k in kinds):
        return None
    froms = ", ".join(f"{f.kind} in {f.namespace}" for f in grant.froms)
    return ctx.finding(
        RG_004,
        grant.obj,
        f"ReferenceGrant {grant.key.namespace}/{grant.key.name} is used by no reference in the "
        f"cluster state (from {froms}): it is stale trust and can be removed.",
    )


def _unnamed(ctx: Context, grant: Grant) -> Iterator[Finding | None]:
    for to in grant.tos:
        if to.name:
            continue
        secret = (to.group, to.kind) == (SECRET.group, SECRET.kind)
        kind = f"{to.group}/{to.kind}" if to.group else to.kind
        yield ctx.finding(
            RG_005,
            grant.obj,
            f"ReferenceGrant {grant.key.namespace}/{grant.key.name} has a to entry for {kind} "
            f"without name: every {kind} in namespace {grant.key.namespace} is exposed to the "
            f"granted referrers.",
            ref=Ref(group=to.group, kind=to.kind, namespace=grant.key.namespace, name=""),
            severity=Severity.HIGH if secret else Severity.MEDIUM,
        )


def _from_ref(entry: GrantFrom) -> Ref:
    return Ref(group=entry.group, kind=entry.kind, namespace=entry.namespace, name="")


def _bad_from(ctx: Context, grant: Grant) -> Iterator[Finding | None]:
    state = ctx.index.state
    namespaces_known = ctx.index.observed(NAMESPACE) and state.view != View.MANIFESTS
    grant_team = ctx.team_of_ns(grant.key.namespace)
    for entry in grant.froms:
        why = None
        if namespaces_known and entry.namespace not in ctx.index.ns_labels:
            why = f"namespace {entry.namespace} does not exist"
        elif grant_team is not None and ctx.team_of_ns(entry.namespace) is None:
            why = f"namespace {entry.namespace} is owned by no team, yet team {grant_team.name} trusts it"
        if why is None:
            continue
        yield ctx.finding(
            RG_006,
            grant.obj,
            f"ReferenceGrant {grant.key.namespace}/{grant.key.name} grants {entry.kind} in "
            f"namespace {entry.namespace}, but {why}.",
            ref=_from_ref(entry),
            other_namespace=entry.namespace,
        )


def _secret_exposure(ctx: Context, grant: Grant) -> Iterator[Finding | None]:
    owner = ctx.team_of_ns(grant.key.namespace)
    if owner is None:
        return
    if not any((t.group, t.kind) == (SECRET.group, SECRET.kind) for t in grant.tos):
        return
    for entry in grant.froms:
        other = ctx.team_of_ns(entry.namespace)
        if GroupKind(entry.group, entry.kind) in SECRET_REFERRERS or other is owner:
            continue
        yield ctx.finding(
            RG_007,
            grant.obj,
            f"ReferenceGrant {grant.key.namespace}/{grant.key.name} of team {owner.name} exposes "
            f"Secrets to {entry.kind} in namespace {entry.namespace} "
            f"({'team ' + other.name if other else 'no team'}); only Gateways and ListenerSets "
            f"are expected to reference another team's Secrets.",
            ref=_from_ref(entry),
            other_namespace=entry.namespace,
        )
