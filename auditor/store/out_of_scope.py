"""Resolving what the config no longer covers (issue 9, 4b): when a cluster or a team leaves the
config, the next recorded run resolves its open findings with the resolution ``out of scope``.

It happens once: those findings are resolved afterwards, and the run that resolved them carries
one note per cluster/team (``auditor runs`` shows it). It is a config decision, not an
observation, so it applies to partial runs too. Runs recorded without the configured sets
(``RunScope.configured_*`` None) resolve nothing this way.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from auditor.model import Skipped
from auditor.store.tables import FindingRow, RunRow
from auditor.store.types import OUT_OF_SCOPE, EventType, FindingEvent, FindingStatus, RunScope


def resolve(session: Session, scope: RunScope, *, run_id: str, at: datetime) -> list[FindingEvent]:
    """Resolve the open findings of unconfigured clusters/teams; note it on the run row."""
    outside = _outside(scope)
    if outside is None:
        return []
    stmt = select(FindingRow).where(FindingRow.status == str(FindingStatus.OPEN), outside)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    rows = list(session.execute(stmt.order_by(FindingRow.id)).scalars())
    if not rows:
        return []
    events, why = [], Counter[str]()
    for row in rows:
        reason = _reason(row, scope)
        why[reason] += 1
        finding = {**row.detail, "resolution": f"{OUT_OF_SCOPE}: {reason}"}
        events.append(
            FindingEvent(
                finding_id=row.id, type=EventType.RESOLVED, run_id=run_id, at=at, finding=finding
            )
        )
    resolved = {"status": str(FindingStatus.RESOLVED), "resolved_at": at}
    session.execute(update(FindingRow), [{**resolved, "id": row.id} for row in rows])
    notes = [
        Skipped(
            subject=OUT_OF_SCOPE,
            reason=f"{reason}: {n} open finding(s) resolved",
            partial=False,
        ).as_dict()
        for reason, n in sorted(why.items())
    ]
    run = session.get(RunRow, run_id)
    if run is not None:
        run.skipped = [*run.skipped, *notes]
    return events


def _outside(scope: RunScope) -> ColumnElement[bool] | None:
    conditions: list[ColumnElement[bool]] = []
    if scope.configured_clusters is not None:
        conditions.append(FindingRow.cluster.not_in(scope.configured_clusters))
    if scope.configured_teams is not None:
        conditions.append(
            and_(FindingRow.team.is_not(None), FindingRow.team.not_in(scope.configured_teams))
        )
    return or_(*conditions) if conditions else None


def _reason(row: FindingRow, scope: RunScope) -> str:
    if scope.configured_clusters is not None and row.cluster not in scope.configured_clusters:
        return f"cluster {row.cluster} is no longer configured"
    return f"team {row.team} is no longer configured"
