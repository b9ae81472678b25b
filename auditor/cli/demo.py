"""``auditor demo``: the embedded default — two audits of a sample repository and live snapshot,
showing findings open and then resolve in the history, with nothing to configure."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from auditor.app import AuditRequest
from auditor.app.notifying import deliver_pending
from auditor.app.service import audit_and_store
from auditor.cli import EXIT_OK
from auditor.cli import history_render as render
from auditor.cli.audit import lifecycle_summary
from auditor.cli.common import echo_json, logging_options, setup_logging
from auditor.cli.output import emit
from auditor.config import load
from auditor.demo import build_demo, commit_fix
from auditor.notify.console import ConsoleNotifier
from auditor.store import Store
from auditor.store.types import HistoryQuery


@click.command("demo")
@logging_options
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--keep", is_flag=True, help="Keep the temporary directory and print its path.")
def demo_command(verbose: int, log_format: str, fmt: str, keep: bool) -> int:
    """Audit a built-in sample Git repo and live snapshot twice; print findings and history.

    Everything happens in a temporary directory through the production code path (Git clone and
    fetch, snapshot, normalization, drift, Gateway API checks, the SQLite history). Between the
    two audits the payments team fixes its drift in Git, so the history shows findings resolving.
    The Slack messages the audits would send (opened, then updated and replied to in their thread
    when resolved) are printed through the console notifier.
    Needs nothing but `git` on PATH. Exits 0 when it ran, findings or not.
    """
    setup_logging(verbose, log_format)
    root = Path(tempfile.mkdtemp(prefix="auditor-demo-"))
    try:
        document = _run_demo(root, fmt)
    finally:
        if keep:
            click.echo(f"demo files kept in {root} (config: {root / 'auditor.yaml'})", err=True)
        else:
            shutil.rmtree(root, ignore_errors=True)
    if fmt == "json":
        echo_json(document)
    return EXIT_OK


def _slack_preview(url: str, fmt: str, title: str, sink: list[str]) -> None:
    """Deliver the demo's outbox through the console notifier: the Slack messages it would send."""
    lines: list[str] = []
    with Store.open(url) as store:
        deliver_pending(store, ConsoleNotifier(lines.append), now=datetime.now(UTC))
    sink.extend(lines)
    if fmt == "table":
        click.secho(title, bold=True)
        click.echo("\n".join(lines) if lines else "(none)")
        click.echo()


def _run_demo(root: Path, fmt: str) -> dict[str, Any]:
    config = build_demo(root)
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AUDITOR_", "SLACK_"))}
    settings = load(config, environ=environ)
    url = settings.database.url
    slack: list[str] = []
    first, recorded = audit_and_store(settings, AuditRequest(), url)
    if fmt == "table":
        click.secho("Audit 1: the sample repository against the live snapshot", bold=True)
        emit(fmt=fmt, findings=first.findings, run=None, skipped=first.skipped)
        click.echo(lifecycle_summary(first, recorded))
        click.echo()
    _slack_preview(url, fmt, "Slack messages audit 1 would send (console notifier):", slack)
    message = commit_fix(root)
    second, recorded_again = audit_and_store(settings, AuditRequest(), url)
    with Store.open(url) as store:
        history = store.history(HistoryQuery(status=None, limit=1000))
    if fmt == "table":
        click.secho(f"Audit 2, after the commit {message!r}", bold=True)
        click.echo(lifecycle_summary(second, recorded_again))
        click.echo()
    _slack_preview(
        url, fmt, "Slack messages audit 2 would send (updates and thread replies):", slack
    )
    if fmt == "table":
        render.history_table(
            history,
            title=f"History of the demo database: {len(history)} finding(s)",
            lifecycle=True,
        )
        click.echo("Try: auditor show ID, auditor stats, auditor runs (with --keep and --db).")
    return {
        "runs": [
            {"run": first.run_dict(), "findings": [f.as_dict() for f in first.findings]},
            {"run": second.run_dict(), "findings": [f.as_dict() for f in second.findings]},
        ],
        "history": [h.as_dict() for h in history],
        "slack": slack,
    }


def register(group: click.Group) -> None:
    group.add_command(demo_command)
