"""``auditor serve`` with the real APScheduler (second-scale intervals), real SQLite/PostgreSQL,
real HTTP endpoints, real signals: --once, ticks on schedule re-reading the snapshot, claims
and Leases skipping ticks, readiness, SIGTERM exits 0, abandoning a run that outlives the grace,
and two replicas on one PostgreSQL database never running the same tick."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from auditor import cli
from auditor.config import load
from auditor.errors import StoreError
from auditor.scheduler.leases import LeaseApi, Leases
from auditor.scheduler.metrics import Metrics
from auditor.scheduler.worker import Outcome, Worker
from auditor.sources.kubeclient import api_client
from auditor.store import Store
from tests.e2e.test_audit_snapshot import ROUTE, snapshot
from tests.gitrepo import GitRemote
from tests.integration.conftest_k8s import K8sApiFactory

BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """``serve`` configures the ``auditor`` logger (INFO, this test's stderr); undo that."""
    logger = logging.getLogger("auditor")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])  # setLevel, not assignment: it clears the loggers' level cache
    logger.propagate = saved[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(root: Path, db_url: str, *, interval: str = "1s", clusters: str = "") -> Path:
    remote = GitRemote.create(root / "repo")
    remote.commit({"prod/web.yaml": ROUTE, "lab/web.yaml": ROUTE})
    (root / "live.yaml").write_text(snapshot(1))
    config = root / "auditor.yaml"
    config.write_text(
        f"""
database: {{url: "{db_url}"}}
git: {{cache_dir: {root / "cache"}}}
clusters: {clusters or "[{name: prod, snapshot: live.yaml}, {name: lab, snapshot: live.yaml}]"}
repositories: [{{name: r, url: "{remote.url}"}}]
teams:
  - name: shop
    namespace_selector: {{owner: shop}}
    sources: [{{repository: r, paths: ["{{cluster}}/*.yaml"]}}]
schedule: {{interval: {interval}}}
serve: {{listen: "127.0.0.1:0", leases: true}}
"""
    )
    return config


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:  # not listening yet
        return 0, ""


def runs(db_url: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(sa.text("SELECT * FROM runs"))]
    finally:
        engine.dispose()


def test_once_records_every_cluster_and_exits_with_the_audit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    config = write_config(tmp_path, db)
    assert cli.main(["serve", "--config", str(config), "--once"]) == 0
    err = capsys.readouterr().err
    assert "cluster prod: run" in err and "cluster lab: run" in err
    assert len(runs(db)) == 2
    (tmp_path / "live.yaml").write_text(snapshot(7))
    assert cli.main(["serve", "--config", str(config), "--once"]) == 1, "drift found"
    assert cli.main(["serve", "--config", str(config), "--once", "--fail-on", "critical"]) == 0
    (tmp_path / "live.yaml").write_text("items: [")
    assert cli.main(["serve", "--config", str(config), "--once"]) == 3, "partial"
    assert cli.main(["serve", "--config", str(config), "--once", "--allow-partial"]) == 0
    capsys.readouterr()


def test_once_with_an_unusable_database_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'h.db'}")
    (tmp_path / "h.db").write_text("not a database")
    assert cli.main(["serve", "--config", str(config), "--once"]) == 2
    assert "error:" in capsys.readouterr().err


def test_serve_ticks_on_schedule_rereads_sources_and_answers_endpoints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    config = write_config(tmp_path, db, clusters="[{name: prod, snapshot: live.yaml}]")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    seen: dict[str, tuple[int, str]] = {}

    def count() -> int:
        status, text = get(base + "/metrics")
        found = re.search(r'auditor_runs_total\{cluster="prod",status="complete"\} (\d+)', text)
        return int(found.group(1)) if status == 200 and found else 0

    def drive() -> None:
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and count() < 2:
                time.sleep(0.2)
            (tmp_path / "live.yaml").write_text(snapshot(7))  # the next tick must see the drift
            start = count()
            while time.monotonic() < deadline and count() < start + 2:
                time.sleep(0.2)
            for path in ("/healthz", "/readyz", "/metrics", "/nope"):
                seen[path] = get(base + path)
        finally:
            if not returned.is_set():
                os.kill(os.getpid(), signal.SIGTERM)

    returned = threading.Event()
    driver = threading.Thread(target=drive, daemon=True)
    driver.start()
    try:
        code = cli.main(["serve", "--config", str(config), "--listen", f"127.0.0.1:{port}"])
    finally:
        returned.set()
    driver.join(5)
    assert code == 0
    err = capsys.readouterr().err
    assert f"listening on 127.0.0.1:{port}" in err and "received SIGTERM" in err
    assert seen["/healthz"] == (200, "ok\n")
    assert seen["/readyz"] == (200, "ok\n")
    assert seen["/nope"][0] == 404
    status, metrics = seen["/metrics"]
    assert status == 200
    assert re.search(r'auditor_runs_total\{cluster="prod",status="complete"\} [2-9]', metrics)
    assert 'auditor_lease_held{cluster="prod"} 0.0' in metrics, "not in a cluster: no Leases"
    assert "auditor_last_successful_run_timestamp_seconds" in metrics
    with Store.open(db) as store:
        counts = store.open_counts()
    assert ("shop", "drift", "medium", 1) in counts or any(c[1] == "drift" for c in counts)
    stored = runs(db)
    assert len({r["id"] for r in stored}) == len(stored) >= 4


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Worker]:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    config = write_config(tmp_path, db, interval="1m")
    store = Store.open(db)
    yield Worker(load(config, environ={}), store, metrics=Metrics())
    store.close()


