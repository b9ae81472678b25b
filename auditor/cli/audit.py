"""``auditor audit`` and ``auditor analyze``: run the checks, print, decide the exit code."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import click

from auditor import defaults
from auditor.app import NOTHING_READ, AuditRequest
from auditor.app.analyze import analyze
from auditor.app.service import audit_and_store
from auditor.cli import EXIT_FINDINGS, EXIT_OK, EXIT_PARTIAL
from auditor.cli.common import (
    F,
    config_option,
    db_option,
    load_settings,
    logging_options,
    resolve_database_url,
    setup_logging,
)
from auditor.cli.output import emit
from auditor.config import Settings
from auditor.errors import AuditorError, UsageError
from auditor.findings import at_or_above
from auditor.model import AuditRun, Finding, Severity
from auditor.store.types import EventType, RecordResult
from auditor.textsafe import terminal_safe

SEVERITIES = [s.value for s in Severity]


def fail_on_option(func: F) -> F:
    return click.option(
        "--fail-on",
        type=click.Choice(SEVERITIES),
        default="low",
        show_default=True,
        help="Exit 1 when a finding is at or above this severity.",
    )(func)


def report_format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json", "sarif"]),
        default="table",
        show_default=True,
        help="Output format (sarif: SARIF 2.1.0 for code scanning).",
    )(func)


def exit_code(
    findings: Sequence[Finding], *, partial: bool, fail_on: str, allow_partial: bool
) -> int:
    """DESIGN §5: 3 for a partial run (unless --allow-partial), 1 for findings ≥ fail-on, else 0."""
    if partial and not allow_partial:
        return EXIT_PARTIAL
    return EXIT_FINDINGS if at_or_above(findings, Severity(fail_on)) else EXIT_OK


def parse_live_snapshots(values: Sequence[str], *, clusters: Sequence[str]) -> dict[str, Path]:
    """``--live-snapshot [CLUSTER=]FILE``; the bare form only when one cluster is selected."""
    out: dict[str, Path] = {}
    for value in values:
        cluster, sep, file = value.partition("=")
        if not sep:
            if len(clusters) != 1:
                raise UsageError(
                    "--live-snapshot FILE without CLUSTER= needs exactly one selected cluster "
                    f"(selected: {', '.join(clusters) or 'none'}); use --live-snapshot CLUSTER=FILE"
                )
            cluster, file = clusters[0], value
        if cluster not in clusters:
            raise UsageError(
                f"--live-snapshot: cluster {cluster!r} is not selected or not configured"
            )
        out[cluster] = Path(file)
    return out


def _selected(settings: Settings, teams: Sequence[str], clusters: Sequence[str]) -> AuditRequest:
    known_teams = {t.name for t in settings.teams}
    known_clusters = [c.name for c in settings.clusters]
    for team in teams:
        if team not in known_teams:
            raise UsageError(f"--team {team!r}: no such team in {settings.path}")
    for cluster in clusters:
        if cluster not in known_clusters:
            raise UsageError(f"--cluster {cluster!r}: no such cluster in {settings.path}")
    return AuditRequest(
        teams=frozenset(teams) or None,
        clusters=frozenset(clusters) or None,
        live_snapshots={},
    )


def lifecycle_summary(run: AuditRun, recorded: RecordResult | None) -> str:
    """One line for stderr: the run's status and what it did to the history."""
    head = f"run {run.id[:12]} {run.status}: {len(run.findings)} finding(s)"
    unread = [s.subject for s in run.skipped if s.reason.startswith(f"{NOTHING_READ}: ")]
    if unread:
        head += f"; {NOTHING_READ} of {', '.join(unread)}"
    if recorded is None:
        return head + " (not stored)"
    counts = ", ".join(f"{recorded.count(t)} {t}" for t in EventType)
    return f"{head}; history: {counts}"


def notify(settings: Settings, url: str) -> None:
    """Deliver the outbox after a stored audit; problems are warnings, never the exit code."""
    from auditor.app.notifying import build_notifier, deliver_pending
    from auditor.store import Store

    notifier, problem = build_notifier(settings)
    if problem:
        click.echo(f"warning: {problem}", err=True)
    if notifier is None:
        return
    try:
        with Store.open(url, auto_migrate=settings.database.auto_migrate) as store:
            report = deliver_pending(store, notifier, now=datetime.now(UTC))
    except AuditorError as e:  # the run is recorded; its messages wait in the outbox
        click.echo(f"warning: notifications not delivered: {e}", err=True)
        return
    click.echo(report.summary(), err=True)


