"""The notifier's vocabulary: history events as deltas, outbox messages and Slack threads.

Plain frozen types (stdlib only) so that ``notify/`` receives the history's events without
importing ``store/``; split from ``model.py``, which owns the audit's own vocabulary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class DeltaType(StrEnum):
    """What happened to a finding in one recorded run (the history's event types)."""

    OPENED = "opened"
    CHANGED = "changed"
    RESOLVED = "resolved"
    REOPENED = "reopened"


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingDelta:
    """One lifecycle event of a recorded run, as the notifier sees it (no database types).

    ``finding`` is the finding's DESIGN §6 dict as of the event (for a resolve: as last seen,
    possibly with a ``resolution`` note).
    """

    finding_id: str
    type: DeltaType
    run_id: str
    at: str  # ISO 8601 UTC
    finding: Mapping[str, Any]
    announced_in: tuple[tuple[str | None, str], ...] = ()
    """(team, channel) pairs where this finding already has a message (sent or queued): its
    later events go to those threads, whatever the config routes to now."""

    @property
    def team(self) -> str | None:
        team = self.finding.get("team")
        return team if isinstance(team, str) else None

    @property
    def other_team(self) -> str | None:
        other = self.finding.get("other_team")
        return other if isinstance(other, str) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxMessage:
    """One notification to send: a finding event for one channel, written with the run.

    ``team`` is the team whose channel this is (None: the default channel for an unowned
    finding). Rows sharing a ``digest_key`` go out as one digest message.
    """

    delta: FindingDelta
    team: str | None
    channel: str
    digest_key: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxEntry:
    """A stored outbox row: the message plus its delivery state (``id`` orders events)."""

    id: int
    message: OutboxMessage
    attempts: int = 0
    next_attempt_at: str | None = None  # ISO 8601 UTC; None = due now


@dataclass(frozen=True, slots=True, kw_only=True)
class SlackThread:
    """Where a finding's message lives in one channel: Slack's channel id and ``ts``.

    ``digest`` when the message is a digest of many findings (it is replied to, never updated).
    """

    channel: str
    ts: str
    digest: bool = False
