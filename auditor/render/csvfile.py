"""CSV of stored findings (``auditor history --format csv``), safe for terminals and spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from auditor.render import labels
from auditor.textsafe import csv_safe, terminal_safe

CSV_COLUMNS = (
    "id", "status", "severity", "check", "category", "team", "cluster", "object", "message",
    "first_seen", "last_seen", "resolved_at",
)  # fmt: skip


def findings_csv(findings: Sequence[Mapping[str, Any]]) -> str:
    """One header row, then one row per finding (§6 dict plus lifecycle fields)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for finding in findings:
        row = {**finding, "object": labels.object_label(finding)}
        writer.writerow([_cell(row.get(c)) for c in CSV_COLUMNS])
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    """A CSV cell: control characters visible (CSV is read in terminals too), no formula."""
    if value is None:
        return ""
    return csv_safe(terminal_safe(value) if isinstance(value, str) else value)
