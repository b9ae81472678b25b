"""Delivering the outbox: from stored rows to Slack (or the console), with retries and backoff.

``deliver_pending`` is called after every recorded run (``auditor audit`` unless ``--no-notify``,
each tick of ``auditor serve``). It walks pending rows in event order and:

- posts an opened finding (or a digest of a run's opened findings for one team) and records
  Slack's ``channel`` and ``ts`` per finding and channel, in the transaction marking it sent;
- for a change, resolve or reopen, updates that message (``chat.update``) and replies in its
  thread — or posts a new message when there is none (it was never sent, or the notifier is a
  webhook that cannot edit);
- never sends a row while an earlier row of the same finding and channel is still pending, so a
  resolve cannot overtake the post it resolves;
- on failure keeps the row: transient errors (5xx, timeouts, 429 after the client's Retry-After
  retries) stay pending with exponential backoff; permanent ones (``channel_not_found``,
  ``not_in_channel``, ``invalid_auth``…) are marked failed and not retried. Each failure is a
  log line naming team and channel, a ``DeliveryReport`` entry and a ``notify`` note on the run.

Delivery guarantee: every row is sent at least once and at most twice; a duplicate happens only
when the process dies after Slack accepted a message and before its row was marked sent (a
claim left behind expires after ``CLAIM_SECONDS`` and the row is sent again).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from auditor.config import Settings
from auditor.deltas import DeltaType, OutboxEntry, OutboxMessage, SlackThread
from auditor.model import Skipped
from auditor.notify.base import DeliveryError, Notifier
from auditor.notify.plan import Routing, plan
from auditor.render import slack as render
from auditor.store.types import OutboxPlanner, parse_time

if TYPE_CHECKING:
    from auditor.store import Store

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 300
"""How long a sender holds rows it is sending; a crashed sender's rows are free after this."""
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
BATCH = 1000
NOTE_SUBJECT = "notify"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryFailure:
    """One failed attempt (a row, or a digest's rows), as logged and noted on the run."""

    team: str | None
    channel: str
    reason: str
    permanent: bool
    finding_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryReport:
    """What one drain did. ``sent``: messages by team ("" for no team); ``failed``: failed
    attempts by (team, reason); ``depth``: pending rows left (deferred or backing off)."""

    sent: Mapping[str, int] = field(default_factory=dict)
    failed: Mapping[tuple[str, str], int] = field(default_factory=dict)
    failures: tuple[DeliveryFailure, ...] = ()
    depth: int = 0

    @property
    def sent_total(self) -> int:
        return sum(self.sent.values())

    def summary(self) -> str:
        """One line for the CLI."""
        text = f"notifications: {self.sent_total} sent, {self.depth} pending"
        for f in self.failures:
            kind = "permanent, not retried" if f.permanent else "will retry"
            text += f"; team {f.team or '(none)'} channel {f.channel}: {f.reason} ({kind})"
        return text


def routing(settings: Settings) -> Routing | None:
    """The config's routing, or None when ``notify.slack`` is not configured."""
    if settings.slack is None:
        return None
    return Routing(
        team_channels={t.name: t.slack_channel for t in settings.teams},
        default_channel=settings.slack.default_channel,
        digest_threshold=settings.slack.digest_threshold,
    )


def outbox_planner(settings: Settings) -> OutboxPlanner | None:
    """What ``Store.record_run`` stores as notifications (None: notifications not configured)."""
    routes = routing(settings)
    if routes is None:
        return None
    return lambda deltas: plan(deltas, routes)


def build_notifier(settings: Settings) -> tuple[Notifier | None, str | None]:
    """The Slack notifier the config asks for, or (None, why not) when it cannot be built.

    ``token_env`` wins over ``webhook_url_env``. The warning names the missing variable and
    never a value.
    """
    slack = settings.slack
    if slack is None or not (slack.token_env or slack.webhook_url_env):
        return None, None
    if slack.token_env:
        token = settings.environ.get(slack.token_env, "").strip()
        if token:
            from auditor.notify.slack import SlackNotifier

            return SlackNotifier(token, base_url=slack.base_url), None
        if not slack.webhook_url_env:
            return None, _missing(slack.token_env, "notify.slack.token_env")
    assert slack.webhook_url_env is not None
    url = settings.environ.get(slack.webhook_url_env, "").strip()
    if not url:
        return None, _missing(slack.webhook_url_env, "notify.slack.webhook_url_env")
    from auditor.notify.slack import WebhookNotifier

    return WebhookNotifier(url), None


def _missing(var: str, key: str) -> str:
    return (
        f"notifications not sent: environment variable {var} (from {key}) is not set; "
        "they stay in the outbox until a run with it set delivers them"
    )


