"""``auditor config check``: validate the config and print what it resolved."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from typing import Any

import click

from auditor.app import drift_settings
from auditor.cli import EXIT_OK
from auditor.cli.common import config_option, load_settings
from auditor.config import Settings
from auditor.durations import format_duration
from auditor.redact import mask_url


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


def _resolved(settings: Settings) -> dict[str, Any]:
    data = asdict(settings)
    data.pop("environ", None)
    resolved: dict[str, Any] = json.loads(json.dumps(data, default=str))  # Paths, enums as text
    database = resolved.get("database") or {}
    if isinstance(database.get("url"), str):
        database["url"] = mask_url(database["url"])
    database["retention"] = _retention(settings)
    for repo in resolved.get("repositories") or ():
        if isinstance(repo.get("url"), str):
            repo["url"] = mask_url(repo["url"])
    slack = resolved.get("slack") or {}
    if isinstance(slack.get("base_url"), str):
        slack["base_url"] = mask_url(slack["base_url"])
    resolved["schedule"]["resolved"] = _schedule(settings)
    return resolved


def _retention(settings: Settings) -> str:
    seconds = settings.database.retention_seconds
    if not seconds:
        return "keep everything (retention 0)"
    return f"{format_duration(timedelta(seconds=seconds))} ({seconds} s)"


def _schedule(settings: Settings) -> str:
    schedule = settings.schedule
    if schedule.cron:
        return f"cron {schedule.cron!r} (UTC)"
    seconds = schedule.interval_seconds or 0
    return f"every {format_duration(timedelta(seconds=seconds))} ({seconds} s)"


def _notify(settings: Settings) -> str:
    """Where notifications go, and whether the variable holding the credential is set here
    (its value is never shown): an unset one means messages wait in the outbox unsent."""
    slack = settings.slack
    if slack is None:
        return "off (no notify.slack)"
    if slack.token_env:
        how = f"Slack bot token from ${slack.token_env}"
        var = slack.token_env
    else:  # the config refuses notify.slack without one of the two
        how = f"Slack incoming webhook from ${slack.webhook_url_env} (posts only, no updates)"
        var = slack.webhook_url_env or ""
    state = "set" if settings.environ.get(var, "").strip() else "not set in this environment"
    return (
        f"{how} ({state}); default channel {slack.default_channel or '(none)'}; "
        f"digest above {slack.digest_threshold} per team"
    )


@config_group.command("check")
@config_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def config_check(config_path: str | None, fmt: str) -> int:
    """Validate the config and print what it resolved (exit 2 with file and key path if invalid)."""
    settings = load_settings(config_path)
    drift_settings(settings)  # validates the ignore paths, which only the drift check can parse
    if fmt == "json":
        click.echo(json.dumps(_resolved(settings), indent=2))
        return EXIT_OK
    click.echo(f"config OK: {settings.path}")
    click.echo(
        f"  database: {mask_url(settings.database.url)} (auto_migrate={settings.database.auto_migrate})"
    )
    click.echo(f"  retention: {_retention(settings)}")
    click.echo(f"  schedule: {_schedule(settings)}")
    leases = "on" if settings.serve_leases else "off"
    click.echo(f"  serve: listen {settings.serve_listen}; leases {leases}")
    click.echo(f"  notify: {_notify(settings)}")
    for cluster in settings.clusters:
        source = (
            f"snapshot {cluster.snapshot}"
            if cluster.snapshot
            else f"kubeconfig {cluster.kubeconfig or '(in-cluster / $KUBECONFIG)'}"
        )
        click.echo(f"  cluster {cluster.name}: {source}")
    for repo in settings.repositories:
        auth = (
            "token from $" + repo.token_env
            if repo.token_env
            else ("ssh key file" if repo.ssh_key_file else "none")
        )
        click.echo(f"  repository {repo.name}: {mask_url(repo.url)} @ {repo.ref} (auth: {auth})")
    for team in settings.teams:
        parents = (
            "any"
            if team.allowed_parents is None
            else ", ".join(f"{p.kind} {p.namespace}/{p.name}" for p in team.allowed_parents)
            or "none"
        )
        channel = f"; Slack channel {team.slack_channel}" if team.slack_channel else ""
        click.echo(
            f"  team {team.name}: namespaces {list(team.namespaces)}; sources {len(team.sources)}; allowed parents: {parents}{channel}"
        )
    if settings.ambient_exceptions:
        click.echo(f"  mesh ambient exceptions: {', '.join(settings.ambient_exceptions)}")
    return EXIT_OK


def register(group: click.Group) -> None:
    group.add_command(config_group)
