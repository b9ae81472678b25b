"""Slack Block Kit messages for finding events (pure: §6 dicts in, Block Kit dicts out).

Every string taken from Git or the cluster (names, messages, paths, values, managers, file
paths) goes through ``mrkdwn.escape``; the only unescaped text is our own wording. Values of
Secret objects are never shown (the auditor does not read them, and a Slack message is not the
place to start). Long lists are cut with a count of what was left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.deltas import DeltaType, FindingDelta
from auditor.render import labels
from auditor.render.mrkdwn import cap, code, escape

MAX_CHANGES = labels.MAX_CHANGES
MAX_DIGEST_LINES = 25
MAX_VALUE = 120
MAX_SECTION = 2900  # Slack refuses section text over 3000 characters

_ICON = {
    DeltaType.OPENED: ":rotating_light:",
    DeltaType.CHANGED: ":pencil2:",
    DeltaType.REOPENED: ":repeat:",
    DeltaType.RESOLVED: ":white_check_mark:",
}
_STATE = {
    DeltaType.OPENED: "New finding",
    DeltaType.CHANGED: "Finding changed",
    DeltaType.REOPENED: "Finding reopened",
    DeltaType.RESOLVED: "Resolved",
}


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """``text`` is the notification fallback (also mrkdwn-escaped); ``blocks`` the Block Kit."""

    text: str
    blocks: tuple[Mapping[str, Any], ...]

    def plain(self) -> str:
        """The message as lines of mrkdwn, for the console notifier."""
        parts: list[str] = []
        for block in self.blocks:
            if block.get("type") == "section":
                parts.append(block["text"]["text"])
                fields = [f["text"].replace("\n", ": ", 1) for f in block.get("fields", ())]
                if fields:
                    parts.append(" · ".join(fields))
            elif block.get("type") == "context":
                parts.extend(e["text"] for e in block["elements"])
        return "\n".join(parts)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cap(text, MAX_SECTION)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cap(text, MAX_SECTION)}]}


def object_label(finding: Mapping[str, Any]) -> str:
    return escape(labels.object_label(finding))


def headline(finding: Mapping[str, Any]) -> str:
    return escape(labels.headline(finding))


def _value(value: Any, *, secret: bool) -> str:
    if secret:
        return "(hidden)"
    return "-" if value is None else code(cap(labels.value_text(value), MAX_VALUE))


def _changes(finding: Mapping[str, Any]) -> str | None:
    changes = labels.changes(finding)
    if not changes:
        return None
    secret = labels.is_secret(finding)
    lines = []
    for c in changes[:MAX_CHANGES]:
        line = (
            f"• {code(c.get('path'))} {escape(c.get('op'))}: "
            f"Git {_value(c.get('desired'), secret=secret)} → "
            f"live {_value(c.get('live'), secret=secret)}"
        )
        if c.get("manager"):
            line += f" — by {escape(c['manager'])}"
            if c.get("operation"):
                line += f" ({escape(c['operation'])})"
            if c.get("time"):
                line += f" at {escape(c['time'])}"
        lines.append(line)
    if len(changes) > MAX_CHANGES:
        lines.append(f"…and {len(changes) - MAX_CHANGES} more field change(s)")
    hidden = finding.get("hidden_changes") or 0
    if hidden:
        lines.append(f"({escape(hidden)} expected change(s) hidden by config)")
    return "*Field changes*\n" + "\n".join(lines)


def origin_label(finding: Mapping[str, Any]) -> str | None:
    origin = labels.origin_label(finding)
    return None if origin is None else escape(origin)


def finding_message(delta: FindingDelta) -> SlackMessage:
    """The message of one finding in the state ``delta`` leaves it (posted, then updated)."""
    f = delta.finding
    state = _STATE[delta.type]
    severity = escape(f.get("severity", ""))
    head = f"{_ICON[delta.type]} *{state}* ({severity}): {headline(f)}"
    what = f"*{object_label(f)}* in cluster *{escape(f.get('cluster', ''))}*"
    teams = escape(f.get("team") or "no team")
    if f.get("other_team"):
        teams += f", affects {escape(f['other_team'])}"
    fields = [
        {"type": "mrkdwn", "text": f"*Object*\n{object_label(f)}"},
        {"type": "mrkdwn", "text": f"*Cluster*\n{escape(f.get('cluster', ''))}"},
        {"type": "mrkdwn", "text": f"*Team*\n{teams}"},
        {"type": "mrkdwn", "text": f"*Check*\n{escape(f.get('check', ''))}"},
    ]
    blocks: list[dict[str, Any]] = [
        _section(head),
        {**_section(escape(f.get("message", ""))), "fields": fields},
    ]
    if f.get("reason"):
        blocks.append(_context(f"Condition reason: {escape(f['reason'])}"))
    changes = _changes(f)
    if changes:
        blocks.append(_section(changes))
    origin = origin_label(f)
    context = f"Git origin: {origin}" if origin else "Not declared in Git"
    if delta.type is DeltaType.RESOLVED and f.get("resolution"):
        context += f" · resolution: {escape(f['resolution'])}"
    blocks.append(_context(f"{context} · finding {escape(delta.finding_id[:12])}"))
    text = f"{state} ({severity}): {headline(f)} — {what}"
    return SlackMessage(text=cap(text, MAX_SECTION), blocks=tuple(blocks))


def thread_reply(delta: FindingDelta) -> SlackMessage:
    """The reply posted in the original message's thread when a finding changes state."""
    f = delta.finding
    when = escape(delta.at)
    run = escape(delta.run_id[:12])
    if delta.type is DeltaType.RESOLVED:
        text = f"{_ICON[delta.type]} Resolved at {when} (run {run})."
        if f.get("resolution"):
            text += f" Resolution: {escape(f['resolution'])}."
    elif delta.type is DeltaType.REOPENED:
        text = f"{_ICON[delta.type]} Reopened at {when} (run {run}): {escape(f.get('message', ''))}"
    else:
        text = f"{_ICON[delta.type]} Changed at {when} (run {run}): {escape(f.get('message', ''))}"
    blocks: list[dict[str, Any]] = [_section(text)]
    changes = _changes(f) if delta.type is not DeltaType.RESOLVED else None
    if changes:
        blocks.append(_section(changes))
    return SlackMessage(text=cap(text, MAX_SECTION), blocks=tuple(blocks))


def digest_message(team: str | None, deltas: Sequence[FindingDelta]) -> SlackMessage:
    """One message for many findings a run opened for one team (``digest_threshold``)."""
    clusters = sorted({str(d.finding.get("cluster", "")) for d in deltas})
    who = escape(team) if team else "no team"
    head = (
        f"{_ICON[DeltaType.OPENED]} *{len(deltas)} new findings* for {who} "
        f"in cluster(s) {escape(', '.join(clusters))}"
    )
    lines: list[str] = []
    budget = MAX_SECTION - 40  # room for the "…and N more" line
    for d in deltas[:MAX_DIGEST_LINES]:
        f = d.finding
        category = labels.category(f)
        line = (
            f"• {escape(f.get('severity', ''))} {escape(f.get('check', ''))} "
            f"{escape(category)} — {object_label(f)} ({escape(f.get('cluster', ''))})"
        )
        if len(line) + 1 > budget:
            break
        budget -= len(line) + 1
        lines.append(line)
    if len(lines) < len(deltas):
        lines.append(f"…and {len(deltas) - len(lines)} more")
    blocks = (
        _section(head),
        _section("\n".join(lines)),
        _context("Run `auditor history` for details; updates are replied in this thread."),
    )
    return SlackMessage(text=cap(head, MAX_SECTION), blocks=blocks)