def deliverer(settings: Settings) -> Callable[[Store, datetime], DeliveryReport] | None:
    """``deliver_pending`` bound to the configured notifier, for ``auditor serve`` to call after
    each tick; None (with a warning logged naming the variable) when no notifier can be built."""
    notifier, problem = build_notifier(settings)
    if problem:
        logger.warning("%s", problem, extra={"action": "notify"})
    if notifier is None:
        return None
    bound = notifier
    return lambda store, now: deliver_pending(store, bound, now=now)


def deliver_pending(store: Store, notifier: Notifier, *, now: datetime) -> DeliveryReport:
    """Send what the outbox holds, in event order; record results. Never raises DeliveryError."""
    entries = store.pending_notifications(limit=BATCH)
    digests: dict[str, list[OutboxEntry]] = defaultdict(list)
    for entry in entries:
        if entry.message.digest_key:
            digests[entry.message.digest_key].append(entry)
    blocked: set[tuple[str, str]] = set()
    done: set[int] = set()
    sent: Counter[str] = Counter()
    failed: Counter[tuple[str, str]] = Counter()
    failures: list[DeliveryFailure] = []
    for entry in entries:
        if entry.id in done:
            continue
        batch = digests[entry.message.digest_key] if entry.message.digest_key else [entry]
        done.update(e.id for e in batch)
        keys = {_key(e.message) for e in batch}
        if keys & blocked or not all(_due(e, now) for e in batch):
            blocked |= keys
            continue
        ids = [e.id for e in batch]
        if not store.claim_notifications(
            ids, now=now, until=now + timedelta(seconds=CLAIM_SECONDS)
        ):
            blocked |= keys
            continue
        try:
            threads = _send(store, notifier, [e.message for e in batch])
        except DeliveryError as e:
            blocked |= keys
            failure = _failed(store, batch, e, now)
            failures.append(failure)
            failed[(failure.team or "", e.reason)] += 1
            if e.stops_drain:
                break
            continue
        store.notifications_sent(ids, threads=threads, now=now)
        sent[entry.message.team or ""] += 1
    return DeliveryReport(
        sent=dict(sent),
        failed=dict(failed),
        failures=tuple(failures),
        depth=store.outbox_depth(),
    )


def _key(message: OutboxMessage) -> tuple[str, str]:
    return (message.delta.finding_id, message.channel)


def _due(entry: OutboxEntry, now: datetime) -> bool:
    return entry.next_attempt_at is None or parse_time(entry.next_attempt_at) <= now


def _send(
    store: Store, notifier: Notifier, batch: Sequence[OutboxMessage]
) -> dict[tuple[str, str], SlackThread]:
    """Send one row (or one digest); the threads its posts started, by (finding, channel)."""
    first = batch[0]
    if first.digest_key:
        posted = notifier.post(
            first.channel, render.digest_message(first.team, [m.delta for m in batch])
        )
        where = SlackThread(channel=posted.channel, ts=posted.ts, digest=True)
        return {_key(m): where for m in batch}
    delta = first.delta
    thread = None
    if delta.type is not DeltaType.OPENED and notifier.can_update:
        thread = store.slack_thread(delta.finding_id, first.channel)
    if thread is None:
        posted = notifier.post(first.channel, render.finding_message(delta))
        return {_key(first): SlackThread(channel=posted.channel, ts=posted.ts)}
    if not thread.digest:
        notifier.update(thread, render.finding_message(delta))
    notifier.post(first.channel, render.thread_reply(delta), thread=thread)
    return {}


def _failed(
    store: Store, batch: Sequence[OutboxEntry], error: DeliveryError, now: datetime
) -> DeliveryFailure:
    message = batch[0].message
    attempts = max(e.attempts for e in batch) + 1
    delay = min(BACKOFF_BASE_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS)
    team = message.team or "(none)"
    kind = "permanent, not retried" if error.permanent else f"retry in {delay}s"
    logger.warning(
        "Slack notification for team %s to %s failed: %s (%s)",
        team,
        message.channel,
        error.reason,
        kind,
        extra={
            "action": "notify",
            "team": message.team,
            "channel": message.channel,
            "reason": error.reason,
            "permanent": error.permanent,
            "attempts": attempts,
        },
    )
    note = None
    if error.permanent or attempts == 1:
        verdict = "permanent, not retried" if error.permanent else "will retry"
        note = Skipped(
            subject=NOTE_SUBJECT,
            reason=f"team {team} channel {message.channel}: {error.reason} ({verdict})",
            partial=False,
        )
    store.notifications_failed(
        [e.id for e in batch],
        reason=error.reason,
        permanent=error.permanent,
        retry_at=now + timedelta(seconds=delay),
        note=note,
    )
    return DeliveryFailure(
        team=message.team,
        channel=message.channel,
        reason=error.reason,
        permanent=error.permanent,
        finding_ids=tuple(e.message.delta.finding_id for e in batch),
    )


__all__ = [
    "CLAIM_SECONDS",
    "DeliveryFailure",
    "DeliveryReport",
    "build_notifier",
    "deliver_pending",
    "deliverer",
    "outbox_planner",
    "routing",
]
