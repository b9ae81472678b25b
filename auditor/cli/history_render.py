"""Rendering of stored history (tables with rich, imported lazily; csv) for the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from auditor.cli.common import cell, console
from auditor.model import Severity
from auditor.render.csvfile import findings_csv
from auditor.render.labels import object_label
from auditor.store.types import OUT_OF_SCOPE, RunRecord, StoredFinding, TeamStats, iso

SEVERITIES = [str(s) for s in Severity]


def human(seconds: float | None) -> str:
    """``3d 4h``, ``2h 5m``, ``12m 3s``, ``45s``; ``-`` for None."""
    if seconds is None:
        return "-"
    total = round(seconds)
    for unit, size, sub, sub_size in (
        ("d", 86400, "h", 3600),
        ("h", 3600, "m", 60),
        ("m", 60, "s", 1),
    ):
        if total >= size:
            return f"{total // size}{unit} {(total % size) // sub_size}{sub}"
    return f"{total}s"


def to_csv(found: Sequence[StoredFinding]) -> str:
    return findings_csv([stored.as_dict() for stored in found])


def show(renderable: Any) -> None:
    console().print(renderable)


_NO_WRAP = {
    "id", "run", "status", "severity", "check", "at", "started", "last seen", "first seen",
    "resolved at", "event",
}  # fmt: skip


def new_table(title: str, columns: Sequence[str]) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in _NO_WRAP)
    return table


def history_table(
    found: Sequence[StoredFinding], *, title: str | None = None, lifecycle: bool = False
) -> None:
    """One row per finding; ``lifecycle`` swaps the message for first seen / resolved at."""
    tail = ("first seen", "resolved at") if lifecycle else ("last seen", "message")
    columns = ("id", "status", "severity", "check", "team", "cluster", "object", *tail)
    table = new_table(title or f"{len(found)} finding(s)", columns)
    for stored in found:
        f = stored.as_dict()
        last = (
            (f["first_seen"], f["resolved_at"] or "-")
            if lifecycle
            else (f["last_seen"], f["message"])
        )
        table.add_row(
            *(
                cell(value)
                for value in (
                    f["id"][:12],
                    f["status"],
                    f["severity"],
                    f["check"],
                    f["team"] or "-",
                    f["cluster"],
                    object_label(f),
                    *last,
                )
            )
        )
    show(table)


def finding_detail(found: StoredFinding) -> None:
    f = found.as_dict()
    fields = ("id", "check", "category", "severity", "status", "view", "team", "other_team",
              "cluster", "listener", "reason", "first_seen", "last_seen", "resolved_at")  # fmt: skip
    lines = [f"[bold]{cell(f['message'])}[/bold]", f"object: {cell(object_label(f))}"]
    lines += [f"{k}: {cell(f[k])}" for k in fields if f.get(k) is not None]
    if f.get("ref"):
        lines.append(f"ref: {cell(f['ref'])}")
    show("\n".join(lines))
    if f["changes"]:
        change_keys = ("op", "path", "desired", "live", "manager", "operation", "time")
        changes = new_table("changes", change_keys)
        for c in f["changes"]:
            changes.add_row(*(cell("" if c.get(k) is None else c[k]) for k in change_keys))
        show(changes)
    timeline = new_table("timeline", ("at", "event", "run", "severity", "changes", "message"))
    for e in found.events:
        d = e.as_dict()
        timeline.add_row(d["at"], d["type"], d["run_id"], str(d.get("severity")),
                         str(len(d.get("changes") or ())), cell(d.get("message")))  # fmt: skip
    show(timeline)


def stats_dict(figures: TeamStats) -> dict[str, Any]:
    out = figures.as_dict()
    out["mean_time_to_resolve"] = human(figures.mean_time_to_resolve)
    out["p90_time_to_resolve"] = human(figures.p90_time_to_resolve)
    if figures.oldest_open is not None:
        out["oldest_open"]["age"] = human(figures.oldest_open.age_seconds)
    return out


def stats_table(figures: Sequence[TeamStats], start: datetime, now: datetime) -> None:
    columns = ("team", "open", *SEVERITIES, "opened", "reopened", "resolved", "mean TTR",
               "p90 TTR", "oldest open")  # fmt: skip
    table = new_table(f"{iso(start)} .. {iso(now)}", columns)
    for t in figures:
        oldest = t.oldest_open
        table.add_row(
            cell(t.team or "(no team)"),
            str(t.open_total),
            *(str(t.open_by_severity.get(s, 0)) for s in SEVERITIES),
            str(t.opened), str(t.reopened), str(t.resolved),
            human(t.mean_time_to_resolve), human(t.p90_time_to_resolve),
            f"{oldest.id[:12]} ({human(oldest.age_seconds)})" if oldest else "-",
        )  # fmt: skip
    show(table)


def runs_table(records: Sequence[RunRecord]) -> None:
    columns = ("run", "started", "duration", "status", "findings", "opened", "changed",
               "reopened", "resolved", "skipped")  # fmt: skip
    table = new_table(f"{len(records)} run(s)", columns)
    for r in records:
        c = r.counts
        unread = [
            cell(f"{s.subject}: {s.reason}")
            for s in r.skipped
            if s.partial or s.subject in (OUT_OF_SCOPE, "notify")  # shown in full
        ]
        notes = len(r.skipped) - len(unread)
        skipped = "\n".join([*unread, *([f"({notes} note(s))"] if notes else [])]) or "-"
        table.add_row(
            r.id, iso(r.started_at), human(r.duration_seconds), r.status, str(c.findings),
            str(c.opened), str(c.changed), str(c.reopened), str(c.resolved), skipped,
        )  # fmt: skip
    show(table)
