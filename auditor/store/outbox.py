"""The notification outbox: rows written with a run, read and marked by the sender.

A row is ``pending`` until Slack accepted it (``sent``) or refused it for good (``failed``,
kept with its reason). A sender first *claims* a row (``claimed_until``) in its own short
transaction, so two drains never send the same row at once; a claim left by a killed process
expires and the row is sent again — the one duplicate the delivery guarantee allows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from auditor.deltas import DeltaType, FindingDelta, OutboxEntry, OutboxMessage, SlackThread
from auditor.model import Skipped
from auditor.store.tables import FindingRow, OutboxRow, RunRow, SlackThreadRow, table
from auditor.store.types import FindingEvent, iso, parse_time

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
NOTE_SUBJECT = "notify"
"""Subject of the notes a delivery problem leaves on its run (``auditor runs``)."""


def delta(event: FindingEvent, announced_in: Sequence[tuple[str | None, str]] = ()) -> FindingDelta:
    """The notifier's view of a history event (plain model types)."""
    return FindingDelta(
        finding_id=event.finding_id,
        type=event.type,
        run_id=event.run_id,
        at=iso(event.at) or "",
        finding=dict(event.finding),
        announced_in=tuple(announced_in),
    )


def deltas(session: Session, events: Sequence[FindingEvent]) -> list[FindingDelta]:
    """The run's events with the channels each finding was already announced in (earlier outbox
    rows, and Slack threads whose rows were pruned), so a resolve reaches the original thread even
    after the team's channel changed or the team left the config."""
    ids = {e.finding_id for e in events if e.type is not DeltaType.OPENED}
    announced: dict[str, dict[str, str | None]] = {}
    if ids:
        rows = session.execute(
            select(OutboxRow.finding_id, OutboxRow.team, OutboxRow.channel)
            .where(OutboxRow.finding_id.in_(ids), OutboxRow.status != FAILED)
            .order_by(OutboxRow.id)
        )
        for finding_id, team, channel in rows:
            announced.setdefault(finding_id, {}).setdefault(channel, team)
        threads = session.execute(
            select(SlackThreadRow.finding_id, SlackThreadRow.channel).where(
                SlackThreadRow.finding_id.in_(ids)
            )
        )
        for finding_id, channel in threads:
            announced.setdefault(finding_id, {}).setdefault(channel, None)
    return [
        delta(e, [(team, ch) for ch, team in announced.get(e.finding_id, {}).items()])
        for e in events
    ]


def insert(session: Session, messages: Sequence[OutboxMessage]) -> None:
    """Add the run's messages (inside the recording transaction), in event order."""
    if not messages:
        return
    rows = [
        {
            "run_id": m.delta.run_id,
            "finding_id": m.delta.finding_id,
            "event": str(m.delta.type),
            "at": parse_time(m.delta.at),
            "team": m.team,
            "channel": m.channel,
            "digest_key": m.digest_key,
            "finding": dict(m.delta.finding),
            "status": PENDING,
            "attempts": 0,
        }
        for m in messages
    ]
    session.connection().execute(table(OutboxRow).insert(), rows)


def pending(session: Session, limit: int) -> list[OutboxEntry]:
    stmt = select(OutboxRow).where(OutboxRow.status == PENDING).order_by(OutboxRow.id).limit(limit)
    return [_entry(r) for r in session.execute(stmt).scalars()]


def _entry(row: OutboxRow) -> OutboxEntry:
    message = OutboxMessage(
        delta=FindingDelta(
            finding_id=row.finding_id,
            type=DeltaType(row.event),
            run_id=row.run_id,
            at=iso(row.at) or "",
            finding=row.finding,
        ),
        team=row.team,
        channel=row.channel,
        digest_key=row.digest_key,
    )
    return OutboxEntry(
        id=row.id,
        message=message,
        attempts=row.attempts,
        next_attempt_at=iso(row.next_attempt_at),
    )


def claim(session: Session, ids: Sequence[int], *, now: datetime, until: datetime) -> bool:
    """Claim all of ``ids`` (still pending, unclaimed or claim expired), or none of them.

    Rows are locked on PostgreSQL; SQLite write transactions are serialized already.
    """
    stmt = select(OutboxRow).where(OutboxRow.id.in_(ids)).order_by(OutboxRow.id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    rows = list(session.execute(stmt).scalars())
    free = [
        r
        for r in rows
        if r.status == PENDING and (r.claimed_until is None or r.claimed_until <= now)
    ]
    if len(free) != len(ids):
        return False
    for row in free:
        row.claimed_until = until
    return True


def thread(session: Session, finding_id: str, channel: str) -> SlackThread | None:
    row = session.get(SlackThreadRow, (finding_id, channel))
    if row is None:
        return None
    return SlackThread(channel=row.slack_channel, ts=row.ts, digest=row.digest)


def mark_sent(
    session: Session,
    ids: Sequence[int],
    threads: Mapping[tuple[str, str], SlackThread],
    *,
    now: datetime,
) -> None:
    """Rows sent and, in the same transaction, the threads their posts started."""
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(ids))
        .values(status=SENT, sent_at=now, claimed_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    for (finding_id, channel), where in threads.items():
        row = session.get(SlackThreadRow, (finding_id, channel))
        if row is None:
            row = SlackThreadRow(finding_id=finding_id, channel=channel)
            session.add(row)
        row.slack_channel = where.channel
        row.ts = where.ts
        row.digest = where.digest
        row.posted_at = now


def mark_failed(
    session: Session,
    ids: Sequence[int],
    *,
    reason: str,
    permanent: bool,
    retry_at: datetime,
    note: Skipped | None,
) -> None:
    """A failed attempt: back to pending with a later ``next_attempt_at``, or ``failed``.

    ``note`` (once per run and problem) is added to the run's notes for ``auditor runs``.
    """
    values: dict[str, Any] = {
        "attempts": OutboxRow.attempts + 1,
        "last_error": reason[:255],
        "claimed_until": None,
        "next_attempt_at": None if permanent else retry_at,
    }
    if permanent:
        values["status"] = FAILED
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(ids))
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if note is None:
        return
    run_ids = session.execute(
        select(OutboxRow.run_id).where(OutboxRow.id.in_(ids)).distinct()
    ).scalars()
    for run_id in run_ids:
        run = session.get(RunRow, run_id)
        if run is not None and note.as_dict() not in run.skipped:
            run.skipped = [*run.skipped, note.as_dict()]


def depth(session: Session) -> int:
    stmt = select(func.count()).select_from(OutboxRow).where(OutboxRow.status == PENDING)
    return int(session.execute(stmt).scalar_one())


def prune(session: Session, older_than: datetime) -> int:
    """Delete sent and failed rows older than the cutoff (pending rows are always kept), and
    the Slack threads of findings the history no longer has."""
    stmt = table(OutboxRow).delete().where(OutboxRow.status != PENDING, OutboxRow.at < older_than)
    rows = int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
    orphans = SlackThreadRow.finding_id.not_in(select(FindingRow.id))
    session.execute(table(SlackThreadRow).delete().where(orphans))
    return rows


def counts(session: Session) -> dict[str, int]:
    """Rows by status (tests and diagnostics)."""
    stmt = select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
    return {status: int(n) for status, n in session.execute(stmt)}
