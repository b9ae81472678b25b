"""One stored audit: open the history, run the audit, record it, apply retention.

The sequence shared by every entry point that stores runs (``audit``, ``demo``, ``serve``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from auditor.app import AuditRequest, clusters_read_nothing, run_audit
from auditor.config import Settings
from auditor.model import AuditRun
from auditor.store.types import RecordResult


def audit_and_store(
    settings: Settings, request: AuditRequest, db_url: str | None
) -> tuple[AuditRun, RecordResult | None]:
    """Run one audit and, unless ``db_url`` is None, record it (DESIGN §7) and apply
    ``database.retention``.

    The database is opened before any source is read: a database error means nothing was audited.
    A run that could read nothing of any of its clusters is a failed run and is not recorded (it
    would read as a run of zero findings); the caller still reports it (exit 3).
    """
    from auditor.store import RunScope, Store

    if db_url is None:
        return run_audit(settings, request=request), None
    with Store.open(db_url, auto_migrate=settings.database.auto_migrate) as store:
        run = run_audit(settings, request=request)
        clusters = request.clusters or frozenset(c.name for c in settings.clusters)
        if clusters <= clusters_read_nothing(run, clusters):
            return run, None  # a failed run: never a stored run of zero findings
        scope = RunScope(
            clusters=clusters,
            teams=request.teams,
            disabled_checks=settings.disabled_checks,
        )
        recorded = store.record_run(run, scope=scope)
        retention = settings.database.retention_seconds
        if retention:
            started = datetime.fromisoformat(run.started_at)
            store.prune(older_than=started - timedelta(seconds=retention))
        return run, recorded


__all__ = ["audit_and_store"]
