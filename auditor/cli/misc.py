"""``auditor config check`` and ``auditor demo``."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from auditor.app import AuditRequest, run_audit
from auditor.cli import EXIT_OK
from auditor.cli.common import config_option, load_settings, logging_options, setup_logging
from auditor.cli.output import emit
from auditor.config import Settings, load
from auditor.demo import build_demo


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


def _resolved(settings: Settings) -> dict[str, Any]:
    data = asdict(settings)
    data.pop("environ", None)
    resolved: dict[str, Any] = json.loads(json.dumps(data, default=str))  # Paths, enums as text
    return resolved


@config_group.command("check")
@config_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def config_check(config_path: str | None, fmt: str) -> int:
    """Validate the config and print what it resolved (exit 2 with file and key path if invalid)."""
    settings = load_settings(config_path)
    if fmt == "json":
        click.echo(json.dumps(_resolved(settings), indent=2))
        return EXIT_OK
    click.echo(f"config OK: {settings.path}")
    click.echo(
        f"  database: {_redact_url(settings.database.url)} (auto_migrate={settings.database.auto_migrate})"
    )
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
        click.echo(f"  repository {repo.name}: {repo.url} @ {repo.ref} (auth: {auth})")
    for team in settings.teams:
        parents = (
            "any"
            if team.allowed_parents is None
            else ", ".join(f"{p.kind} {p.namespace}/{p.name}" for p in team.allowed_parents)
            or "none"
        )
        click.echo(
            f"  team {team.name}: namespaces {list(team.namespaces)}; sources {len(team.sources)}; allowed parents: {parents}"
        )
    return EXIT_OK


def _redact_url(url: str) -> str:
    """Hide a password in a database URL."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        creds, _, host = rest.rpartition("@")
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url


@click.command("demo")
@logging_options
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--keep", is_flag=True, help="Keep the temporary directory and print its path.")
def demo_command(verbose: int, log_format: str, fmt: str, keep: bool) -> int:
    """Build a sample Git repo and live snapshot in a temp dir, audit them, print findings and history.

    Runs the production code path end to end: Git clone and read, snapshot, normalization, drift,
    Gateway API policy checks, the SQLite history store. Needs nothing but `git` on PATH.
    """
    setup_logging(verbose, log_format)
    tmp = tempfile.mkdtemp(prefix="auditor-demo-")
    root = Path(tmp)
    config_path = build_demo(root)
    settings = load(
        config_path, environ={k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}
    )
    run = run_audit(settings, request=AuditRequest())
    from auditor.cli.history import print_history_after_demo

    emit(fmt=fmt, findings=run.findings, run=run.run_dict(), skipped=run.skipped)
    print_history_after_demo(settings.database.url, run, fmt=fmt)
    if keep:
        click.echo(f"demo files kept in {root} (config: {config_path})", err=True)
    else:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    return EXIT_OK


def register(group: click.Group) -> None:
    group.add_command(config_group)
    group.add_command(demo_command)
