"""Notifications (DESIGN §8): pure Block Kit rendering, routing/digest planning, and senders.

``render`` and ``plan`` are pure; ``slack`` (slack-sdk) and ``console`` do the I/O. This package
receives plain model types (``FindingDelta``, ``OutboxMessage``) and never imports the store;
the app layer (``auditor.app.notifying``) moves messages between the outbox and a notifier.
"""

from __future__ import annotations

from auditor.notify.base import DeliveryError, Notifier, Posted
from auditor.notify.plan import Routing, plan
from auditor.render.mrkdwn import escape
from auditor.render.slack import SlackMessage

__all__ = [
    "DeliveryError",
    "Notifier",
    "Posted",
    "Routing",
    "SlackMessage",
    "escape",
    "plan",
]
