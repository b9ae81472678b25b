"""One stored audit: open the history, run the audit, record it, apply retention.

The sequence shared by every entry point that stores runs (``audit``, ``demo``, ``serve``).
``serve`` keeps one Store open across ticks and calls ``record_audit``; the others call
``audit_and_store``, which opens the database for the one run.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from auditor.app import AuditRequest, clusters_read_nothing, run_audit
from auditor.config import Settings
from auditor.model import AuditRun
from auditor.store.types import RecordResult, RunScope

if TYPE_CHECKING:
    from auditor.store import Store

logger = logging.getLogger(__name__)


def audit_and_store(
    settings: Settings, request: AuditRequest, db_url: str | None
) -> tuple[AuditRun, RecordResult | None]:
    """Run one audit and, unless ``db_url`` is None, record it (DESIGN §7) and apply
    ``database.retention``.

    The database is opened before any source is read: a database error means nothing was audited.
    A run that could read nothing of any of its clusters is a failed run and is not recorded (it
    would read as a run of zero findings); the caller still reports it (exit 3).
    When ``notify.slack`` is configured, the run's notifications are queued in the outbox in the
    same transaction (``auditor.app.notifying``); delivering them is the caller's next step.
    Retention runs after the run is committed, so its failure is a warning and the run (and its
    exit code) stands.
    """
    from auditor.store import Store

    if db_url is None:
        return run_audit(settings, request=request), None
    with Store.open(db_url, auto_migrate=settings.database.auto_migrate) as store:
        return record_audit(store, settings, request)


def record_audit(
    store: Store, settings: Settings, request: AuditRequest, *, run_id: str | None = None
) -> tuple[AuditRun, RecordResult | None]:
    """Run one audit on an open store, record it and apply ``database.retention``.

    A run that read nothing of any of its clusters is not recorded (None): it is a failed run,
    and stored it would read as a run of zero findings.
    """
    run = run_audit(settings, request=request, run_id=run_id)
    from auditor.app.notifying import outbox_planner

    scope = run_scope(settings, request)
    if scope.clusters <= clusters_read_nothing(run, scope.clusters):
        return run, None
    recorded = store.record_run(run, scope=scope, outbox=outbox_planner(settings))
    retention = settings.database.retention_seconds
    if retention:
        started = datetime.fromisoformat(run.started_at)
        try:
            store.prune(older_than=started - timedelta(seconds=retention))
        except Exception as e:  # the run is stored; retention is retried by the next run
            logger.debug("retention failed", exc_info=True, extra={"action": "prune"})
            logger.warning(
                "run %s was stored, but applying database.retention failed: %s",
                run.id[:12],
                e,
                extra={"action": "prune", "run_id": run.id},
            )
    return run, recorded


def run_scope(settings: Settings, request: AuditRequest) -> RunScope:
    """What the run may resolve: its clusters, its teams, the checks the config enables; and
    every open finding of a cluster or team the config no longer names (out of scope)."""
    return RunScope(
        clusters=request.clusters or frozenset(c.name for c in settings.clusters),
        teams=request.teams,
        disabled_checks=settings.disabled_checks,
        configured_clusters=frozenset(c.name for c in settings.clusters),
        configured_teams=frozenset(t.name for t in settings.teams),
    )


__all__ = ["audit_and_store", "record_audit", "run_scope"]