@click.command("audit")
@config_option
@db_option
@logging_options
@report_format_option
@click.option("--team", "teams", multiple=True, metavar="NAME", help="Only this team (repeatable).")
@click.option(
    "--cluster", "clusters", multiple=True, metavar="NAME", help="Only this cluster (repeatable)."
)
@click.option(
    "--live-snapshot",
    "snapshots",
    multiple=True,
    metavar="[CLUSTER=]FILE",
    help="Read that cluster's live state from a dump file (repeatable).",
)
@fail_on_option
@click.option(
    "--allow-partial", is_flag=True, help="Judge a partial run by its findings (no exit 3)."
)
@click.option("--no-store", is_flag=True, help="Do not open or write the database.")
@click.option(
    "--no-notify",
    is_flag=True,
    help="Do not deliver notifications now (they stay queued in the outbox for the next run).",
)
def audit_command(
    config_path: str | None,
    db_url: str | None,
    verbose: int,
    log_format: str,
    fmt: str,
    teams: tuple[str, ...],
    clusters: tuple[str, ...],
    snapshots: tuple[str, ...],
    fail_on: str,
    allow_partial: bool,
    no_store: bool,
    no_notify: bool,
) -> int:
    """One audit: Git vs live for the selected teams and clusters, all checks, stored and printed.

    Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage/config/database/internal
    error, 3 the run was partial (a source could not be read) unless --allow-partial; 130 on
    SIGINT, 143 on SIGTERM. A cluster of which nothing could be read ("nothing read": unreachable,
    snapshot over limits.max_snapshot_bytes) makes the run partial; a run that read nothing of any
    cluster is not stored.

    With notify.slack configured, the run's Slack messages are queued with it and delivered
    right after (unless --no-notify); a Slack problem is a warning and never changes the exit code.
    """
    setup_logging(verbose, log_format)
    settings = load_settings(config_path)
    request = _selected(settings, teams, clusters)
    selected_clusters = sorted(request.clusters or (c.name for c in settings.clusters))
    request = AuditRequest(
        teams=request.teams,
        clusters=request.clusters,
        live_snapshots=parse_live_snapshots(snapshots, clusters=selected_clusters),
    )
    url = None if no_store else resolve_database_url(config_path, db_url)
    run, recorded = audit_and_store(settings, request, url)
    click.echo(lifecycle_summary(run, recorded), err=True)
    if url is not None and not no_notify:
        notify(settings, url)
    emit(fmt=fmt, findings=run.findings, run=run.run_dict(), skipped=run.skipped)
    return exit_code(
        run.findings, partial=run.status == "partial", fail_on=fail_on, allow_partial=allow_partial
    )


@click.command("analyze")
@click.argument("paths", nargs=-1, required=True)
@config_option
@logging_options
@click.option(
    "--crds",
    "crd_paths",
    multiple=True,
    metavar="PATH",
    help="CRD files/dirs providing schemas (repeatable).",
)
@report_format_option
@fail_on_option
@click.option(
    "--allow-partial", is_flag=True, help="Judge a partial run (unreadable input) by its findings."
)
@click.option(
    "--team-label",
    default="team",
    show_default=True,
    metavar="LABEL",
    help="Without --config: the Namespace label naming the owning team.",
)
@click.option(
    "--assume-namespace-labels",
    is_flag=True,
    help="Judge label Selectors for Namespaces missing from the input as if they had only the "
    "kubernetes.io/metadata.name label (default: no verdict, noted in run.skipped).",
)
def analyze_command(
    paths: tuple[str, ...],
    config_path: str | None,
    verbose: int,
    log_format: str,
    crd_paths: tuple[str, ...],
    fmt: str,
    fail_on: str,
    allow_partial: bool,
    assume_namespace_labels: bool,
    team_label: str,
) -> int:
    """Policy checks on manifest files/dirs (recursively; - for stdin) taken as one cluster state.

    For pre-merge CI: no Git, no database, no cluster. --config adds teams and org policy;
    without it a Namespace's --team-label label names its team. Mesh checks run for each mesh
    whose marker ConfigMap (istio-system/istio, kube-system/cilium-config,
    linkerd/linkerd-config) is among the manifests. Exit codes as for audit.
    """
    setup_logging(verbose, log_format)
    settings = load_settings(config_path) if config_path else None
    result = analyze(
        paths,
        stdin=sys.stdin if "-" in paths else None,
        crd_paths=crd_paths,
        teams=settings.team_policies() if settings else (),
        disabled=settings.disabled_checks if settings else frozenset(),
        severities=dict(settings.severity_overrides) if settings else None,
        max_file_bytes=settings.max_file_bytes if settings else defaults.MAX_FILE_BYTES,
        max_yaml_nodes=settings.max_yaml_nodes if settings else defaults.MAX_YAML_NODES,
        max_crd_bytes=settings.max_snapshot_bytes if settings else defaults.MAX_SNAPSHOT_BYTES,
        assume_namespace_labels=assume_namespace_labels,
        team_label=team_label,
        ambient_exceptions=settings.ambient_exceptions if settings else (),
        now=datetime.now(UTC),
    )
    for note in result.skipped:
        if note.partial:
            click.echo(terminal_safe(f"error: {note.subject}: {note.reason}"), err=True)
    emit(
        fmt=fmt,
        findings=result.findings,
        run=result.run_dict(),
        skipped=[s for s in result.skipped if not s.partial] if fmt == "table" else [],
    )
    return exit_code(
        result.findings, partial=result.partial, fail_on=fail_on, allow_partial=allow_partial
    )


def register(group: click.Group) -> None:
    group.add_command(audit_command)
    group.add_command(analyze_command)
