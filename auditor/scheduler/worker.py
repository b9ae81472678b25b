"""The scheduled worker behind ``auditor serve``: one APScheduler job per cluster, and the tick.

A tick of cluster C at slot S (``auditor.scheduler.cadence``):

1. with Leases on, hold C's Lease, else skip (``lease-held``);
2. claim (C, S) in the database, else skip (``claimed``): another replica ran it;
3. audit C (Git, live, checks) and record the run with ``app.service.record_audit``;
4. refresh the metrics and drain the notification outbox (``deliver``).

Jobs use ``coalesce``, ``max_instances=1``, a misfire grace and jitter (APScheduler 3.x with a
memory job store: the schedule comes from the config, the history from our own tables). The tick
itself runs in a daemon thread the job waits for, so shutdown can *abandon* a run still going
after the grace period: its transaction is never committed, the tick is recorded nowhere but in
its claim, and the next slot audits again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler

from auditor.app import AuditRequest
from auditor.app.service import record_audit
from auditor.config import Settings
from auditor.errors import AuditorError, StoreError
from auditor.model import AuditRun
from auditor.scheduler.cadence import Cadence
from auditor.scheduler.leases import Leases
from auditor.scheduler.metrics import DeliveryCounts, Metrics

if TYPE_CHECKING:
    from auditor.store import Store

logger = logging.getLogger(__name__)

Deliver = Callable[["Store", datetime], DeliveryCounts]
"""Drains the outbox after a tick (``auditor.app.notifying.deliver_pending`` with a notifier)."""

STALE_TICKS = 3  # /readyz fails when a job missed this many scheduled ticks in a row


class Outcome(StrEnum):
    RAN = "ran"
    FAILED = "failed"
    CLAIMED = "claimed"
    LEASE_HELD = "lease-held"


@dataclass(frozen=True, slots=True, kw_only=True)
class Tick:
    """What one tick of one cluster did."""

    cluster: str
    slot: datetime
    outcome: Outcome
    run: AuditRun | None = None
    error: str | None = None


def schedule_key(cluster: str) -> str:
    """The claim key of a cluster's job (``run_claims.schedule_key``)."""
    return f"cluster/{cluster}"


