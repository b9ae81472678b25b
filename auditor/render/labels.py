"""The words every rendering uses for a finding (§6 dict): object, origin, change lines.

One place, so the table, CSV, SARIF and Slack say the same thing. Plain text: each renderer
makes it safe for its medium (terminal, spreadsheet, mrkdwn).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from auditor import catalog
from auditor.render import checkwords

MAX_CHANGES = 10


def object_label(finding: Mapping[str, Any]) -> str:
    """``HTTPRoute payments/checkout``; the Git file (``path:line``) for file-level findings."""
    obj = finding.get("object")
    if isinstance(obj, Mapping) and obj:
        ns = obj.get("namespace")
        return f"{obj.get('kind')} {ns + '/' if ns else ''}{obj.get('name')}"
    origin = finding.get("origin")
    if isinstance(origin, Mapping) and origin:
        return f"{origin.get('path', '-')}:{origin.get('line')}"
    return "-"


def origin_label(finding: Mapping[str, Any]) -> str | None:
    """``gitops clusters/prod/x.yaml:3 at 1a2b3c4d5e6f``, or None for live-only objects."""
    origin = finding.get("origin")
    if not isinstance(origin, Mapping):
        return None
    commit = str(origin.get("commit") or "")[:12]
    where = f"{origin.get('repository')} {origin.get('path')}:{origin.get('line')}"
    return where + (f" at {commit}" if commit else "")


def headline(finding: Mapping[str, Any]) -> str:
    """``PDA-DR-003 drift: Live fields differ from Git`` — the check and its category in words."""
    check = str(finding.get("check", ""))
    category = checkwords.category_label(str(finding.get("category", "")))
    title = catalog.CHECKS[check].title if check in catalog.CHECKS else ""
    return f"{check} {category}" + (f": {title}" if title else "")


def category(finding: Mapping[str, Any]) -> str:
    """The finding's category in words (``missing ReferenceGrant``)."""
    return checkwords.category_label(str(finding.get("category", "")))


def is_secret(finding: Mapping[str, Any]) -> bool:
    """Findings about a core Secret never show values (the auditor keeps none; belt and braces)."""
    obj = finding.get("object")
    return isinstance(obj, Mapping) and obj.get("kind") == "Secret" and not obj.get("group")


def value_text(value: Any) -> str:
    """A changed value as text: strings as they are, everything else as compact JSON."""
    if value is None:
        return "-"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def changes(finding: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in finding.get("changes") or () if isinstance(c, Mapping)]
