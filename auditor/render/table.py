"""The findings table of ``audit``/``analyze`` as plain data (pure): the CLI draws it with rich.

Cells are lists of lines, so the CLI makes each line terminal-safe separately and no value can
add a line of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.render import labels

COLUMNS = ("severity", "check", "team", "cluster", "object", "detail")


@dataclass(frozen=True, slots=True)
class TableRow:
    severity: str
    cells: tuple[tuple[str, ...], ...]  # one per column after severity, each a list of lines


@dataclass(frozen=True, slots=True)
class FindingsTable:
    title: str
    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]


def detail_lines(finding: Mapping[str, Any]) -> tuple[str, ...]:
    """The message, then up to ten field changes with who made them, then what was hidden."""
    lines = [str(finding.get("message", ""))]
    changes = labels.changes(finding)
    secret = labels.is_secret(finding)
    for c in changes[: labels.MAX_CHANGES]:
        who = f" by {c['manager']} ({c.get('operation')})" if c.get("manager") else ""
        desired, live = ("***", "***") if secret else (c.get("desired"), c.get("live"))
        lines.append(f"  {c.get('op')} {c.get('path')}: {desired!r} -> {live!r}{who}")
    if len(changes) > labels.MAX_CHANGES:
        lines.append(f"  … {len(changes) - labels.MAX_CHANGES} more")
    if finding.get("hidden_changes"):
        lines.append(f"  ({finding['hidden_changes']} expected change(s) hidden)")
    return tuple(lines)


def findings_table(findings: Sequence[Mapping[str, Any]]) -> FindingsTable:
    rows = []
    for f in findings:
        check = [str(f.get("check")), labels.category(f), str(f.get("view"))]
        if f.get("reason"):
            check.append(str(f["reason"]))
        rows.append(
            TableRow(
                severity=str(f.get("severity")),
                cells=(
                    tuple(check),
                    (str(f.get("team") or "-"),),
                    (str(f.get("cluster")),),
                    (labels.object_label(f),),
                    detail_lines(f),
                ),
            )
        )
    return FindingsTable(title=f"{len(findings)} finding(s)", columns=COLUMNS, rows=tuple(rows))
