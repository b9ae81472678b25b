"""Which messages a recorded run produces (pure): routing to channels and the digest rule.

Routing (DESIGN §8): the owning team's ``slack_channel``, else ``notify.slack.default_channel``;
a cross-team finding also goes to ``other_team``'s channel. One message per (event, channel):
two teams sharing a channel get it once. When one run opens more than ``digest_threshold``
findings for a team in a channel, those opened events share a ``digest_key`` and go out as one
digest; their later changes are replied in the digest's thread.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from auditor.deltas import DeltaType, FindingDelta, OutboxMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Routing:
    """Team channels and the fallback, from the config."""

    team_channels: Mapping[str, str | None] = field(default_factory=dict)
    default_channel: str | None = None
    digest_threshold: int = 10

    def channel(self, team: str | None) -> str | None:
        own = self.team_channels.get(team) if team is not None else None
        return own or self.default_channel


def destinations(delta: FindingDelta, routing: Routing) -> list[tuple[str | None, str]]:
    """(team, channel) pairs for one event, owner first, each channel once. A later event of a
    finding already announced goes to the channels of its earlier messages (their threads)."""
    if delta.type is not DeltaType.OPENED and delta.announced_in:
        return list(delta.announced_in)
    out: list[tuple[str | None, str]] = []
    teams = [delta.team]
    if delta.other_team is not None and delta.other_team != delta.team:
        teams.append(delta.other_team)
    for team in teams:
        channel = routing.channel(team)
        if channel is None:
            logger.warning(
                "no Slack channel for team %s (set teams[].slack_channel or "
                "notify.slack.default_channel): finding %s not notified",
                team or "(none)",
                delta.finding_id[:12],
                extra={"action": "notify", "team": team, "finding": delta.finding_id},
            )
        elif all(channel != c for _, c in out):
            out.append((team, channel))
    return out


def plan(deltas: Sequence[FindingDelta], routing: Routing) -> list[OutboxMessage]:
    """The outbox rows of one run's events, in event order."""
    routed = [(d, team, ch) for d in deltas for team, ch in destinations(d, routing)]
    opened = Counter((t, ch) for d, t, ch in routed if d.type is DeltaType.OPENED)
    digests = {key for key, n in opened.items() if n > routing.digest_threshold}
    return [
        OutboxMessage(
            delta=d,
            team=team,
            channel=channel,
            digest_key=(
                f"{d.run_id}:{team or ''}:{channel}"
                if d.type is DeltaType.OPENED and (team, channel) in digests
                else None
            ),
        )
        for d, team, channel in routed
    ]
