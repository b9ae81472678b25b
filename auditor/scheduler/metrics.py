"""The worker's Prometheus metrics (names fixed in docs/shared-interfaces: ``auditor_`` prefix).

One ``CollectorRegistry`` per worker (not the library's global one), so tests and several
workers in one process do not share counters. The worker feeds it; ``/metrics`` renders it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from auditor.model import AuditRun, Skipped

NO_TEAM = "none"  # the label value for findings that no team owns
DURATION_BUCKETS = (1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


class DeliveryCounts(Protocol):
    """What the worker reads from ``auditor.app.notifying.DeliveryReport``."""

    @property
    def sent(self) -> Mapping[str, int]: ...  # team -> messages sent

    @property
    def failed(self) -> Mapping[tuple[str, str], int]: ...  # (team, reason) -> failures

    @property
    def depth(self) -> int: ...  # pending outbox rows after the drain


def source_error_kind(subject: str) -> str:
    """The ``kind`` label of a skipped subject: the API kind for a cluster list, ``snapshot``,
    ``git`` for a team's repository, ``cluster`` for a whole cluster, else ``other``.

    Subjects look like ``cluster prod: gateway.networking.k8s.io/HTTPRoute``,
    ``cluster prod: snapshot live.yaml``, ``team shop: repository r: …``, ``cluster prod``.
    """
    head, _, rest = subject.partition(": ")
    if head.startswith("team "):
        return "git"
    if not head.startswith("cluster "):
        return "other"
    if not rest:
        return "cluster"
    if rest.startswith("snapshot "):
        return "snapshot"
    return rest.split(" ", 1)[0]


class Metrics:
    """Every metric of the worker, in its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.runs = Counter(
            "auditor_runs", "Audit runs by cluster and status.", ["cluster", "status"], registry=r
        )
        self.duration = Histogram(
            "auditor_run_duration_seconds",
            "Duration of one cluster's audit run (read, check, record).",
            ["cluster"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.findings_open = Gauge(
            "auditor_findings_open",
            "Open findings in the history by team, category and severity.",
            ["team", "category", "severity"],
            registry=r,
        )
        self.notifications_sent = Counter(
            "auditor_notifications_sent", "Notifications delivered, by team.", ["team"], registry=r
        )
        self.notifications_failed = Counter(
            "auditor_notifications_failed",
            "Notification attempts that failed, by team and reason (Slack error code, http_500, timeout, ...).",
            ["team", "reason"],
            registry=r,
        )
        self.outbox_depth = Gauge(
            "auditor_outbox_depth", "Notifications waiting in the outbox.", registry=r
        )
        self.source_errors = Counter(
            "auditor_source_errors",
            "Sources a run could not read, by cluster and kind (API kind, git, snapshot, cluster).",
            ["cluster", "kind"],
            registry=r,
        )
        self.last_success = Gauge(
            "auditor_last_successful_run_timestamp_seconds",
            "When the cluster's last complete run finished (Unix time).",
            ["cluster"],
            registry=r,
        )
        self.ticks_skipped = Counter(
            "auditor_ticks_skipped",
            "Scheduled ticks this replica did not run, by reason (claimed, lease-held).",
            ["cluster", "reason"],
            registry=r,
        )
        self.lease_held = Gauge(
            "auditor_lease_held",
            "1 while this replica holds the cluster's Lease.",
            ["cluster"],
            registry=r,
        )

    def declare(self, clusters: Iterable[str]) -> None:
        """Start each cluster's series at zero, so dashboards see them before the first tick."""
        for cluster in clusters:
            self.lease_held.labels(cluster=cluster).set(0)
            for status in ("complete", "partial", "failed"):
                self.runs.labels(cluster=cluster, status=status)

    def run_finished(self, cluster: str, run: AuditRun, seconds: float) -> None:
        self.runs.labels(cluster=cluster, status=str(run.status)).inc()
        self.duration.labels(cluster=cluster).observe(seconds)
        self.count_source_errors(cluster, run.skipped)
        if str(run.status) == "complete":
            finished = datetime.fromisoformat(run.finished_at)
            self.last_success.labels(cluster=cluster).set(finished.timestamp())

    def run_failed(self, cluster: str, seconds: float) -> None:
        self.runs.labels(cluster=cluster, status="failed").inc()
        self.duration.labels(cluster=cluster).observe(seconds)

    def count_source_errors(self, cluster: str, skipped: Iterable[Skipped]) -> None:
        for note in skipped:
            if note.partial:
                self.source_errors.labels(
                    cluster=cluster, kind=source_error_kind(note.subject)
                ).inc()

    def set_open(self, counts: Iterable[tuple[str | None, str, str, int]]) -> None:
        """Replace the open-findings gauge with the database's current counts."""
        self.findings_open.clear()
        for team, category, severity, n in counts:
            self.findings_open.labels(
                team=team or NO_TEAM, category=category, severity=severity
            ).set(n)

    def delivered(self, report: DeliveryCounts) -> None:
        for team, n in report.sent.items():
            self.notifications_sent.labels(team=team or NO_TEAM).inc(n)
        for (team, reason), n in report.failed.items():
            self.notifications_failed.labels(team=team or NO_TEAM, reason=reason).inc(n)
        self.outbox_depth.set(report.depth)

    def set_outbox_depth(self, depth: int) -> None:
        """The outbox gauge when no drain ran (no notifier could be built)."""
        self.outbox_depth.set(depth)

    def skipped(self, cluster: str, reason: str) -> None:
        self.ticks_skipped.labels(cluster=cluster, reason=reason).inc()

    def lease(self, cluster: str, held: bool) -> None:
        self.lease_held.labels(cluster=cluster).set(1 if held else 0)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
