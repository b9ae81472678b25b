"""Composition root: wire the stages from the settings. ``run_audit`` is the one place that
sequences I/O for an audit (read Git, read live, evaluate, own, return the run)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from auditor.app.reading import GitReader, read_live
from auditor.checks.drift import DriftSettings, IgnoreRule
from auditor.checks.evaluate import evaluate_cluster
from auditor.config import Settings
from auditor.findings import apply_config, assign_teams, dedupe, merge_views, sort_key
from auditor.model import AuditRun, Coverage, Finding, RunStatus, Skipped, TeamPolicy
from auditor.normalize import NormalizeRules
from auditor.teams import namespace_labels

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRequest:
    """What one audit covers: selected teams/clusters (None: all) and snapshot overrides."""

    teams: frozenset[str] | None = None
    clusters: frozenset[str] | None = None
    live_snapshots: Mapping[str, Path] = field(default_factory=dict)


def drift_settings(settings: Settings) -> DriftSettings:
    norm = settings.normalize
    return DriftSettings(
        controller_managers=norm.controller_managers,
        ignore=tuple(
            IgnoreRule(group=r.group, kind=r.kind, paths=r.paths, managers=r.managers)
            for r in norm.ignore
        ),
        rules=NormalizeRules(
            ignore_annotations=norm.ignore_annotations, ignore_labels=norm.ignore_labels
        ),
    )


def run_audit(
    settings: Settings,
    *,
    request: AuditRequest,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    run_id: str | None = None,
) -> AuditRun:
    """Read Git and live state for the selected clusters/teams, run every check, return the run."""
    started = clock()
    run_id = run_id or uuid.uuid4().hex
    teams = [t for t in settings.teams if request.teams is None or t.name in request.teams]
    clusters = [
        c for c in settings.clusters if request.clusters is None or c.name in request.clusters
    ]
    policies = settings.team_policies()
    selected = {t.name for t in teams}
    git = GitReader(settings)
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    coverage: list[Coverage] = []
    for cluster in clusters:
        extra = {"action": "audit-cluster", "cluster": cluster.name, "run_id": run_id}
        logger.info("auditing cluster %s", cluster.name, extra=extra)
        team_reads = [git.read_team(team, cluster.name) for team in teams]
        for team_read in team_reads:
            skipped.extend(team_read.skipped)
            findings.extend(team_read.findings)
        live, live_skipped = read_live(
            settings, cluster, override=request.live_snapshots.get(cluster.name)
        )
        skipped.extend(live_skipped)
        if live is None:
            coverage.extend(
                Coverage(cluster=cluster.name, team=t.team, git_ok=False, live_kinds=frozenset())
                for t in team_reads
            )
            continue
        evaluation = evaluate_cluster(
            live=live,
            desired=[obj for t in team_reads for obj in t.objects],
            teams=policies,
            drift=drift_settings(settings),
            disabled=settings.disabled_checks,
            now=started,
        )
        skipped.extend(evaluation.notes)
        labels = namespace_labels(live.objects)
        owned = assign_teams(
            merge_views(evaluation.live, evaluation.git), teams=policies, labels=labels
        )
        trusted = {t.team for t in team_reads if t.ok}
        findings.extend(
            f
            for f in owned
            if f.team in trusted or (f.team in selected and f.check != "PDA-DR-002")
        )
        coverage.extend(
            Coverage(cluster=cluster.name, team=t.team, git_ok=t.ok, live_kinds=live.observed)
            for t in team_reads
        )
    findings = apply_config(
        dedupe(findings), disabled=settings.disabled_checks, severities=settings.severity_overrides
    )
    findings.sort(key=sort_key)
    incomplete = any(s.partial for s in skipped)
    return AuditRun(
        id=run_id,
        started_at=started.isoformat(),
        finished_at=clock().isoformat(),
        status=RunStatus.PARTIAL if incomplete else RunStatus.COMPLETE,
        revisions=git.revisions,
        skipped=tuple(skipped),
        findings=tuple(findings),
        coverage=tuple(coverage),
    )


__all__ = ["AuditRequest", "TeamPolicy", "drift_settings", "run_audit"]
