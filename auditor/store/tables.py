"""The database schema as SQLAlchemy 2 typed declarative models (the Alembic target metadata).

Tables: ``runs`` (one per audit), ``findings`` (one per fingerprint, current detail and
lifecycle), ``finding_events`` (the timeline), ``run_claims`` (one row per scheduled tick,
unique, so two workers can never run the same tick), ``outbox`` (notifications to send, written
with the run) and ``slack_threads`` (where each finding's message lives, per channel). Schema changes need a migration in
``migrations/versions`` (tests compare the two).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMA_REVISION = "0002"
"""The Alembic revision these models match; a new migration updates it (a test checks)."""

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonType = JSON().with_variant(JSONB(), "postgresql")
EventId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on both SQLite and PostgreSQL.

    SQLite keeps naive UTC text (which sorts and compares correctly); PostgreSQL ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store needs timezone-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    revisions: Mapped[dict[str, Any]] = mapped_column(JsonType)
    skipped: Mapped[list[Any]] = mapped_column(JsonType)
    scope: Mapped[dict[str, Any]] = mapped_column(JsonType)
    finding_count: Mapped[int] = mapped_column(Integer, default=0)
    opened_count: Mapped[int] = mapped_column(Integer, default=0)
    changed_count: Mapped[int] = mapped_column(Integer, default=0)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    resolved_count: Mapped[int] = mapped_column(Integer, default=0)


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (Index(None, "team", "last_seen"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    check_id: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(16), index=True)
    view: Mapped[str] = mapped_column(String(16))
    team: Mapped[str | None] = mapped_column(String(253))
    cluster: Mapped[str] = mapped_column(String(253), index=True)
    object_group: Mapped[str | None] = mapped_column(String(253))
    object_kind: Mapped[str | None] = mapped_column(String(253))
    status: Mapped[str] = mapped_column(String(16), index=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_run_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonType)


class EventRow(Base):
    __tablename__ = "finding_events"
    __table_args__ = (Index(None, "finding_id", "at"), Index(None, "type", "at"))

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    finding_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("findings.id", ondelete="CASCADE")
    )
    run_id: Mapped[str] = mapped_column(String(64), index=True)  # no FK: runs are pruned first
    type: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    detail: Mapped[dict[str, Any]] = mapped_column(JsonType)


class RunClaimRow(Base):
    __tablename__ = "run_claims"
    __table_args__ = (UniqueConstraint("schedule_key", "scheduled_for"),)

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    schedule_key: Mapped[str] = mapped_column(String(253))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxRow(Base):
    """One notification: a finding event for one channel. ``id`` orders events."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("run_id", "finding_id", "event", "channel"),
        Index(None, "status", "id"),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64))
    finding_id: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    team: Mapped[str | None] = mapped_column(String(253))
    channel: Mapped[str] = mapped_column(String(253))
    digest_key: Mapped[str | None] = mapped_column(String(600))
    finding: Mapped[dict[str, Any]] = mapped_column(JsonType)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SlackThreadRow(Base):
    """Slack's channel id and ``ts`` of a finding's message in one configured channel."""

    __tablename__ = "slack_threads"

    finding_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(253), primary_key=True)
    slack_channel: Mapped[str] = mapped_column(String(253))
    ts: Mapped[str] = mapped_column(String(64))
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())


def table(model: type[Base]) -> Table:
    """The Core table of a model (typed, for Core INSERT/DELETE statements)."""
    return cast(Table, model.__table__)
