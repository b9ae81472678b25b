"""History commands: ``history``, ``show``, ``stats``, ``runs`` and ``db upgrade``.

They read the database named by ``--db``, ``AUDITOR_DATABASE_URL`` or the config's
``database.url`` (the config file is optional here). Tables are rendered with rich, imported
lazily; json and csv go straight to stdout.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from auditor.cli import history_render as render
from auditor.cli.common import (
    config_option,
    db_option,
    echo_json,
    logging_options,
    resolve_database_url,
    setup_logging,
)
from auditor.durations import parse_duration
from auditor.errors import StoreError, UsageError
from auditor.model import Category
from auditor.store.types import (
    FindingStatus,
    HistoryQuery,
    iso,
)

if TYPE_CHECKING:
    from auditor.store import Store

F = TypeVar("F", bound=Callable[..., Any])

_ID_PREFIX = re.compile(r"^[0-9a-f]{8,64}$")


def parse_since(text: str, *, now: datetime) -> datetime:
    """A duration before ``now`` (``7d``, ``24h``, ``2w``: ``auditor.durations``, at most 100 years),
    or an ISO date/time (UTC if naive)."""
    given = text.strip()
    try:
        return now - parse_duration(given)
    except ValueError as e:
        problem = str(e)
    try:
        moment = datetime.fromisoformat(given)
    except ValueError:
        raise UsageError(f"--since {text!r}: {problem}, or a date like 2026-11-01") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@contextmanager
def _store(config_path: str | None, db_url: str | None) -> Iterator[Store]:
    from auditor.store import Store

    url = resolve_database_url(config_path, db_url)
    sqlite_file = sqlite_path(url)
    if sqlite_file is not None and not sqlite_file.exists():
        # A read command must not create an empty database and report "no findings".
        raise StoreError(
            f"no history database at {sqlite_file} (run `auditor audit` first, or pass --db)"
        )
    store = Store.open(url, read_only=True)
    try:
        yield store
    finally:
        store.close()


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (None for other databases and in-memory SQLite)."""
    scheme, sep, rest = url.partition(":///")
    if not sep or not scheme.startswith("sqlite") or not rest or rest.startswith(":memory:"):
        return None
    return Path(rest.split("?", 1)[0])


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
@click.option(
    "--severity", type=click.Choice(render.SEVERITIES), default=None, help="Exact severity."
)
@click.option(
    "--status", type=click.Choice(["open", "resolved", "all"]), default="open", show_default=True
)
@click.option(
    "--since",
    default=None,
    help="Last seen within: 7d, 24h, 2w, 1h30m (units s m h d w), or since 2026-11-01.",
)
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
        click.echo(render.to_csv(found), nl=False)
    else:
        render.history_table(found)


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
        render.finding_detail(found)


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
            {
                "since": iso(start),
                "until": iso(now),
                "teams": [render.stats_dict(t) for t in figures],
            }
        )
    else:
        render.stats_table(figures, start, now)


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
        render.runs_table(records)


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


def register(group: click.Group) -> None:
    """Add the history commands and the ``db`` group to ``group``."""
    for command in (history_command, show_command, stats_command, runs_command, db_group):
        group.add_command(command)
