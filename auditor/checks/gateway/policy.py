"""Org attachment policy: PDA-RT-001 (route or ListenerSet parent outside the team's allowed_parents).

Rule: for a referrer owned by a team whose ``allowed_parents`` is not None, every parentRef to a
Gateway or ListenerSet must match an entry by kind, namespace and name. When the matching entries
all list ``sections``, a parentRef's sectionName must be one of them; a parentRef without
sectionName is authorized only when every listener it would attach to is listed (a parentRef that
attaches to no listener is left to the attachment checks). The check runs whether or not the parent
exists. Severity is critical when, in the live view, the controller reports the parentRef
Accepted=True, else high. ``other_team`` is the owner of the parent's namespace.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from auditor.checkids import RT_001
from auditor.checks.gateway.context import Context
from auditor.checks.gateway.evaluate import Evaluation
from auditor.checks.gateway.index import PARENT_KINDS
from auditor.checks.gateway.status_util import reported_accepted
from auditor.model import AllowedParent, Finding, Severity, TeamPolicy, View

logger = logging.getLogger(__name__)


def policy_findings(ctx: Context, evaluations: list[Evaluation]) -> Iterator[Finding]:
    if not ctx.has_teams or not ctx.enabled(RT_001):
        return
    for ev in evaluations:
        if ev.pref.target.group_kind not in PARENT_KINDS:
            continue
        team = ctx.team_of_key(ev.referrer.key)
        if team is None or team.allowed_parents is None:
            continue
        why = _unauthorized(team, ev)
        if why is None:
            continue
        live_accepted = ctx.index.state.view == View.LIVE and reported_accepted(ev) is True
        yield from _emit(ctx, ev, team, why, live_accepted)


def _emit(
    ctx: Context, ev: Evaluation, team: TeamPolicy, why: str, live_accepted: bool
) -> Iterator[Finding]:
    accepted = " The controller reports it Accepted." if live_accepted else ""
    found = ctx.finding(
        RT_001,
        ev.referrer,
        f"{ev.referrer.key} of team {team.name} attaches to {ev.pref.describe()}, {why}.{accepted}",
        ref=ev.pref.ref,
        other_namespace=ev.pref.namespace,
        severity=Severity.CRITICAL if live_accepted else Severity.HIGH,
    )
    if found is not None:
        yield found


def _unauthorized(team: TeamPolicy, ev: Evaluation) -> str | None:
    """Why the parentRef is outside ``team``'s allowed_parents; None when it is authorized."""
    pref = ev.pref
    entries = [
        e
        for e in team.allowed_parents or ()
        if e.kind == pref.kind and e.namespace == pref.namespace and e.name == pref.name
    ]
    if not entries:
        return "which is not in the team's allowed_parents"
    if any(not e.sections for e in entries):
        return None
    sections = _sections(entries)
    listed = ", ".join(sorted(sections))
    if pref.section_name is not None:
        if pref.section_name in sections:
            return None
        return f"but listener {pref.section_name} is not among the allowed sections [{listed}]"
    outside = sorted({lst.name for lst in ev.listeners if lst.name not in sections})
    if not ev.accepted or not outside:
        return None
    return (
        f"without sectionName, so it also attaches to listener(s) {', '.join(outside)} outside "
        f"the allowed sections [{listed}]"
    )


def _sections(entries: list[AllowedParent]) -> set[str]:
    return {s for e in entries for s in e.sections}
