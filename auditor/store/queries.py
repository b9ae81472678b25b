"""Read-side queries of the history (history, show, runs, stats) and retention (prune).

Functions of a Session and their arguments; time comes in as parameters.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from auditor.model import Skipped
from auditor.store.tables import EventRow, FindingRow, RunClaimRow, RunRow, UTCDateTime, table
from auditor.store.types import (
    EventType,
    FindingStatus,
    HistoryQuery,
    OldestOpen,
    PruneResult,
    RunCounts,
    RunRecord,
    StoredEvent,
    StoredFinding,
    TeamStats,
)

OPEN = str(FindingStatus.OPEN)
RESOLVED = str(FindingStatus.RESOLVED)


def history(session: Session, query: HistoryQuery) -> list[StoredFinding]:
    stmt = select(FindingRow)
    for condition in _history_filters(query):
        stmt = stmt.where(condition)
    stmt = stmt.order_by(FindingRow.last_seen.desc(), FindingRow.id).limit(query.limit)
    return [_stored(row) for row in session.execute(stmt).scalars()]


def _history_filters(query: HistoryQuery) -> Iterable[ColumnElement[bool]]:
    if query.teams:
        yield FindingRow.team.in_(query.teams)
    if query.clusters:
        yield FindingRow.cluster.in_(query.clusters)
    if query.check:
        yield FindingRow.check_id == query.check
    if query.category:
        yield FindingRow.category == query.category
    if query.severity:
        yield FindingRow.severity == query.severity
    if query.status is not None:
        yield FindingRow.status == str(query.status)
    if query.since is not None:
        yield FindingRow.last_seen >= query.since


def get(session: Session, finding_id: str) -> StoredFinding | None:
    row = session.get(FindingRow, finding_id)
    if row is None:
        return None
    stmt = select(EventRow).where(EventRow.finding_id == finding_id)
    events = session.execute(stmt.order_by(EventRow.at, EventRow.id)).scalars()
    timeline = tuple(
        StoredEvent(type=EventType(e.type), run_id=e.run_id, at=e.at, detail=e.detail)
        for e in events
    )
    return _stored(row, timeline)


def match_ids(session: Session, prefix: str, limit: int) -> list[str]:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = select(FindingRow.id).where(FindingRow.id.like(f"{escaped}%", escape="\\"))
    return list(session.execute(stmt.order_by(FindingRow.id).limit(limit)).scalars())


def _stored(row: FindingRow, events: tuple[StoredEvent, ...] = ()) -> StoredFinding:
    return StoredFinding(
        id=row.id,
        status=FindingStatus(row.status),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        resolved_at=row.resolved_at,
        finding=row.detail,
        events=events,
    )


def runs(session: Session, limit: int) -> list[RunRecord]:
    stmt = select(RunRow).order_by(RunRow.started_at.desc(), RunRow.id).limit(limit)
    return [_run_record(row) for row in session.execute(stmt).scalars()]


def _run_record(row: RunRow) -> RunRecord:
    counts = RunCounts(
        findings=row.finding_count,
        opened=row.opened_count,
        changed=row.changed_count,
        reopened=row.reopened_count,
        resolved=row.resolved_count,
    )
    return RunRecord(
        id=row.id,
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=row.status,
        revisions=row.revisions,
        skipped=tuple(
            Skipped(subject=s["subject"], reason=s["reason"], partial=s.get("partial", True))
            for s in row.skipped
        ),
        scope=row.scope,
        counts=counts,
    )


def prune(session: Session, older_than: datetime) -> PruneResult:
    """Delete old runs and claims, and findings resolved before the cutoff with their events."""
    connection = session.connection()
    gone = select(FindingRow.id).where(
        FindingRow.status == RESOLVED, FindingRow.resolved_at < older_than
    )
    session.execute(gone.with_for_update()).all()  # a concurrent run cannot reopen them now
    events = connection.execute(delete(table(EventRow)).where(EventRow.finding_id.in_(gone)))
    findings = connection.execute(
        delete(table(FindingRow)).where(FindingRow.id.in_(gone.scalar_subquery()))
    )
    run_rows = connection.execute(delete(table(RunRow)).where(RunRow.started_at < older_than))
    claims = connection.execute(
        delete(table(RunClaimRow)).where(RunClaimRow.scheduled_for < older_than)
    )
    return PruneResult(
        runs=run_rows.rowcount,
        findings=findings.rowcount,
        events=events.rowcount,
        claims=claims.rowcount,
    )


# --- stats -------------------------------------------------------------------------------


def stats(
    session: Session, *, teams: Sequence[str], since: datetime, now: datetime
) -> list[TeamStats]:
    by_severity = _open_counts(session, FindingRow.severity, teams)
    by_category = _open_counts(session, FindingRow.category, teams)
    window = _window_counts(session, teams, since, now)
    durations = _resolve_durations(session, teams, since, now)
    oldest = _oldest_open(session, teams, now)
    names: set[str | None] = set(teams) or {*by_severity, *window, *durations}
    return [
        TeamStats(
            team=team,
            open_by_severity=by_severity.get(team, {}),
            open_by_category=by_category.get(team, {}),
            opened=window.get(team, {}).get(EventType.OPENED, 0),
            reopened=window.get(team, {}).get(EventType.REOPENED, 0),
            resolved=window.get(team, {}).get(EventType.RESOLVED, 0),
            mean_time_to_resolve=_mean(durations.get(team, [])),
            p90_time_to_resolve=percentile(durations.get(team, []), 90),
            oldest_open=oldest.get(team),
        )
        for team in sorted(names, key=lambda t: (t is None, t or ""))
    ]


def _of_teams(teams: Sequence[str]) -> ColumnElement[bool]:
    return FindingRow.team.in_(teams) if teams else true()


def _open_counts(
    session: Session, column: InstrumentedAttribute[str], teams: Sequence[str]
) -> dict[str | None, dict[str, int]]:
    stmt = (
        select(FindingRow.team, column, func.count())
        .where(FindingRow.status == OPEN, _of_teams(teams))
        .group_by(FindingRow.team, column)
    )
    out: dict[str | None, dict[str, int]] = defaultdict(dict)
    for team, value, count in session.execute(stmt):
        out[team][value] = count
    return dict(out)


def _window_counts(
    session: Session, teams: Sequence[str], since: datetime, now: datetime
) -> dict[str | None, dict[EventType, int]]:
    stmt = (
        select(FindingRow.team, EventRow.type, func.count())
        .join(FindingRow, FindingRow.id == EventRow.finding_id)
        .where(EventRow.at >= since, EventRow.at <= now, _of_teams(teams))
        .group_by(FindingRow.team, EventRow.type)
    )
    out: dict[str | None, dict[EventType, int]] = defaultdict(dict)
    for team, kind, count in session.execute(stmt):
        out[team][EventType(kind)] = count
    return dict(out)


def _resolve_durations(
    session: Session, teams: Sequence[str], since: datetime, now: datetime
) -> dict[str | None, list[float]]:
    """Seconds from the opened/reopened event before each resolved event in the window.

    Lifecycle events alternate (opened|reopened) → resolved, so the previous one of those three
    types (LAG) is the event that opened the episode.
    """
    lifecycle = (str(EventType.OPENED), str(EventType.REOPENED), str(EventType.RESOLVED))
    resolved_in_window = select(EventRow.finding_id).where(
        EventRow.type == str(EventType.RESOLVED), EventRow.at >= since, EventRow.at <= now
    )
    previous = func.lag(EventRow.at, type_=UTCDateTime()).over(
        partition_by=EventRow.finding_id, order_by=(EventRow.at, EventRow.id)
    )
    inner = (
        select(FindingRow.team, EventRow.type, EventRow.at, previous.label("opened_at"))
        .join(FindingRow, FindingRow.id == EventRow.finding_id)
        .where(EventRow.finding_id.in_(resolved_in_window), EventRow.type.in_(lifecycle))
        .where(EventRow.at <= now, _of_teams(teams))
        .subquery()
    )
    stmt = select(inner.c.team, inner.c.at, inner.c.opened_at).where(
        inner.c.type == str(EventType.RESOLVED), inner.c.at >= since
    )
    out: dict[str | None, list[float]] = defaultdict(list)
    for team, at, opened_at in session.execute(stmt):
        if opened_at is not None:
            out[team].append((at - opened_at).total_seconds())
    return dict(out)


def _oldest_open(
    session: Session, teams: Sequence[str], now: datetime
) -> dict[str | None, OldestOpen]:
    rank = func.row_number().over(
        partition_by=FindingRow.team, order_by=(FindingRow.first_seen, FindingRow.id)
    )
    inner = select(
        FindingRow.team,
        FindingRow.id,
        FindingRow.check_id,
        FindingRow.first_seen,
        rank.label("rank"),
    ).where(FindingRow.status == OPEN, _of_teams(teams))
    sub = inner.subquery()
    stmt = select(sub.c.team, sub.c.id, sub.c.check_id, sub.c.first_seen).where(sub.c.rank == 1)
    out: dict[str | None, OldestOpen] = {}
    for team, fid, check, first in session.execute(stmt):
        age = (now - first).total_seconds()
        out[team] = OldestOpen(id=fid, check=check, first_seen=first, age_seconds=age)
    return out


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``pct`` % of values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def open_counts(session: Session) -> list[tuple[str | None, str, str, int]]:
    """Open findings counted by (team, category, severity), for the worker's gauge."""
    stmt = (
        select(FindingRow.team, FindingRow.category, FindingRow.severity, func.count())
        .where(FindingRow.status == OPEN)
        .group_by(FindingRow.team, FindingRow.category, FindingRow.severity)
    )
    return [
        (team, category, severity, int(n)) for team, category, severity, n in session.execute(stmt)
    ]
