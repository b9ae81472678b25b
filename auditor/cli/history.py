"""History commands: ``history``, ``show``, ``stats``, ``runs`` and ``db upgrade``.

They read the database named by ``--db``, ``AUDITOR_DATABASE_URL`` or the config's
``database.url`` (the config file is optional here). Tables are rendered with rich, imported
lazily; json and csv go straight to stdout.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import click

from auditor.cli.common import (
    config_option,
    db_option,
    echo_json,
    logging_options,
    resolve_database_url,
    setup_logging,
)
from auditor.errors import UsageError
from auditor.model import AuditRun, Category, Severity
from auditor.store.types import (
    FindingStatus,
    HistoryQuery,
    RunRecord,
    RunScope,
    StoredFinding,
    TeamStats,
    iso,
)

if TYPE_CHECKING:
    from auditor.store import Store

F = TypeVar("F", bound=Callable[..., Any])

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_ID_PREFIX = re.compile(r"^[0-9a-f]{8,64}$")
_SEVERITIES = [str(s) for s in Severity]
_CSV_COLUMNS = (
    "id", "status", "severity", "check", "category", "team", "cluster", "object", "message",
    "first_seen", "last_seen", "resolved_at",
)  # fmt: skip


def parse_since(text: str, *, now: datetime) -> datetime:
    """``7d``/``24h``/``30m``/``90s``/``2w`` before ``now``, or an ISO date/time (UTC if naive)."""
    match = _DURATION.match(text.strip())
    if match:
        return now - timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"--since {text!r}: expected a duration like 7d, 24h, 30m or a date like 2026-11-01"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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


@contextmanager
def _store(config_path: str | None, db_url: str | None) -> Iterator[Store]:
    from auditor.store import Store

    store = Store.open(resolve_database_url(config_path, db_url))
    try:
        yield store
    finally:
        store.close()


def _format_option(*choices: str) -> Callable[[F], F]:
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default="table", show_default=True
    )


@click.command("history")
@config_option
@db_option
@logging_options
@click.option("--team", "teams", multiple=True, help="Only this team (repeatable).")
@click.option("--cluster", "clusters", multiple=True, help="Only this cluster (repeatable).")
@click.option("--check", default=None, help="Only this check ID, e.g. PDA-DR-003.")
@click.option("--category", type=click.Choice([str(c) for c in Category]), default=None)
@click.option("--severity", type=click.Choice(_SEVERITIES), default=None, help="Exact severity.")
@click.option(
    "--status", type=click.Choice(["open", "resolved", "all"]), default="open", show_default=True
)
@click.option("--since", default=None, help="Last seen within: 7d, 24h, 30m, or since 2026-11-01.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@_format_option("table", "json", "csv")
def history_command(
    config_path: str | None,
    db_url: str | None,
    verbose: int,
    log_format: str,
    status: str,
    since: str | None,
    fmt: str,
    **filters: Any,
) -> None:
    """Findings from the history database, most recently seen first."""
    setup_logging(verbose, log_format)
    query = HistoryQuery(
        teams=tuple(filters["teams"]),
        clusters=tuple(filters["clusters"]),
        check=filters["check"],
        category=filters["category"],
        severity=filters["severity"],
        status=None if status == "all" else FindingStatus(status),
        since=parse_since(since, now=datetime.now(UTC)) if since else None,
        limit=filters["limit"],
    )
    with _store(config_path, db_url) as store:
        found = store.history(query)
    if fmt == "json":
        echo_json({"findings": [f.as_dict() for f in found]})
    elif fmt == "csv":
        click.echo(_csv(found), nl=False)
    else:
        _history_table(found)


@click.command("show")
@config_option
@db_option
@logging_options
@click.argument("finding_id", metavar="ID")
@_format_option("table", "json")
def show_command(
    config_path: str | None,
    db_url: str | None,
    verbose: int,
    log_format: str,
    finding_id: str,
    fmt: str,
) -> None:
    """One finding (full id or a unique prefix of 8+ characters) with its timeline."""
    setup_logging(verbose, log_format)
    prefix = finding_id.strip().lower()
    if not _ID_PREFIX.match(prefix):
        raise UsageError(f"finding id {finding_id!r}: expected 8 to 64 hex characters")
    with _store(config_path, db_url) as store:
        matches = [prefix] if len(prefix) == 64 else store.match_ids(prefix, limit=5)
        if len(matches) > 1:
            raise UsageError(f"finding id {prefix!r} is ambiguous: " + ", ".join(matches))
        found = store.get(matches[0]) if matches else None
    if found is None:
        raise UsageError(f"no finding with id {prefix!r} in the history")
    if fmt == "json":
        echo_json(found.as_dict(with_events=True))
    else:
        _show_table(found)


@click.command("stats")
@config_option
@db_option
@logging_options
@click.option("--team", "teams", multiple=True, help="Only this team (repeatable).")
@click.option("--since", default="30d", show_default=True, help="Window: 30d, 12h, or 2026-11-01.")
@_format_option("table", "json")
def stats_command(
    config_path: str | None,
    db_url: str | None,
    verbose: int,
    log_format: str,
    teams: tuple[str, ...],
    since: str,
    fmt: str,
) -> None:
    """Per team: open findings, opened/resolved in the window, time to resolve, oldest open."""
    setup_logging(verbose, log_format)
    now = datetime.now(UTC).replace(microsecond=0)
    start = parse_since(since, now=now)
    with _store(config_path, db_url) as store:
        figures = store.stats(teams=teams, since=start, now=now)
    if fmt == "json":
        echo_json(
            {"since": iso(start), "until": iso(now), "teams": [_stats_dict(t) for t in figures]}
        )
    else:
        _stats_table(figures, start, now)


@click.command("runs")
@config_option
@db_option
@logging_options
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@_format_option("table", "json")
def runs_command(
    config_path: str | None, db_url: str | None, verbose: int, log_format: str, limit: int, fmt: str
) -> None:
    """Recent runs: status, duration, finding counts and skipped subjects."""
    setup_logging(verbose, log_format)
    with _store(config_path, db_url) as store:
        records = store.runs(limit=limit)
    if fmt == "json":
        echo_json({"runs": [r.as_dict() for r in records]})
    else:
        _runs_table(records)


@click.group("db")
def db_group() -> None:
    """Database maintenance."""


@db_group.command("upgrade")
@config_option
@db_option
@logging_options
def db_upgrade_command(
    config_path: str | None, db_url: str | None, verbose: int, log_format: str
) -> None:
    """Apply pending schema migrations (Alembic) and print the revision now current."""
    from auditor.store import upgrade

    setup_logging(verbose, log_format)
    revision = upgrade(resolve_database_url(config_path, db_url))
    click.echo(f"database schema at revision {revision}")


def print_history_after_demo(url: str, run: AuditRun, *, fmt: str) -> None:
    """For ``auditor demo``: record the demo run in its database, then print the open history."""
    from auditor.store import Store

    clusters = {c.cluster for c in run.coverage} | {f.cluster for f in run.findings}
    with Store.open(url) as store:
        store.record_run(run, scope=RunScope(clusters=frozenset(clusters)))
        found = store.history(HistoryQuery())
    if fmt == "json":
        echo_json({"findings": [f.as_dict() for f in found]})
    else:
        _history_table(found, title=f"history: {len(found)} open finding(s) in {url}")


# --- rendering ------------------------------------------------------------------------------


def _object(finding: dict[str, Any]) -> str:
    obj = finding.get("object")
    if not obj:
        origin = finding.get("origin") or {}
        return f"{origin.get('path', '-')}:{origin.get('line')}" if origin else "-"
    where = f"{obj['namespace']}/{obj['name']}" if obj.get("namespace") else obj["name"]
    return f"{obj['kind']} {where}"


def _csv(found: Sequence[StoredFinding]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for stored in found:
        row = stored.as_dict()
        row["object"] = _object(row)
        writer.writerow(["" if row.get(c) is None else row[c] for c in _CSV_COLUMNS])
    return buffer.getvalue()


def _print(renderable: Any) -> None:
    from rich.console import Console

    console = Console(soft_wrap=False)
    if not console.is_terminal:
        console = Console(soft_wrap=False, width=max(console.width, 160))
    console.print(renderable)


_NO_WRAP = {"id", "run", "status", "severity", "check", "at", "started", "last seen", "event"}


def _table(title: str, columns: Sequence[str]) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in _NO_WRAP)
    return table


def _history_table(found: Sequence[StoredFinding], *, title: str | None = None) -> None:
    from rich.markup import escape

    columns = (
        "id",
        "status",
        "severity",
        "check",
        "team",
        "cluster",
        "object",
        "last seen",
        "message",
    )
    table = _table(title or f"{len(found)} finding(s)", columns)
    for stored in found:
        f = stored.as_dict()
        cells = (
            f["id"][:12],
            f["status"],
            f["severity"],
            f["check"],
            f["team"] or "-",
            f["cluster"],
        )
        table.add_row(*cells, escape(_object(f)), f["last_seen"], escape(f["message"]))
    _print(table)


def _show_table(found: StoredFinding) -> None:
    from rich.markup import escape

    f = found.as_dict()
    fields = ("id", "check", "category", "severity", "status", "view", "team", "other_team",
              "cluster", "listener", "reason", "first_seen", "last_seen", "resolved_at")  # fmt: skip
    lines = [f"[bold]{escape(f['message'])}[/bold]", f"object: {escape(_object(f))}"]
    lines += [f"{k}: {escape(str(f[k]))}" for k in fields if f.get(k) is not None]
    if f.get("ref"):
        lines.append(f"ref: {escape(str(f['ref']))}")
    _print("\n".join(lines))
    if f["changes"]:
        change_keys = ("op", "path", "desired", "live", "manager", "operation", "time")
        changes = _table("changes", change_keys)
        for c in f["changes"]:
            changes.add_row(*(escape("" if c.get(k) is None else str(c[k])) for k in change_keys))
        _print(changes)
    timeline = _table("timeline", ("at", "event", "run", "severity", "changes", "message"))
    for e in found.events:
        d = e.as_dict()
        timeline.add_row(d["at"], d["type"], d["run_id"], str(d.get("severity")),
                         str(len(d.get("changes") or ())), escape(str(d.get("message"))))  # fmt: skip
    _print(timeline)


def _stats_dict(figures: TeamStats) -> dict[str, Any]:
    out = figures.as_dict()
    out["mean_time_to_resolve"] = human(figures.mean_time_to_resolve)
    out["p90_time_to_resolve"] = human(figures.p90_time_to_resolve)
    if figures.oldest_open is not None:
        out["oldest_open"]["age"] = human(figures.oldest_open.age_seconds)
    return out


def _stats_table(figures: Sequence[TeamStats], start: datetime, now: datetime) -> None:
    columns = ("team", "open", *_SEVERITIES, "opened", "reopened", "resolved", "mean TTR",
               "p90 TTR", "oldest open")  # fmt: skip
    table = _table(f"{iso(start)} .. {iso(now)}", columns)
    for t in figures:
        oldest = t.oldest_open
        table.add_row(
            t.team or "(no team)",
            str(t.open_total),
            *(str(t.open_by_severity.get(s, 0)) for s in _SEVERITIES),
            str(t.opened), str(t.reopened), str(t.resolved),
            human(t.mean_time_to_resolve), human(t.p90_time_to_resolve),
            f"{oldest.id[:12]} ({human(oldest.age_seconds)})" if oldest else "-",
        )  # fmt: skip
    _print(table)


def _runs_table(records: Sequence[RunRecord]) -> None:
    from rich.markup import escape

    columns = ("run", "started", "duration", "status", "findings", "opened", "changed",
               "reopened", "resolved", "skipped")  # fmt: skip
    table = _table(f"{len(records)} run(s)", columns)
    for r in records:
        c = r.counts
        skipped = "\n".join(escape(f"{s.subject}: {s.reason}") for s in r.skipped) or "-"
        table.add_row(
            r.id, iso(r.started_at), human(r.duration_seconds), r.status, str(c.findings),
            str(c.opened), str(c.changed), str(c.reopened), str(c.resolved), skipped,
        )  # fmt: skip
    _print(table)


def register(group: click.Group) -> None:
    """Add the history commands and the ``db`` group to ``group``."""
    for command in (history_command, show_command, stats_command, runs_command, db_group):
        group.add_command(command)
