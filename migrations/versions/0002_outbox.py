"""outbox: notifications written with each run, and Slack threads per finding and channel

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

``outbox`` rows are inserted in the same transaction as the run's findings and drained by
``auditor.app.notifying.deliver_pending``; ``slack_threads`` remembers where each finding's
message was posted so later events update it and reply in its thread.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _serial() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", _serial(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("finding_id", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("at", _time(), nullable=False),
        sa.Column("team", sa.String(length=253), nullable=True),
        sa.Column("channel", sa.String(length=253), nullable=False),
        sa.Column("digest_key", sa.String(length=600), nullable=True),
        sa.Column("finding", _json(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _time(), nullable=True),
        sa.Column("claimed_until", _time(), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.Column("sent_at", _time(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint(
            "run_id",
            "finding_id",
            "event",
            "channel",
            name=op.f("uq_outbox_run_id_finding_id_event_channel"),
        ),
    )
    op.create_index(op.f("ix_outbox_status_id"), "outbox", ["status", "id"])
    op.create_table(
        "slack_threads",
        sa.Column("finding_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=253), nullable=False),
        sa.Column("slack_channel", sa.String(length=253), nullable=False),
        sa.Column("ts", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("posted_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("finding_id", "channel", name=op.f("pk_slack_threads")),
    )


def downgrade() -> None:
    op.drop_table("slack_threads")
    op.drop_index(op.f("ix_outbox_status_id"), table_name="outbox")
    op.drop_table("outbox")
