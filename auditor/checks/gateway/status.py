"""Status trust (live view only, objects with a status): ST-001 … ST-005. Reason is null.

- ST-001: negative conditions (Accepted/ResolvedRefs/Programmed False, Conflicted True) on a
  Gateway, its listeners, a ListenerSet, its listeners, or a route's status.parents entry.
  One finding per subject (object, listener or parentRef), listing every negative condition.
- ST-002: a condition whose observedGeneration is behind metadata.generation and whose
  lastTransitionTime is older than the grace period (needs ``now``); one finding per object.
- ST-003: a route parentRef to an existing parent with no status.parents entry.
- ST-004 (critical): the controller's Accepted contradicts the evaluation: Accepted=True where a
  refusal is predicted, or Accepted=False with an attachment reason (NotAllowedByListeners,
  NoMatchingParent, NoMatchingListenerHostname, NotAllowed) where acceptance is predicted.
- ST-005: a GatewayClass whose status has no Accepted=True condition.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.checkids import ST_001, ST_002, ST_003, ST_004, ST_005
from auditor.checks.common.fields import as_int, as_list, as_map, as_str, path
from auditor.checks.gateway.context import Context
from auditor.checks.gateway.evaluate import REASONS, Evaluation, Outcome
from auditor.checks.gateway.index import GATEWAYCLASS, LISTENERSET_KINDS, Parent
from auditor.checks.gateway.status_util import (
    condition,
    conditions,
    has_status,
    parent_statuses,
    reason_of,
    status_entries,
)
from auditor.checks.gateway.tenancy import listener_ref
from auditor.model import Finding, KubeObject, Ref, View

logger = logging.getLogger(__name__)

NO_STATUS_OUTCOMES = frozenset(
    {Outcome.DANGLING, Outcome.UNOBSERVED, Outcome.UNKNOWN, Outcome.LISTENERSET_NOT_ALLOWED}
)
"""parentRefs a controller need not report on: no parent, not judged, or a parent that is not
itself accepted (a ListenerSet its Gateway refuses)."""
REFUSALS = frozenset(REASONS)
ATTACHMENT_REASONS = frozenset(REASONS.values())


def status_findings(ctx: Context, evaluations: list[Evaluation]) -> Iterator[Finding | None]:
    if ctx.index.state.view != View.LIVE:
        return
    for parent in [*ctx.index.gateways.values(), *ctx.index.listenersets.values()]:
        if has_status(parent.obj.body):
            yield from _parent_negative(ctx, parent)
    for route in ctx.index.routes:
        if has_status(route.body):
            yield from _route_negative(ctx, route)
    for ev in evaluations:
        if has_status(ev.referrer.body):
            yield _missing_entry(ctx, ev)
            yield _contradiction(ctx, ev)
    for obj in ctx.index.state.objects.values():
        if has_status(obj.body):
            yield _stale(ctx, obj)
            if obj.key.group_kind == GATEWAYCLASS:
                yield _class_not_accepted(ctx, obj)


def _negatives(holder: Mapping[str, Any]) -> list[str]:
    out = []
    for cond in conditions(holder):
        kind, status = cond.get("type"), cond.get("status")
        bad = (kind in ("Accepted", "ResolvedRefs", "Programmed") and status == "False") or (
            kind == "Conflicted" and status == "True"
        )
        if bad:
            out.append(f"{kind}={status} ({reason_of(cond) or 'no reason'})")
    return out


def _parent_negative(ctx: Context, parent: Parent) -> Iterator[Finding | None]:
    status = as_map(parent.obj.body.get("status"))
    bad = _negatives(status)
    if bad:
        yield ctx.finding(ST_001, parent.obj, f"{parent.key} reports {'; '.join(bad)}.")
    by_name = {lst.name: lst for lst in parent.listeners}
    for entry in map(as_map, as_list(status.get("listeners"))):
        name = as_str(entry.get("name")) or ""
        bad = _negatives(entry)
        if not bad:
            continue
        listener = by_name.get(name)
        ref = (
            listener_ref(listener)
            if listener
            else Ref(
                group=parent.key.group,
                kind=parent.key.kind,
                namespace=parent.key.namespace,
                name=parent.key.name,
                section_name=name,
            )
        )
        yield ctx.finding(
            ST_001,
            parent.obj,
            f"Listener {name} of {parent.key} reports {'; '.join(bad)}.",
            listener=name,
            ref=ref,
        )


def _route_negative(ctx: Context, route: KubeObject) -> Iterator[Finding | None]:
    seen: dict[Ref, list[str]] = {}
    for pref, entry in status_entries(route):
        bad = _negatives(entry)
        if bad:
            controller = as_str(entry.get("controllerName")) or "unknown controller"
            seen.setdefault(pref.ref, []).append(f"{controller}: {'; '.join(bad)}")
    for ref, bad in seen.items():
        yield ctx.finding(
            ST_001,
            route,
            f"{route.key} parent {ref.namespace}/{ref.name} reports {' | '.join(bad)}.",
            ref=ref,
            other_namespace=ref.namespace,
        )


def _missing_entry(ctx: Context, ev: Evaluation) -> Finding | None:
    if ev.referrer.key.group_kind in LISTENERSET_KINDS or ev.outcome in NO_STATUS_OUTCOMES:
        return None
    if next(parent_statuses(ev), None) is not None:
        return None
    return ctx.finding(
        ST_003,
        ev.referrer,
        f"{ev.referrer.key} parentRef #{ev.pref.index} to {ev.pref.describe()} has no "
        f"status.parents entry: no controller reports on it.",
        ref=ev.pref.ref,
        other_namespace=ev.pref.namespace,
    )


def _contradiction(ctx: Context, ev: Evaluation) -> Finding | None:
    if ev.referrer.key.group_kind in LISTENERSET_KINDS:
        conds = [condition(as_map(ev.referrer.body.get("status")), "Accepted")]
    else:
        conds = [condition(e, "Accepted") for e in parent_statuses(ev)]
    predicted = REASONS.get(ev.outcome)
    for cond in (c for c in conds if c is not None):
        reported = cond.get("status")
        if reported == "True" and ev.outcome in REFUSALS:
            why = f"the controller reports Accepted=True but the spec predicts {predicted}"
        elif reported == "False" and ev.accepted and reason_of(cond) in ATTACHMENT_REASONS:
            why = f"the controller reports Accepted=False ({reason_of(cond)}) but the spec predicts acceptance"
        else:
            continue
        return ctx.finding(
            ST_004,
            ev.referrer,
            f"{ev.referrer.key} parentRef to {ev.pref.describe()}: {why}; the controller may not "
            f"enforce the Gateway API rules.",
            ref=ev.pref.ref,
            other_namespace=ev.pref.namespace,
        )
    return None


def _all_conditions(body: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    status = as_map(body.get("status"))
    yield from conditions(status)
    for key in ("listeners", "parents"):
        for entry in map(as_map, as_list(status.get(key))):
            yield from conditions(entry)


def _stale(ctx: Context, obj: KubeObject) -> Finding | None:
    now = ctx.settings.now
    generation = as_int(path(obj.body, "metadata", "generation"))
    if now is None or generation is None:
        return None
    cutoff = _aware(now) - timedelta(seconds=ctx.settings.status_grace_seconds)
    stale = []
    for cond in _all_conditions(obj.body):
        observed = as_int(cond.get("observedGeneration"))
        when = _parse_time(as_str(cond.get("lastTransitionTime")))
        if observed is not None and observed < generation and when is not None and when < cutoff:
            stale.append(f"{cond.get('type')} (observedGeneration {observed})")
    if not stale:
        return None
    return ctx.finding(
        ST_002,
        obj,
        f"{obj.key} is at generation {generation} but its status still describes an older one: "
        f"{', '.join(stale[:5])}; the controller has not reconciled it within "
        f"{ctx.settings.status_grace_seconds}s.",
    )


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return _aware(parsed)


def _aware(moment: datetime) -> datetime:
    """Naive times are taken as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _class_not_accepted(ctx: Context, obj: KubeObject) -> Finding | None:
    cond = condition(as_map(obj.body.get("status")), "Accepted")
    if cond is not None and cond.get("status") == "True":
        return None
    state = (
        "no Accepted condition"
        if cond is None
        else f"Accepted={cond.get('status')} ({reason_of(cond)})"
    )
    return ctx.finding(
        ST_005,
        obj,
        f"GatewayClass {obj.key.name} has {state}: no controller accepts it, so its Gateways are "
        f"not served.",
    )
