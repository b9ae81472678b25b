"""Controller status versus the spec, per route and per reference (live view only): RT-007, RG-008.

Only objects that carry a status are judged; ``reason`` is null on both checks.

- RT-007: a route with two or more parentRefs where some parentRef is reported ``Accepted=True``
  (by any controller) and another is reported ``Accepted=False`` by every controller that reports
  on it. One finding per route, ``ref`` null; the message names the accepting and the refusing
  parents with the refusal reasons.
- RG-008 (critical): the controller reports ``ResolvedRefs=True`` although a cross-namespace
  reference is permitted by no ReferenceGrant (the references RG-001/RG-002 are raised for, even
  when those checks are disabled), so it does not enforce ReferenceGrant. Where the claim is read:
  for a route backend, every ``status.parents`` entry except GAMMA (Service) parents, which need
  no grant; for a listener ``certificateRef``, the ``status.listeners`` entry of that listener;
  for a Gateway-level reference (``tls.backend.clientCertificateRef``, frontend CA refs), the
  Gateway's own ``ResolvedRefs`` condition. Policy referrers (RG-003) have no ResolvedRefs
  convention and are not judged. Only when ReferenceGrants were observed. One finding per
  (referrer, target), ``ref`` = the target, ``listener`` = the first listener claiming it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from auditor.checkids import RG_008, RT_007
from auditor.checks.common.fields import as_list, as_map, as_str
from auditor.checks.gateway.context import Context
from auditor.checks.gateway.grants import TargetRefs, is_route_backend
from auditor.checks.gateway.index import REFERENCEGRANT
from auditor.checks.gateway.refs import CertRole, is_mesh_parent, route_parent_refs
from auditor.checks.gateway.status_util import (
    condition,
    has_status,
    reason_of,
    status_entries,
    statuses_of,
)
from auditor.model import Finding, KubeObject, View

logger = logging.getLogger(__name__)


def enforcement_findings(ctx: Context, refused: list[TargetRefs]) -> Iterator[Finding | None]:
    if ctx.index.state.view != View.LIVE:
        return
    for route in ctx.index.routes:
        if has_status(route.body):
            yield _partially_accepted(ctx, route)
    if not ctx.index.observed(REFERENCEGRANT):
        return
    for target in refused:
        if has_status(target.first.referrer.body):
            yield _not_enforced(ctx, target)


def _partially_accepted(ctx: Context, route: KubeObject) -> Finding | None:
    prefs = route_parent_refs(route)
    if len(prefs) < 2:
        return None
    accepted: list[str] = []
    refused: list[str] = []
    for pref in prefs:
        conds = [c for c in (condition(e, "Accepted") for e in statuses_of(route, pref)) if c]
        if any(c.get("status") == "True" for c in conds):
            accepted.append(pref.describe())
        elif conds and all(c.get("status") == "False" for c in conds):
            reasons = sorted({reason_of(c) or "no reason" for c in conds})
            refused.append(f"{pref.describe()} ({', '.join(reasons)})")
    if not accepted or not refused:
        return None
    return ctx.finding(
        RT_007,
        route,
        f"{route.key} is accepted by only some of its parents: accepted by {'; '.join(accepted)}; "
        f"refused by {'; '.join(refused)}. Traffic through the refused parents is not served.",
    )


def _not_enforced(ctx: Context, target: TargetRefs) -> Finding | None:
    reference = target.first
    if reference.policy:
        return None
    claims = _route_claims(reference.referrer) if is_route_backend(reference) else []
    listener: str | None = None
    if reference.certificate and reference.role == CertRole.LISTENER and target.listeners:
        names = _resolved_listeners(reference.referrer, target.listeners)
        claims = [f"listener {name}" for name in names]
        listener = names[0] if names else None
    elif reference.certificate and _resolved(as_map(reference.referrer.body.get("status"))):
        claims = [f"the status of {reference.referrer.key}"]
    if not claims:
        return None
    src, dst = reference.referrer.key, reference.target
    return ctx.finding(
        RG_008,
        reference.referrer,
        f"{src} references {dst.group_kind} {dst.namespace}/{dst.name}, which no ReferenceGrant "
        f"in namespace {dst.namespace} permits, yet the controller reports ResolvedRefs=True on "
        f"{'; '.join(claims)}: the controller does not enforce ReferenceGrant.",
        ref=reference.ref,
        listener=listener,
        other_namespace=dst.namespace,
    )


def _route_claims(route: KubeObject) -> list[str]:
    """Non-mesh parents whose status entry reports ResolvedRefs=True, with their controller."""
    out = []
    for pref, entry in status_entries(route):
        if not is_mesh_parent(pref) and _resolved(entry):
            controller = as_str(entry.get("controllerName")) or "unknown controller"
            out.append(f"parent {pref.describe()} ({controller})")
    return out


def _resolved_listeners(parent: KubeObject, listeners: list[str]) -> list[str]:
    """Those of ``listeners`` whose ``status.listeners`` entry reports ResolvedRefs=True."""
    entries = as_list(as_map(parent.body.get("status")).get("listeners"))
    resolved = {as_str(e.get("name")) for e in map(as_map, entries) if _resolved(e)}
    return [name for name in listeners if name in resolved]


def _resolved(holder: Mapping[str, Any]) -> bool:
    cond = condition(holder, "ResolvedRefs")
    return cond is not None and cond.get("status") == "True"
