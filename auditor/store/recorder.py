"""Recording one run: the single transaction that applies a run's findings to the history.

Concurrency is left to the database. New findings go in with ``INSERT ... ON CONFLICT DO
NOTHING`` (sorted by id), so of two processes seeing the same new finding exactly one opens it;
every existing row the run may touch is then locked with one ordered ``SELECT ... FOR UPDATE``
on PostgreSQL. On SQLite the caller's ``BEGIN IMMEDIATE`` serializes writers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, any_, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from auditor.model import AuditRun
from auditor.store import out_of_scope
from auditor.store import outbox as outbox_mod
from auditor.store.lifecycle import (
    CoverageIndex,
    Known,
    event_detail,
    resolvable,
    superseded,
    transition,
)
from auditor.store.tables import Base, EventRow, FindingRow, RunClaimRow, RunRow, table
from auditor.store.types import (
    EventType,
    FindingEvent,
    FindingStatus,
    OutboxPlanner,
    RecordResult,
    RunScope,
    parse_time,
)

logger = logging.getLogger(__name__)

SQLITE_CHUNK = 500  # ids per IN (...) on SQLite (bound-parameter limits)

_COUNT_COLUMNS = {
    EventType.OPENED: "opened_count",
    EventType.CHANGED: "changed_count",
    EventType.REOPENED: "reopened_count",
    EventType.RESOLVED: "resolved_count",
}


def record(
    session: Session, run: AuditRun, scope: RunScope, outbox: OutboxPlanner | None = None
) -> RecordResult:
    """Apply ``run`` inside the session's (write) transaction; the caller commits.

    With ``outbox``, the notifications of the run's events are written in the same transaction,
    so an event is recorded with its notifications or not at all.
    """
    at = parse_time(run.started_at)
    if not _insert_run(session, run, scope, at):
        logger.info("run already recorded", extra={"action": "record", "run_id": run.id})
        return RecordResult(run_id=run.id, duplicate=True)
    seen = {f.id: f.as_dict() for f in sorted(run.findings, key=lambda f: f.id)}
    new_ids = _insert_new(session, seen, run_id=run.id, at=at)
    known = _lock_known(session, [i for i in seen if i not in new_ids], scope)
    pruned_meanwhile = {i: seen[i] for i in seen if i not in new_ids and i not in known}
    new_ids |= _insert_new(session, pruned_meanwhile, run_id=run.id, at=at)
    events = [_event(i, EventType.OPENED, run.id, at, seen[i]) for i in seen if i in new_ids]
    events += _apply_seen(session, seen, known, new_ids, run_id=run.id, at=at)
    events += _apply_absent(session, seen, known, scope, CoverageIndex.of(run.coverage), run.id, at)
    events += out_of_scope.resolve(session, scope, run_id=run.id, at=at)
    _insert_events(session, events)
    if outbox is not None:
        outbox_mod.insert(session, outbox(outbox_mod.deltas(session, events)))
    _finish_run(session, run.id, len(seen), events)
    return RecordResult(run_id=run.id, events=tuple(events))


def _insert_run(session: Session, run: AuditRun, scope: RunScope, at: datetime) -> bool:
    row = {
        "id": run.id,
        "started_at": at,
        "finished_at": parse_time(run.finished_at),
        "status": str(run.status),
        "revisions": dict(run.revisions),
        "skipped": [s.as_dict() for s in run.skipped],
        "scope": scope.as_dict(),
        "finding_count": 0,
        **dict.fromkeys(_COUNT_COLUMNS.values(), 0),
    }
    stmt = _insert(session, RunRow).values(row).on_conflict_do_nothing(index_elements=["id"])
    return bool(session.execute(stmt.returning(RunRow.id)).first())


def _insert_new(
    session: Session, seen: Mapping[str, Mapping[str, Any]], *, run_id: str, at: datetime
) -> set[str]:
    if not seen:
        return set()
    rows = [_finding_row(fid, f, run_id=run_id, at=at) for fid, f in seen.items()]
    stmt = _insert(session, FindingRow).on_conflict_do_nothing(index_elements=["id"])
    returning = stmt.returning(table(FindingRow).c.id)
    return set(session.connection().execute(returning, rows).scalars())


def _finding_row(fid: str, f: Mapping[str, Any], *, run_id: str, at: datetime) -> dict[str, Any]:
    obj = f.get("object") or {}
    return {
        "id": fid,
        "check_id": f["check"],
        "category": f["category"],
        "severity": f["severity"],
        "view": f["view"],
        "team": f.get("team"),
        "cluster": f["cluster"],
        "object_group": obj.get("group"),
        "object_kind": obj.get("kind"),
        "status": str(FindingStatus.OPEN),
        "first_seen": at,
        "last_seen": at,
        "resolved_at": None,
        "last_run_id": run_id,
        "detail": dict(f),
    }


def _lock_known(session: Session, ids: Sequence[str], scope: RunScope) -> dict[str, Known]:
    """Stored rows the run may touch: those it saw, and open ones inside its scope."""
    open_in_scope: ColumnElement[bool] = and_(
        FindingRow.status == str(FindingStatus.OPEN), FindingRow.cluster.in_(scope.clusters)
    )
    if scope.teams is not None:
        open_in_scope = and_(open_in_scope, FindingRow.team.in_(scope.teams))
    if session.get_bind().dialect.name == "postgresql":
        seen = FindingRow.id == any_(bindparam("seen", list(ids), type_=postgresql.ARRAY(String)))
        return _select_known(session, or_(seen, open_in_scope) if ids else open_in_scope, True)
    known = _select_known(session, open_in_scope, False)
    for chunk in _chunks(ids, SQLITE_CHUNK):
        known.update(_select_known(session, FindingRow.id.in_(chunk), False))
    return known


def _select_known(session: Session, where: ColumnElement[bool], lock: bool) -> dict[str, Known]:
    stmt = select(FindingRow).where(where).order_by(FindingRow.id)
    rows = session.execute(stmt.with_for_update() if lock else stmt).scalars()
    return {r.id: _known(r) for r in rows}


def _known(row: FindingRow) -> Known:
    return Known(
        id=row.id,
        status=FindingStatus(row.status),
        team=row.team,
        cluster=row.cluster,
        check=row.check_id,
        category=row.category,
        object_group=row.object_group,
        object_kind=row.object_kind,
        last_seen=row.last_seen,
        detail=row.detail,
        resolved_at=row.resolved_at,
    )


def _apply_seen(
    session: Session,
    seen: Mapping[str, Mapping[str, Any]],
    known: Mapping[str, Known],
    new_ids: set[str],
    *,
    run_id: str,
    at: datetime,
) -> list[FindingEvent]:
    events: list[FindingEvent] = []
    updates: list[dict[str, Any]] = []
    for fid, finding in seen.items():
        if fid in new_ids:
            continue
        stored = known[fid]
        if superseded(stored, at):
            continue
        kind = transition(stored, finding)
        if kind is not None:
            events.append(_event(fid, kind, run_id, at, finding))
        row = _finding_row(fid, finding, run_id=run_id, at=at)
        del row["first_seen"]
        updates.append(row)
    if updates:
        session.execute(update(FindingRow), updates)
    return events


def _apply_absent(
    session: Session,
    seen: Mapping[str, Mapping[str, Any]],
    known: Mapping[str, Known],
    scope: RunScope,
    coverage: CoverageIndex,
    run_id: str,
    at: datetime,
) -> list[FindingEvent]:
    gone = [
        k
        for fid, k in known.items()
        if fid not in seen and resolvable(k, scope, coverage) and not superseded(k, at)
    ]
    if gone:
        resolved = {"status": str(FindingStatus.RESOLVED), "resolved_at": at}
        session.execute(update(FindingRow), [{**resolved, "id": k.id} for k in gone])
    return [_event(k.id, EventType.RESOLVED, run_id, at, k.detail) for k in gone]


def _insert_events(session: Session, events: Sequence[FindingEvent]) -> None:
    if not events:
        return
    rows = [
        {
            "finding_id": e.finding_id,
            "run_id": e.run_id,
            "type": str(e.type),
            "at": e.at,
            "detail": event_detail(e.finding),
        }
        for e in events
    ]
    session.connection().execute(table(EventRow).insert(), rows)


def _finish_run(session: Session, run_id: str, total: int, events: Iterable[FindingEvent]) -> None:
    counts = dict.fromkeys(_COUNT_COLUMNS.values(), 0)
    for e in events:
        counts[_COUNT_COLUMNS[e.type]] += 1
    values = {"finding_count": total, **counts}
    session.execute(update(RunRow).where(RunRow.id == run_id).values(values))


def _event(
    fid: str, kind: EventType, run_id: str, at: datetime, finding: Mapping[str, Any]
) -> FindingEvent:
    return FindingEvent(finding_id=fid, type=kind, run_id=run_id, at=at, finding=finding)


def claim(session: Session, schedule_key: str, scheduled_for: datetime, now: datetime) -> bool:
    """Insert the (schedule_key, scheduled_for) claim unless it exists; True when inserted."""
    row = {"schedule_key": schedule_key, "scheduled_for": scheduled_for, "claimed_at": now}
    stmt = (
        _insert(session, RunClaimRow)
        .values(row)
        .on_conflict_do_nothing(index_elements=["schedule_key", "scheduled_for"])
    )
    return bool(session.execute(stmt.returning(RunClaimRow.id)).first())


def _insert(session: Session, model: type[Base]) -> Any:
    """The dialect's INSERT (with ``on_conflict_do_nothing``) for ``model``'s table."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table(model))


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
