"""``auditor demo``: the embedded default — two audits of a sample repository and live snapshot,
showing findings open and then resolve in the history, with nothing to configure."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import click

from auditor.app import AuditRequest
from auditor.app.service import audit_and_store
from auditor.cli import EXIT_OK
from auditor.cli import history_render as render
from auditor.cli.audit import lifecycle_summary
from auditor.cli.common import echo_json, logging_options, setup_logging
from auditor.cli.output import emit
from auditor.config import load
from auditor.demo import build_demo, commit_fix
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


def _run_demo(root: Path, fmt: str) -> dict[str, Any]:
    config = build_demo(root)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}
    settings = load(config, environ=environ)
    url = settings.database.url
    first, recorded = audit_and_store(settings, AuditRequest(), url)
    if fmt == "table":
        click.secho("Audit 1: the sample repository against the live snapshot", bold=True)
        emit(fmt=fmt, findings=first.findings, run=None, skipped=first.skipped)
        click.echo(lifecycle_summary(first, recorded))
        click.echo()
    message = commit_fix(root)
    second, recorded_again = audit_and_store(settings, AuditRequest(), url)
    with Store.open(url) as store:
        history = store.history(HistoryQuery(status=None, limit=1000))
    if fmt == "table":
        click.secho(f"Audit 2, after the commit {message!r}", bold=True)
        click.echo(lifecycle_summary(second, recorded_again))
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
    }


def register(group: click.Group) -> None:
    group.add_command(demo_command)