def test_a_claimed_tick_is_skipped(worker: Worker) -> None:
    slot = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    assert worker.tick("prod", slot=slot).outcome is Outcome.RAN
    again = worker.tick("prod", slot=slot)
    assert again.outcome is Outcome.CLAIMED and again.run is None
    assert worker.tick("prod", slot=slot + timedelta(minutes=1)).outcome is Outcome.RAN
    text = worker.metrics.render()[0].decode()
    assert 'auditor_ticks_skipped_total{cluster="prod",reason="claimed"} 1.0' in text


def test_a_tick_waits_for_the_lease(worker: Worker, k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel=None)
    clients = [
        api_client(name="l", kubeconfig=str(api.kubeconfig), context=None, environ={})
        for _ in range(2)
    ]
    other = Leases(LeaseApi(clients[0], "auditor"), holder="other", duration_seconds=30)
    worker.leases = Leases(
        LeaseApi(clients[1], "auditor"), holder="me", observe=worker.metrics.lease
    )
    assert other.acquire("prod")
    slot = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    assert worker.tick("prod", slot=slot).outcome is Outcome.LEASE_HELD
    other.release_all()
    assert worker.tick("prod", slot=slot).outcome is Outcome.RAN, "the claim was not taken"
    text = worker.metrics.render()[0].decode()
    assert 'auditor_ticks_skipped_total{cluster="prod",reason="lease-held"} 1.0' in text
    assert 'auditor_lease_held{cluster="prod"} 1.0' in text
    worker.leases.release_all()
    for client in clients:
        client.close()


@dataclass(frozen=True)
class Report:
    sent: dict[str, int]
    failed: dict[tuple[str, str], int]
    depth: int


def test_every_run_drains_the_outbox_through_the_deliver_seam(worker: Worker) -> None:
    calls: list[tuple[Store, datetime]] = []

    def deliver(store: Store, now: datetime) -> Report:
        calls.append((store, now))
        if len(calls) == 2:
            raise StoreError("outbox unreadable")
        return Report(sent={"shop": 1}, failed={("shop", "ratelimited"): 2}, depth=3)

    worker.deliver = deliver
    slot = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    assert worker.tick("prod", slot=slot).outcome is Outcome.RAN
    assert worker.tick("prod", slot=slot).outcome is Outcome.CLAIMED, "no run, no drain"
    assert worker.tick("lab", slot=slot).outcome is Outcome.RAN, "a failing drain fails no tick"
    assert [store for store, _ in calls] == [worker.store, worker.store]
    text = worker.metrics.render()[0].decode()
    assert 'auditor_notifications_sent_total{team="shop"} 1.0' in text
    assert 'auditor_notifications_failed_total{reason="ratelimited",team="shop"} 2.0' in text
    assert "auditor_outbox_depth 3.0" in text


def test_outbox_depth_counts_what_waits_when_no_notifier_can_be_built(tmp_path: Path) -> None:
    """QA: with ``notify.slack.token_env`` naming an unset variable, serve has no deliverer; the
    messages wait in the outbox and ``auditor_outbox_depth`` must say so (it read 0)."""
    db = f"sqlite:///{tmp_path / 'h.db'}"
    config = write_config(tmp_path, db, interval="1m")
    text = (
        config.read_text()
        + "notify: {slack: {token_env: SLACK_BOT_TOKEN, default_channel: '#d'}}\n"
    )
    config.write_text(text)
    (tmp_path / "live.yaml").write_text(snapshot(7))
    store = Store.open(db)
    try:
        worker = Worker(load(config, environ={}), store, metrics=Metrics())
        assert worker.deliver is None
        assert worker.tick("prod", slot=datetime(2026, 12, 3, 7, 0, tzinfo=UTC)).run is not None
        depth = store.outbox_depth()
        assert depth > 0
        assert f"auditor_outbox_depth {float(depth)}" in worker.metrics.render()[0].decode()
    finally:
        store.close()


