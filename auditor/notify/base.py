"""The notifier seam: what a sender can do, and how a failed send is described.

``DeliveryError`` carries a machine reason (a Slack error code, ``http_500``, ``timeout``, …)
and whether retrying can help: transient failures stay in the outbox with backoff, permanent
ones stop retrying. ``stops_drain`` marks failures of the credential itself (every further
message would fail the same way), an unreachable Slack (``timeout``, ``connection_error``) and
a rate limit that outlasted the client's Retry-After retries (``ratelimited``): each further
attempt would wait out the same timeouts or Retry-After and block the audit or the serve tick,
so the sender stops until the next drain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from auditor.deltas import SlackThread
from auditor.render.slack import SlackMessage

TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "missing_scope",
        "no_permission",
        "team_access_not_granted",
        "ekm_access_denied",
        "invalid_token",  # incoming webhooks
        "no_service",
        "no_active_hooks",
        "team_disabled",
    }
)
"""Errors of the credential: permanent, and every other message would fail the same way."""

UNAVAILABLE_ERRORS = frozenset({"timeout", "connection_error", "ratelimited"})
"""Slack unreachable or still rate limiting: transient, but the next message would wait out the
same timeouts (or Retry-After) before failing the same way."""

PERMANENT_ERRORS = TOKEN_ERRORS | frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "channel_is_archived",
        "restricted_action",
        "posting_to_general_channel_denied",
        "action_prohibited",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_arguments",
        "user_not_found",
    }
)
"""Slack errors that retrying cannot fix; anything else (5xx, timeouts, 429) is transient."""


class DeliveryError(Exception):
    """A message was not accepted. ``reason`` is the metric label and the log's reason."""

    def __init__(self, reason: str, *, permanent: bool | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = reason in PERMANENT_ERRORS if permanent is None else permanent
        self.stops_drain = reason in TOKEN_ERRORS or reason in UNAVAILABLE_ERRORS


@dataclass(frozen=True, slots=True)
class Posted:
    """Where Slack put a message (its channel id and ``ts``), for later updates and replies."""

    channel: str
    ts: str


class Notifier(Protocol):
    """A destination for rendered messages. ``can_update``: supports chat.update and threads."""

    @property
    def can_update(self) -> bool: ...

    def post(
        self, channel: str, message: SlackMessage, *, thread: SlackThread | None = None
    ) -> Posted:
        """Post to ``channel`` (or reply in ``thread``); DeliveryError when not accepted."""
        ...

    def update(self, thread: SlackThread, message: SlackMessage) -> None:
        """Replace the message at ``thread``; DeliveryError when not accepted."""
        ...