class Worker:
    """Ticks clusters on a schedule against one open Store."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        metrics: Metrics,
        leases: Leases | None = None,
        deliver: Deliver | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.leases = leases
        self.deliver = deliver
        self.cadence = Cadence.of(settings.schedule)
        self.clusters = tuple(c.name for c in settings.clusters)
        self._clock = clock
        self._started = clock()
        self._last_tick: dict[str, datetime] = {}
        self._running: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._abandon = threading.Event()
        metrics.declare(self.clusters)

    # -- one tick ---------------------------------------------------------------------------------

    def tick(self, cluster: str, *, slot: datetime | None = None, coordinate: bool = True) -> Tick:
        """Run one tick of ``cluster``. ``coordinate=False`` (``--once``) takes no Lease and no
        claim: it is a manual run, like ``auditor audit``."""
        now = self._clock()
        slot = slot or self.cadence.slot(now)
        extra = {"action": "tick", "cluster": cluster, "resource": slot.isoformat()}
        try:
            if coordinate and self.leases is not None and not self.leases.acquire(cluster):
                return self._skip(cluster, slot, Outcome.LEASE_HELD)
            if coordinate and not self.store.claim(schedule_key(cluster), slot, now=now):
                return self._skip(cluster, slot, Outcome.CLAIMED)
            started = time.monotonic()
            try:
                run, recorded = record_audit(
                    self.store, self.settings, AuditRequest(clusters=frozenset({cluster}))
                )
            except AuditorError as e:
                self.metrics.run_failed(cluster, time.monotonic() - started)
                logger.error("tick failed: %s", e, extra=extra)
                return Tick(cluster=cluster, slot=slot, outcome=Outcome.FAILED, error=str(e))
            if recorded is None:  # nothing of the cluster could be read: failed, not stored
                self.metrics.run_failed(cluster, time.monotonic() - started)
                error = "; ".join(f"{s.subject}: {s.reason}" for s in run.skipped if s.partial)
                logger.error("tick failed, not recorded: %s", error, extra=extra)
                return Tick(
                    cluster=cluster, slot=slot, outcome=Outcome.FAILED, error=error, run=run
                )
            self.metrics.run_finished(cluster, run, time.monotonic() - started)
            logger.info(
                "tick %s of cluster %s done: run %s %s, %d finding(s)",
                slot.isoformat(),
                cluster,
                run.id[:12],
                run.status,
                len(run.findings),
                extra=extra,
            )
            self._after_run()
            return Tick(cluster=cluster, slot=slot, outcome=Outcome.RAN, run=run)
        except AuditorError as e:  # the claim: the database is unwell
            logger.error("tick failed: %s", e, extra=extra)
            return Tick(cluster=cluster, slot=slot, outcome=Outcome.FAILED, error=str(e))
        finally:
            with self._lock:
                self._last_tick[cluster] = self._clock()

    def _skip(self, cluster: str, slot: datetime, outcome: Outcome) -> Tick:
        self.metrics.skipped(cluster, str(outcome))
        logger.info(
            "tick %s of cluster %s skipped (%s)",
            slot.isoformat(),
            cluster,
            outcome,
            extra={"action": "tick", "cluster": cluster, "resource": slot.isoformat()},
        )
        return Tick(cluster=cluster, slot=slot, outcome=outcome)

    def _refresh_open(self) -> None:
        try:
            self.metrics.set_open(self.store.open_counts())
        except StoreError as e:
            logger.warning("cannot count open findings: %s", e, extra={"action": "metrics"})

    def _after_run(self) -> None:
        """Refresh the open-findings gauge and drain the outbox (never fails the tick)."""
        self._refresh_open()
        if self.deliver is None:
            # No notifier (e.g. token_env names an unset variable): messages still queue, and
            # the outbox gauge must show them piling up rather than a reassuring 0.
            try:
                self.metrics.set_outbox_depth(self.store.outbox_depth())
            except StoreError as e:
                logger.warning("cannot count the outbox: %s", e, extra={"action": "metrics"})
            return
        try:
            self.metrics.delivered(self.deliver(self.store, self._clock()))
        except AuditorError as e:
            logger.warning("notification delivery failed: %s", e, extra={"action": "notify"})

    # -- readiness --------------------------------------------------------------------------------

    def not_ready(self) -> list[str]:
        """Why ``/readyz`` fails: the database does not answer, or three scheduled ticks of a job
        passed since its last tick (or the start, before the first one) — three intervals, and
        for cron three fire times, so a weekday-only schedule stays ready over the weekend.
        Empty when ready."""
        reasons = []
        try:
            self.store.ping()
        except StoreError as e:
            reasons.append(f"database: {e}")
        now = self._clock()
        with self._lock:
            last = dict(self._last_tick)
        for cluster in self.clusters:
            since = last.get(cluster, self._started)
            if self.cadence.missed(since, now, limit=STALE_TICKS) >= STALE_TICKS:
                reasons.append(
                    f"cluster {cluster}: {STALE_TICKS} or more scheduled ticks missed since "
                    f"{since.isoformat(timespec='seconds')} "
                    f"(last tick {int((now - since).total_seconds())}s ago)"
                )
        return reasons

    # -- the scheduled loop -----------------------------------------------------------------------

    def once(self) -> list[Tick]:
        """``serve --once``: one tick of every cluster now, in config order."""
        return [self.tick(cluster, coordinate=False) for cluster in self.clusters]

    def serve(self, stop: threading.Event, *, grace_seconds: float) -> None:
        """Tick every cluster on schedule until ``stop`` is set; then wait up to
        ``grace_seconds`` for running ticks, abandon the rest, and release the Leases."""
        now = self._clock()
        scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": self.cadence.grace_seconds(now),
            },
        )
        for cluster in self.clusters:
            scheduler.add_job(
                self._job,
                trigger=self.cadence.trigger(now),
                args=[cluster],
                id=f"audit-{cluster}",
                name=f"audit cluster {cluster}",
                replace_existing=True,
            )
        self._refresh_open()
        if self.leases is not None:
            self.leases.start_renewing()
        scheduler.start()
        logger.info("serving %d cluster job(s)", len(self.clusters), extra={"action": "serve"})
        try:
            while not stop.wait(0.5):  # a timed wait lets signal handlers run promptly
                pass
        finally:
            scheduler.shutdown(wait=False)
            self._finish(grace_seconds)
            if self.leases is not None:
                self.leases.release_all()

    def _job(self, cluster: str) -> None:
        """The APScheduler job: run the tick in a daemon thread and wait for it (so
        ``max_instances`` still holds), unless shutdown abandons it."""
        done = threading.Event()

        def run() -> None:
            try:
                self.tick(cluster)
            except Exception as e:  # a bug must not kill the worker's other jobs
                extra = {"action": "tick", "cluster": cluster}
                logger.debug("tick crashed", exc_info=True, extra=extra)  # traceback: -vv
                first = (str(e).strip().splitlines() or [""])[0][:300]
                logger.error(
                    "tick of cluster %s crashed: internal error: %s: %s; run with -vv for details",
                    cluster,
                    type(e).__name__,
                    first,
                    extra=extra,
                )
            finally:
                done.set()

        thread = threading.Thread(target=run, name=f"tick-{cluster}", daemon=True)
        with self._lock:
            self._running[cluster] = thread
        thread.start()
        while not done.wait(0.1):
            if self._abandon.is_set():
                return
        with self._lock:
            self._running.pop(cluster, None)

    def _finish(self, grace_seconds: float) -> None:
        deadline = time.monotonic() + grace_seconds
        with self._lock:
            running = dict(self._running)
        for cluster, thread in running.items():
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                logger.warning(
                    "shutdown: abandoning the running tick (nothing of it is recorded)",
                    extra={"action": "shutdown", "cluster": cluster},
                )
        self._abandon.set()


def combined_exit(ticks: Sequence[Tick], judge: Callable[[AuditRun], int]) -> int:
    """``--once``: 2 when a tick failed without a run (database, claim), else the highest of the
    runs' audit exit codes (a run that read nothing of its cluster is judged like ``audit``: 3)."""
    if any(t.outcome is Outcome.FAILED and t.run is None for t in ticks):
        return 2
    return max((judge(t.run) for t in ticks if t.run is not None), default=0)