def test_readiness_reports_stale_jobs_and_an_unreachable_database(worker: Worker) -> None:
    assert worker.not_ready() == []
    later = datetime.now(UTC) + timedelta(minutes=4)
    worker._clock = lambda: later
    reasons = worker.not_ready()
    assert len(reasons) == 2 and all("3 or more scheduled ticks missed" in r for r in reasons)
    worker._clock = lambda: later - timedelta(minutes=2)
    assert worker.not_ready() == [], "two missed ticks are not yet stuck"
    from auditor.store import engine as engine_mod

    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    worker.store = Store(engine=engine_mod.create(url), url=url)
    assert any(r.startswith("database: checking the database failed") for r in worker.not_ready())


def test_failing_ticks_are_counted_and_the_worker_goes_on(worker: Worker, tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'h.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE runs"))
    engine.dispose()
    tick = worker.tick("prod", slot=datetime(2026, 12, 3, tzinfo=UTC))
    assert tick.outcome is Outcome.FAILED and tick.error and "recording run failed" in tick.error
    text = worker.metrics.render()[0].decode()
    assert 'auditor_runs_total{cluster="prod",status="failed"} 1.0' in text
    from auditor.store import engine as engine_mod

    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    worker.store = Store(engine=engine_mod.create(url), url=url)
    tick = worker.tick("lab", slot=datetime(2026, 12, 3, tzinfo=UTC))
    assert tick.outcome is Outcome.FAILED and tick.error and "claiming" in tick.error


def test_a_cluster_of_which_nothing_was_read_is_a_failed_tick_not_a_run(
    worker: Worker, tmp_path: Path
) -> None:
    (tmp_path / "live.yaml").unlink()
    tick = worker.tick("prod", slot=datetime(2026, 12, 3, tzinfo=UTC))
    assert tick.outcome is Outcome.FAILED and tick.error
    assert "nothing read" in tick.error and "live.yaml" in tick.error
    assert worker.store.runs() == []
    text = worker.metrics.render()[0].decode()
    assert 'auditor_runs_total{cluster="prod",status="failed"} 1.0' in text
    assert 'auditor_runs_total{cluster="prod",status="partial"} 0.0' in text


def test_a_crashing_tick_is_one_error_line_and_the_traceback_only_at_debug(
    worker: Worker, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(cluster: str, **_: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(worker, "tick", crash)
    with caplog.at_level(logging.DEBUG, logger="auditor"):
        worker._job("prod")
    (error,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert error.getMessage() == (
        "tick of cluster prod crashed: internal error: RuntimeError: boom; run with -vv for details"
    )
    assert error.exc_info is None
    assert [r.exc_info is not None for r in caplog.records if r.levelno == logging.DEBUG] == [True]


def test_shutdown_abandons_a_tick_that_outlives_the_grace(
    tmp_path: Path, k8s_api: K8sApiFactory, caplog: pytest.LogCaptureFixture
) -> None:
    api = k8s_api(channel="standard")
    api.emulator.delay("", "namespaces", 4)
    db = f"sqlite:///{tmp_path / 'h.db'}"
    config = write_config(
        tmp_path,
        db,
        clusters=f'[{{name: prod, kubeconfig: "{api.kubeconfig}", context: {api.context}}}]',
    )
    store = Store.open(db)
    worker = Worker(load(config, environ={}), store, metrics=Metrics())
    stop = threading.Event()
    threading.Timer(2.5, stop.set).start()
    started = time.monotonic()
    with caplog.at_level("WARNING", logger="auditor"):
        worker.serve(stop, grace_seconds=0.5)
    assert time.monotonic() - started < 5
    assert "abandoning the running tick" in caplog.text
    assert runs(db) == [], "nothing of the abandoned run is recorded"
    for thread in threading.enumerate():  # in a real process exit ends it; here, let it finish
        if thread.name.startswith("tick-"):
            thread.join(15)
    store.close()


def _spawn(config: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"KUBERNETES_SERVICE_HOST"}}
    return subprocess.Popen(
        [str(BIN / "auditor"), "serve", "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=config.parent,
    )


def _wait_for(path: Path, pattern: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and re.search(pattern, path.read_text()):
            return
        time.sleep(0.1)
    raise AssertionError(f"{pattern!r} not seen in {path}")


def test_sigterm_exits_0(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'h.db'}")
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [str(BIN / "auditor"), "serve", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=sink,
            cwd=tmp_path,
        )
        try:
            _wait_for(log, r"tick \S+ of cluster prod done")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
    assert "received SIGTERM: stopping" in log.read_text()
    assert log.read_text().rstrip().endswith("stopped")


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_replicas_sharing_postgresql_never_run_the_same_tick(
    tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path, db_url)
    logs = [tmp_path / f"replica-{i}.log" for i in range(2)]
    processes = []
    for i, log in enumerate(logs):
        with log.open("w") as sink:
            processes.append(
                subprocess.Popen(
                    [
                        str(BIN / "auditor"),
                        "serve",
                        "--config",
                        str(config),
                        "--listen",
                        "127.0.0.1:0",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=sink,
                    cwd=tmp_path,
                    env={**os.environ, "POD_NAME": f"replica-{i}"},
                )
            )
    try:
        deadline = time.monotonic() + 40
        done: list[set[tuple[str, str]]] = [set(), set()]
        while time.monotonic() < deadline:
            done = [
                set(re.findall(r"tick (\S+) of cluster (\w+) done", log.read_text()))
                for log in logs
            ]
            skipped = sum(log.read_text().count("skipped (claimed)") for log in logs)
            if len(done[0] | done[1]) >= 6 and skipped >= 2:
                break
            time.sleep(0.3)
        for process in processes:
            process.send_signal(signal.SIGTERM)
        assert [p.wait(timeout=30) for p in processes] == [0, 0]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    done = [set(re.findall(r"tick (\S+) of cluster (\w+) done", log.read_text())) for log in logs]
    skipped = sum(log.read_text().count("skipped (claimed)") for log in logs)
    assert len(done[0] | done[1]) >= 6 and skipped >= 2, "both replicas competed for the ticks"
    assert not done[0] & done[1], "a tick ran on both replicas"
    engine = sa.create_engine(db_url)
    with engine.connect() as connection:
        claims = connection.execute(sa.text("SELECT count(*) FROM run_claims")).scalar_one()
        recorded = connection.execute(sa.text("SELECT count(*) FROM runs")).scalar_one()
    engine.dispose()
    assert recorded == len(done[0] | done[1])
    assert claims >= recorded


def test_replicas_split_by_lease_and_a_killed_replicas_clusters_move_on(
    tmp_path: Path, k8s_api: K8sApiFactory
) -> None:
    api = k8s_api(channel=None)
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'h.db'}")
    logs = {name: tmp_path / f"{name}.log" for name in ("replica-a", "replica-b")}
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(name: str) -> None:
        env = {k: v for k, v in os.environ.items() if k != "KUBERNETES_SERVICE_HOST"}
        env.update(POD_NAME=name, POD_NAMESPACE="auditor")
        with logs[name].open("w") as sink:
            processes[name] = subprocess.Popen(
                [str(BIN / "auditor"), "serve", "--config", str(config), "--listen", "127.0.0.1:0",
                 "--lease-kubeconfig", str(api.kubeconfig), "--lease-duration", "2"],
                stdout=subprocess.DEVNULL, stderr=sink, cwd=tmp_path, env=env,
            )  # fmt: skip

    try:
        start("replica-a")
        _wait_for(logs["replica-a"], r"tick \S+ of cluster prod done")
        _wait_for(logs["replica-a"], r"tick \S+ of cluster lab done")
        start("replica-b")
        _wait_for(logs["replica-b"], r"of cluster prod skipped \(lease-held\)")
        _wait_for(logs["replica-b"], r"of cluster lab skipped \(lease-held\)")
        assert not re.search(r"tick \S+ of cluster \w+ done", logs["replica-b"].read_text())
        lease = api.emulator.lease("auditor", "auditor-prod")
        assert lease is not None and lease["spec"]["holderIdentity"].startswith("replica-a_")

        processes["replica-a"].send_signal(signal.SIGKILL)
        processes["replica-a"].wait(timeout=10)
        _wait_for(logs["replica-b"], r"tick \S+ of cluster prod done")
        _wait_for(logs["replica-b"], r"tick \S+ of cluster lab done")
        lease = api.emulator.lease("auditor", "auditor-prod")
        assert lease is not None and lease["spec"]["holderIdentity"].startswith("replica-b_")
        assert lease["spec"]["leaseTransitions"] >= 1

        processes["replica-b"].send_signal(signal.SIGTERM)
        assert processes["replica-b"].wait(timeout=30) == 0
        released = api.emulator.lease("auditor", "auditor-prod")
        assert released is not None and "holderIdentity" not in released["spec"]
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
