"""A notifier that prints what would be sent (the demo, dry runs): same rendering, no Slack."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from auditor.deltas import SlackThread
from auditor.notify.base import Posted
from auditor.render.slack import SlackMessage


class ConsoleNotifier:
    """Writes each message as text through ``write``; threads and updates are shown as such."""

    can_update = True

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._ids = itertools.count(1)

    def post(
        self, channel: str, message: SlackMessage, *, thread: SlackThread | None = None
    ) -> Posted:
        ts = f"{next(self._ids)}"
        if thread is None:
            self._write(f"[{channel}] message {ts}:\n{_indent(message.plain())}")
            return Posted(channel=channel, ts=ts)
        self._write(f"[{thread.channel}] reply in thread of message {thread.ts}:")
        self._write(_indent(message.plain()))
        return Posted(channel=thread.channel, ts=ts)

    def update(self, thread: SlackThread, message: SlackMessage) -> None:
        self._write(f"[{thread.channel}] message {thread.ts} updated:\n{_indent(message.plain())}")


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
