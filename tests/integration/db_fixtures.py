"""Database fixtures: every store test runs on SQLite (a file in tmp_path) and PostgreSQL.

PostgreSQL comes from ``AUDITOR_TEST_POSTGRES_URL`` (default: the local server). Each test gets
its own database, cloned from a session template that is already migrated (procrastinate's
approach), and drops it afterwards; background threads create the next databases ahead of
time. SQLite tests copy a migrated template file. An unreachable server FAILS the PostgreSQL
tests.

Fixtures: ``backend`` ("sqlite" | "postgresql", parametrized), ``empty_db_url`` (no tables),
``db_url`` (migrated to head), ``store`` (an open Store on ``db_url``). Helpers build findings,
runs and coverage directly from the model.
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from auditor.keys import GroupKind, ResourceKey
from auditor.model import (
    AuditRun,
    Category,
    Change,
    ChangeOp,
    Coverage,
    Finding,
    Origin,
    RunStatus,
    Severity,
    Skipped,
    View,
)
from auditor.store import Store, migrate

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def postgres_server_url() -> str:
    return os.environ.get("AUDITOR_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _database_url(name: str) -> str:
    url = make_url(postgres_server_url()).set(database=name)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An autocommit engine on the server's maintenance database; fails when unreachable."""
    engine = sa.create_engine(postgres_server_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as e:
        engine.dispose()
        pytest.fail(
            f"PostgreSQL at {make_url(postgres_server_url())!r} is unreachable "
            f"(set AUDITOR_TEST_POSTGRES_URL or start the server): {e.orig}",
            pytrace=False,
        )
    yield engine
    engine.dispose()


def _create(admin: Engine, name: str, template: str | None = None) -> None:
    clause = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"{clause}')


def _drop(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class DatabasePool:
    """Per-test PostgreSQL databases, created ahead and dropped behind in one background thread.

    Every test still gets its own fresh, uniquely named database; the threads only move
    CREATE/DROP DATABASE (mostly fsync wait) off the tests' critical path.
    """

    def __init__(
        self, admin: Engine, *, template: str | None, ahead: int = 3, workers: int = 2
    ) -> None:
        self._admin, self._template = admin, template
        self._ready: queue.Queue[str | BaseException] = queue.Queue()
        self._jobs: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._work, name=f"pg-database-pool-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()
        for _ in range(ahead):
            self._jobs.put(("create", self._new_name()))

    @staticmethod
    def _new_name() -> str:
        return f"auditor_test_{uuid.uuid4().hex[:12]}"

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            action, name = job
            try:
                if action == "create":
                    _create(self._admin, name, self._template)
                    self._ready.put(name)
                else:
                    _drop(self._admin, name)
            except BaseException as e:  # handed to the test that waits for a database
                self._ready.put(e)

    def take(self) -> str:
        self._jobs.put(("create", self._new_name()))
        item = self._ready.get(timeout=60)
        if isinstance(item, BaseException):
            raise item
        return item

    def give_back(self, name: str) -> None:
        self._jobs.put(("drop", name))

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join(60)
        while not self._ready.empty():
            item = self._ready.get()
            if isinstance(item, str):
                _drop(self._admin, item)


@pytest.fixture(scope="session")
def pg_template(pg_admin: Engine) -> Iterator[str]:
    """A database migrated to head, cloned for each test."""
    name = f"auditor_tmpl_{uuid.uuid4().hex[:10]}"
    _create(pg_admin, name)
    try:
        migrate.upgrade(_database_url(name))
        yield name
    finally:
        _drop(pg_admin, name)


@pytest.fixture(scope="session")
def pg_migrated_pool(pg_admin: Engine, pg_template: str) -> Iterator[DatabasePool]:
    pool = DatabasePool(pg_admin, template=pg_template)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def pg_empty_pool(pg_admin: Engine) -> Iterator[DatabasePool]:
    pool = DatabasePool(pg_admin, template=None, ahead=1, workers=1)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "auditor.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _url_for(backend: str, request: pytest.FixtureRequest, tmp_path: Path, migrated: bool) -> str:
    if backend == "sqlite":
        path = tmp_path / "auditor.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    pool: DatabasePool = request.getfixturevalue(
        "pg_migrated_pool" if migrated else "pg_empty_pool"
    )
    name = pool.take()
    request.addfinalizer(lambda: pool.give_back(name))
    return _database_url(name)


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables."""
    return _url_for(backend, request, tmp_path, migrated=False)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database at the head revision."""
    return _url_for(backend, request, tmp_path, migrated=True)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url)
    yield opened
    opened.close()


# --- builders -------------------------------------------------------------------------------

ROUTE = GroupKind("gateway.networking.k8s.io", "HTTPRoute")
GATEWAY = GroupKind("gateway.networking.k8s.io", "Gateway")


def finding(
    name: str,
    *,
    check: str = "PDA-DR-003",
    category: Category = Category.DRIFT,
    severity: Severity = Severity.MEDIUM,
    cluster: str = "prod",
    team: str | None = "payments",
    kind: GroupKind = ROUTE,
    namespace: str | None = None,
    message: str = "live fields differ from Git",
    changes: Sequence[Change] = (),
    commit: str = "c0ffee",
    with_object: bool = True,
) -> Finding:
    key = ResourceKey(kind.group, kind.kind, namespace or team or "default", name)
    return Finding(
        check=check,
        category=category,
        severity=severity,
        view=View.LIVE,
        cluster=cluster,
        object=key if with_object else None,
        message=message,
        team=team,
        changes=tuple(changes),
        origin=Origin(repository="gitops", commit=commit, path=f"{name}.yaml", line=1),
    )


def change(
    path: str = "spec.rules[0].backendRefs[0].weight",
    live: object = 50,
    time: str = "2026-11-20T10:31:02Z",
) -> Change:
    return Change(
        path=path,
        op=ChangeOp.CHANGE,
        desired=10,
        live=live,
        manager="kubectl-edit",
        operation="Update",
        time=time,
    )


def coverage(
    cluster: str = "prod",
    team: str | None = "payments",
    *,
    git_ok: bool = True,
    kinds: Sequence[GroupKind] = (ROUTE, GATEWAY),
) -> Coverage:
    return Coverage(cluster=cluster, team=team, git_ok=git_ok, live_kinds=frozenset(kinds))


def audit_run(
    run_id: str,
    at: str,
    findings: Sequence[Finding],
    *,
    cover: Sequence[Coverage] | None = None,
    status: RunStatus = RunStatus.COMPLETE,
    skipped: Sequence[Skipped] = (),
    seconds: int = 5,
) -> AuditRun:
    """A run started at ``at`` (``2026-11-01T10:00:00``, UTC) lasting ``seconds``."""
    from datetime import datetime, timedelta

    start = datetime.fromisoformat(at)
    return AuditRun(
        id=run_id,
        started_at=f"{at}Z",
        finished_at=(start + timedelta(seconds=seconds)).isoformat() + "Z",
        status=status,
        revisions={"gitops": "c0ffee"},
        skipped=tuple(skipped),
        findings=tuple(findings),
        coverage=tuple(cover) if cover is not None else (coverage(),),
    )
