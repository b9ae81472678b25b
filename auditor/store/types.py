"""Value types of the history store: what callers pass in (scope, queries) and get back.

Stdlib only, so the app, the CLI and the notifier can use them without touching SQLAlchemy.
Timestamps are timezone-aware UTC ``datetime`` values; ``iso()`` renders them with a ``Z``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from auditor.deltas import DeltaType, FindingDelta, OutboxMessage
from auditor.model import Skipped

OutboxPlanner = Callable[[Sequence[FindingDelta]], Sequence[OutboxMessage]]
"""Turns a run's events into the notifications to store with it (``auditor.notify.plan``)."""


def iso(moment: datetime | None) -> str | None:
    """``2026-11-20T10:31:02Z`` (microseconds kept when present); None stays None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """An ISO 8601 timestamp as aware UTC; a naive one is taken to be UTC."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


_FINDING_KEYS = (
    "id", "check", "category", "severity", "view", "team", "other_team", "cluster", "object",
    "ref", "listener", "reason", "message", "changes", "hidden_changes", "origin",
)  # fmt: skip
_NESTED_KEYS = {
    "object": ("group", "kind", "namespace", "name", "sectionName", "port"),
    "ref": ("group", "kind", "namespace", "name", "sectionName", "port"),
    "origin": ("repository", "commit", "path", "line"),
}
_CHANGE_KEYS = ("path", "op", "desired", "live", "manager", "operation", "time")
_EVENT_KEYS = ("severity", "message", "changes", "hidden_changes", "origin")


def _ordered(data: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    out = {k: data[k] for k in keys if k in data}
    out.update((k, data[k]) for k in sorted(data) if k not in out)
    return out


def in_finding_order(finding: Mapping[str, Any]) -> dict[str, Any]:
    """A stored finding dict with the key order of DESIGN §6 (JSONB does not keep key order)."""
    out = _ordered(finding, _FINDING_KEYS + _EVENT_KEYS)
    for key, keys in _NESTED_KEYS.items():
        if isinstance(out.get(key), Mapping):
            out[key] = _ordered(out[key], keys)
    if isinstance(out.get("changes"), list):
        out["changes"] = [_ordered(c, _CHANGE_KEYS) for c in out["changes"]]
    return out


OUT_OF_SCOPE = "out of scope"
"""Resolution of findings whose cluster or team left the config (``store/out_of_scope.py``)."""


class FindingStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


EventType = DeltaType
"""The history's event types are the notifier's delta types (one enum, in ``auditor.model``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunScope:
    """What a run was asked to look at. Only findings inside it can be resolved by the run.

    ``teams`` None means every team (and findings with no team); ``disabled_checks`` are the
    checks the config turned off, whose findings the run neither raises nor resolves.
    ``configured_clusters``/``configured_teams`` (None: unknown) are every cluster and team the
    config names: open findings of any other cluster or team are resolved as out of scope.
    """

    clusters: frozenset[str]
    teams: frozenset[str] | None = None
    disabled_checks: frozenset[str] = frozenset()
    configured_clusters: frozenset[str] | None = None
    configured_teams: frozenset[str] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "clusters": sorted(self.clusters),
            "teams": sorted(self.teams) if self.teams is not None else None,
            "disabled_checks": sorted(self.disabled_checks),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingEvent:
    """One lifecycle event created by ``Store.record_run`` (input for notifications)."""

    finding_id: str
    type: EventType
    run_id: str
    at: datetime
    finding: Mapping[str, Any]  # the finding's §6 dict as of this event


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordResult:
    """What recording one run did. ``duplicate`` when the run id was already recorded."""

    run_id: str
    events: tuple[FindingEvent, ...] = ()
    duplicate: bool = False

    def ids(self, kind: EventType) -> tuple[str, ...]:
        return tuple(e.finding_id for e in self.events if e.type is kind)

    def count(self, kind: EventType) -> int:
        return sum(1 for e in self.events if e.type is kind)


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryQuery:
    """Filters of ``auditor history``. ``since`` keeps findings last seen at or after it."""

    teams: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    check: str | None = None
    category: str | None = None
    severity: str | None = None
    status: FindingStatus | None = FindingStatus.OPEN  # None = all
    since: datetime | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredEvent:
    """One row of a finding's timeline; ``detail`` is severity/message/changes at that time."""

    type: EventType
    run_id: str
    at: datetime
    detail: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        detail = in_finding_order(self.detail)
        return {"type": str(self.type), "run_id": self.run_id, "at": iso(self.at), **detail}


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredFinding:
    """A finding as the database knows it: current detail plus lifecycle fields."""

    id: str
    status: FindingStatus
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    finding: Mapping[str, Any]  # the §6 dict of the latest observation
    events: tuple[StoredEvent, ...] = ()

    def as_dict(self, *, with_events: bool = False) -> dict[str, Any]:
        out = in_finding_order(self.finding)
        out.update(
            status=str(self.status),
            first_seen=iso(self.first_seen),
            last_seen=iso(self.last_seen),
            resolved_at=iso(self.resolved_at),
        )
        if with_events:
            out["events"] = [e.as_dict() for e in self.events]
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class OldestOpen:
    id: str
    check: str
    first_seen: datetime
    age_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "check": self.check,
            "first_seen": iso(self.first_seen),
            "age_seconds": self.age_seconds,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamStats:
    """Per-team figures of ``auditor stats``; durations in seconds (None when nothing resolved).

    ``opened``/``reopened``/``resolved`` count events in the window. Time to resolve is measured
    from the latest opened/reopened event to each resolved event in the window.
    """

    team: str | None
    open_by_severity: Mapping[str, int]
    open_by_category: Mapping[str, int]
    opened: int
    reopened: int
    resolved: int
    mean_time_to_resolve: float | None
    p90_time_to_resolve: float | None
    oldest_open: OldestOpen | None

    @property
    def open_total(self) -> int:
        return sum(self.open_by_severity.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "open": self.open_total,
            "open_by_severity": dict(self.open_by_severity),
            "open_by_category": dict(self.open_by_category),
            "opened": self.opened,
            "reopened": self.reopened,
            "resolved": self.resolved,
            "mean_time_to_resolve_seconds": self.mean_time_to_resolve,
            "p90_time_to_resolve_seconds": self.p90_time_to_resolve,
            "oldest_open": self.oldest_open.as_dict() if self.oldest_open else None,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RunCounts:
    findings: int = 0
    opened: int = 0
    changed: int = 0
    reopened: int = 0
    resolved: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "findings": self.findings,
            "opened": self.opened,
            "changed": self.changed,
            "reopened": self.reopened,
            "resolved": self.resolved,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """One stored run, for ``auditor runs``."""

    id: str
    started_at: datetime
    finished_at: datetime
    status: str
    revisions: Mapping[str, str]
    skipped: tuple[Skipped, ...]
    scope: Mapping[str, Any]
    counts: RunCounts = field(default_factory=RunCounts)

    @property
    def duration_seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "duration_seconds": self.duration_seconds,
            "status": self.status,
            "revisions": dict(self.revisions),
            "skipped": [s.as_dict() for s in self.skipped],
            "scope": dict(self.scope),
            "counts": self.counts.as_dict(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneResult:
    runs: int
    findings: int
    events: int
    claims: int
