"""``auditor serve``: the scheduled worker (DESIGN §8) with its health and metrics endpoints."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

import click

from auditor.cli import EXIT_OK
from auditor.cli.audit import exit_code, fail_on_option
from auditor.cli.common import (
    config_option,
    db_option,
    load_settings,
    logging_options,
    resolve_database_url,
    setup_logging,
)
from auditor.config import Settings
from auditor.model import AuditRun
from auditor.redact import mask_secrets_in
from auditor.textsafe import terminal_safe

if TYPE_CHECKING:
    from auditor.scheduler.worker import Deliver


def notification_delivery(settings: Settings) -> Deliver | None:
    """The outbox drain run after every tick: ``deliver_pending`` with the configured notifier
    (None when ``notify.slack`` has no usable token or webhook; a warning names the variable)."""
    from auditor.app.notifying import deliverer

    return deliverer(settings)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` (main thread only; elsewhere signals are not ours)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        click.echo(f"received {signal.Signals(signum).name}: stopping", err=True)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@click.command("serve")
@config_option
@db_option
@logging_options
@click.option(
    "--listen",
    metavar="HOST:PORT",
    default=None,
    help="Serve /healthz, /readyz and /metrics here (default: serve.listen, 0.0.0.0:8080).",
)
@click.option("--once", is_flag=True, help="One tick of every cluster now, then exit.")
@fail_on_option
@click.option(
    "--allow-partial", is_flag=True, help="With --once: judge a partial run by its findings."
)
@click.option(
    "--lease-kubeconfig",
    metavar="PATH",
    envvar="AUDITOR_LEASE_KUBECONFIG",
    default=None,
    help="Kubeconfig for the Leases when not running in a cluster (env AUDITOR_LEASE_KUBECONFIG).",
)
@click.option(
    "--lease-namespace",
    metavar="NAME",
    default=None,
    help="Namespace of the Leases (default: $POD_NAMESPACE, the service account's, default).",
)
@click.option(
    "--lease-duration",
    type=click.IntRange(min=1),
    default=60,
    show_default=True,
    metavar="SECONDS",
    help="How long a Lease lasts without renewal (renewed every third of it).",
)
@click.option(
    "--shutdown-grace",
    type=click.FloatRange(min=0),
    default=20.0,
    show_default=True,
    metavar="SECONDS",
    help="On SIGTERM/SIGINT, how long a running tick may finish before it is abandoned.",
)
def serve_command(
    config_path: str | None,
    db_url: str | None,
    verbose: int,
    log_format: str,
    listen: str | None,
    once: bool,
    fail_on: str,
    allow_partial: bool,
    lease_kubeconfig: str | None,
    lease_namespace: str | None,
    lease_duration: int,
    shutdown_grace: float,
) -> int:
    """Audit every cluster on `schedule.interval`/`schedule.cron` until SIGTERM or SIGINT.

    Each tick re-reads Git and the live state and records the run. Replicas share the work:
    a database claim per (cluster, scheduled tick) means no tick runs twice, and in a cluster
    each cluster's job also holds a coordination.k8s.io Lease (serve.leases). SIGTERM/SIGINT:
    running ticks get --shutdown-grace seconds, then are abandoned (nothing recorded); exit 0.

    --once: one tick of every cluster (no Lease, no claim), then exit with the audit exit codes
    (0, 1 findings, 2 error, 3 partial). serve logs at info level unless -vv asks for debug.
    """
    from auditor.scheduler.http import HealthServer
    from auditor.scheduler.leases import open_leases
    from auditor.scheduler.metrics import Metrics
    from auditor.scheduler.worker import Worker, combined_exit
    from auditor.store import Store

    setup_logging(max(verbose, 1), log_format)
    settings = load_settings(config_path)
    url = resolve_database_url(config_path, db_url)
    metrics = Metrics()
    with Store.open(url, auto_migrate=settings.database.auto_migrate) as store:
        leases = None
        if not once:
            leases = open_leases(
                enabled=settings.serve_leases,
                kubeconfig=lease_kubeconfig,
                namespace=lease_namespace,
                duration_seconds=lease_duration,
                environ=os.environ,
                observe=metrics.lease,
            )
        worker = Worker(
            settings,
            store,
            metrics=metrics,
            leases=leases,
            deliver=notification_delivery(settings),
        )
        if once:
            ticks = worker.once()
            for tick in ticks:
                run = tick.run
                if run is None or tick.error is not None:
                    status = f"failed: {tick.error}"
                else:
                    status = f"run {run.id[:12]} {run.status}"
                click.echo(
                    terminal_safe(mask_secrets_in(f"cluster {tick.cluster}: {status}")), err=True
                )

            def judge(run: AuditRun) -> int:
                return exit_code(
                    run.findings,
                    partial=str(run.status) == "partial",
                    fail_on=fail_on,
                    allow_partial=allow_partial,
                )

            return combined_exit(ticks, judge)
        server = HealthServer(
            listen or settings.serve_listen,
            readiness=worker.not_ready,
            exposition=metrics.render,
        ).start()
        click.echo(f"listening on {server.address}", err=True)
        stop = threading.Event()
        try:
            with _stop_on_signals(stop):
                worker.serve(stop, grace_seconds=shutdown_grace)
        finally:
            server.stop()
    click.echo("stopped", err=True)
    return EXIT_OK


def register(group: click.Group) -> None:
    group.add_command(serve_command)
