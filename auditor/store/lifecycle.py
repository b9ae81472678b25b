"""Finding lifecycle rules, as pure functions: what a run's observation does to a stored finding.

- not stored → ``opened``; stored and resolved → ``reopened`` (same id);
- stored, open, and its *detail* differs → ``changed``. Detail = severity, message and the
  changes' paths, ops, values and managers (DESIGN §7). ``origin.commit``, the managedFields
  timestamp and ``hidden_changes`` alone are not a change (the stored copy is still refreshed);
- stored, open, not in the run → ``resolved`` only when the run's scope and coverage say the
  subject was observed completely (``resolvable``);
- a run that started before the finding's last observation or resolution changes nothing about
  it (``superseded``): the newer run's state stands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auditor.keys import GroupKind
from auditor.model import Category, Coverage
from auditor.store.types import EventType, FindingStatus, RunScope

_CHANGE_FIELDS = ("path", "op", "desired", "live", "manager", "operation")


@dataclass(frozen=True, slots=True, kw_only=True)
class Known:
    """The stored state of one finding that a transition needs."""

    id: str
    status: FindingStatus
    team: str | None
    cluster: str
    check: str
    category: str
    object_group: str | None
    object_kind: str | None
    last_seen: datetime
    detail: Mapping[str, Any]
    resolved_at: datetime | None = None


def significant(finding: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a finding dict whose change is a ``changed`` event."""
    changes = [{k: c.get(k) for k in _CHANGE_FIELDS} for c in finding.get("changes") or ()]
    return {
        "severity": finding.get("severity"),
        "message": finding.get("message"),
        "changes": changes,
    }


def event_detail(finding: Mapping[str, Any]) -> dict[str, Any]:
    """What an event row keeps of the finding: its detail as of that event, plus provenance."""
    return {
        "severity": finding.get("severity"),
        "message": finding.get("message"),
        "changes": list(finding.get("changes") or ()),
        "hidden_changes": finding.get("hidden_changes", 0),
        "origin": finding.get("origin"),
        **({"resolution": finding["resolution"]} if "resolution" in finding else {}),
    }


def transition(known: Known | None, finding: Mapping[str, Any]) -> EventType | None:
    """The event an observation of ``finding`` causes; None when nothing worth an event changed."""
    if known is None:
        return EventType.OPENED
    if known.status is FindingStatus.RESOLVED:
        return EventType.REOPENED
    if significant(known.detail) != significant(finding):
        return EventType.CHANGED
    return None


def superseded(known: Known, at: datetime) -> bool:
    """A run that started after ``at`` already saw or resolved the finding. Runs can be recorded
    out of order (two workers, a slow run): an older observation must not undo a newer one."""
    return known.last_seen > at or (known.resolved_at is not None and known.resolved_at > at)


@dataclass(frozen=True, slots=True)
class CoverageIndex:
    """The run's coverage by (cluster, team)."""

    by_subject: Mapping[tuple[str, str | None], Coverage]

    @classmethod
    def of(cls, coverage: Iterable[Coverage]) -> CoverageIndex:
        return cls({(c.cluster, c.team): c for c in coverage})


def in_scope(known: Known, scope: RunScope) -> bool:
    """The finding is one this run was asked about (cluster, team, enabled check)."""
    if known.cluster not in scope.clusters or known.check in scope.disabled_checks:
        return False
    return scope.teams is None or (known.team is not None and known.team in scope.teams)


def observed(known: Known, coverage: CoverageIndex) -> bool:
    """The run observed the finding's subject completely, so its absence means it is gone."""
    cover = coverage.by_subject.get((known.cluster, known.team))
    if cover is None or not cover.git_ok:
        return False
    if cover.checks is not None and known.check not in cover.checks:
        return False
    if known.category == Category.SOURCE or known.object_kind is None:
        return True
    return GroupKind(known.object_group or "", known.object_kind) in cover.live_kinds


def resolvable(known: Known, scope: RunScope, coverage: CoverageIndex) -> bool:
    """An open finding absent from the run may be resolved by it."""
    return (
        known.status is FindingStatus.OPEN and in_scope(known, scope) and observed(known, coverage)
    )
