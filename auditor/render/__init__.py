"""Renderings of findings, pure: every format takes findings as DESIGN §6 dicts.

- ``table.findings_table``: the audit table as rows of plain lines (the CLI draws it with rich);
- JSON: the §6 dicts themselves (``findings_json``);
- ``sarif.render_sarif``: SARIF 2.1.0;
- ``csvfile.findings_csv``: CSV of stored findings;
- ``slack``: Block Kit messages per finding event (the notifier's), with mrkdwn escaping.

They share the words of ``labels`` (object, origin, headline with the category in words), so
Slack says what the CLI shows. Terminal and spreadsheet safety come from ``auditor.textsafe``;
mrkdwn safety from ``render.mrkdwn``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


def findings_json(
    findings: Sequence[Mapping[str, Any]], *, run: Mapping[str, Any] | None = None
) -> str:
    """``{"run": …, "findings": […]}`` (DESIGN §6); without ``run`` only the findings."""
    payload: dict[str, Any] = {"findings": list(findings)}
    if run is not None:
        payload = {"run": run, **payload}
    return json.dumps(payload, indent=2, default=str)
