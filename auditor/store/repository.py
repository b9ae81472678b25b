"""The Store: the one object the app and the CLI use to read and write the history database.

Each public method is one transaction. Writers (record_run, prune, claim) run as SQLite
``BEGIN IMMEDIATE`` transactions; on PostgreSQL they rely on unique constraints, ``ON CONFLICT``
and row locks. SQLAlchemy errors leave this module as StoreError (password masked).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from auditor.deltas import OutboxEntry, SlackThread
from auditor.errors import StoreError
from auditor.model import AuditRun, Skipped
from auditor.store import engine as engine_mod
from auditor.store import outbox, queries, recorder, tables
from auditor.store.types import (
    EventType,
    HistoryQuery,
    OutboxPlanner,
    PruneResult,
    RecordResult,
    RunRecord,
    RunScope,
    StoredFinding,
    TeamStats,
)

logger = logging.getLogger(__name__)


class Store:
    """History of runs and findings in SQLite or PostgreSQL. Open with ``Store.open(url)``."""

    def __init__(self, *, engine: Engine, url: str) -> None:
        self._engine = engine
        self._url = url

    @classmethod
    def open(cls, url: str, *, auto_migrate: bool = False, read_only: bool = False) -> Store:
        """Connect, initialize an empty database, and check its schema revision.

        ``read_only`` (the history commands): open without writing anything, not even a pragma,
        and refuse rather than initialize or upgrade a schema that is not current.
        """
        engine = engine_mod.create(url, read_only=read_only)
        try:
            with engine_mod.translated("connecting to the database", url):
                if not _at_head(engine):
                    from auditor.store import migrate  # Alembic only when there is work

                    migrate.ensure_schema(
                        engine, auto_migrate=auto_migrate and not read_only, read_only=read_only
                    )
        except BaseException:
            engine.dispose()
            raise
        logger.debug(
            "store open",
            extra={"action": "store-open", "resource": engine_mod.display_url(url)},
        )
        return cls(engine=engine, url=url)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record_run(
        self, run: AuditRun, *, scope: RunScope, outbox: OutboxPlanner | None = None
    ) -> RecordResult:
        """Store ``run``, apply its findings to the lifecycle and (with ``outbox``) queue its
        notifications, in one transaction."""
        with self._session("recording run", write=True) as session:
            result = recorder.record(session, run, scope, outbox)
        logger.info(
            "run recorded",
            extra={
                "action": "record",
                "run_id": run.id,
                **{str(kind): result.count(kind) for kind in EventType},
            },
        )
        return result

    def history(self, query: HistoryQuery) -> list[StoredFinding]:
        with self._session("reading history") as session:
            return queries.history(session, query)

    def get(self, finding_id: str) -> StoredFinding | None:
        """One finding with its events in time order, or None."""
        with self._session("reading a finding") as session:
            return queries.get(session, finding_id)

    def match_ids(self, prefix: str, *, limit: int = 2) -> list[str]:
        """Finding ids starting with ``prefix`` (at most ``limit``), for short ids in the CLI."""
        with self._session("looking up a finding") as session:
            return queries.match_ids(session, prefix, limit)

    def stats(
        self, *, teams: Sequence[str] = (), since: datetime, now: datetime
    ) -> list[TeamStats]:
        with self._session("computing stats") as session:
            return queries.stats(session, teams=teams, since=since, now=now)

    def runs(self, *, limit: int = 20) -> list[RunRecord]:
        with self._session("listing runs") as session:
            return queries.runs(session, limit)

    def prune(self, *, older_than: datetime) -> PruneResult:
        """Retention: old runs and claims, and findings resolved before the cutoff (with events)."""
        with self._session("pruning history", write=True) as session:
            result = queries.prune(session, older_than)
            outbox.prune(session, older_than)
        pruned = result.runs or result.findings or result.events
        logger.log(  # every tick prunes: say it at info only when something went
            logging.INFO if pruned else logging.DEBUG,
            "history pruned: %d run(s), %d finding(s), %d event(s)",
            result.runs,
            result.findings,
            result.events,
            extra={"action": "prune", "runs": result.runs, "events": result.events},
        )
        return result

    def claim(
        self, schedule_key: str, scheduled_for: datetime, *, now: datetime | None = None
    ) -> bool:
        """Claim one scheduled tick; False when another worker already claimed it."""
        with self._session("claiming a scheduled run", write=True) as session:
            return recorder.claim(session, schedule_key, scheduled_for, now or datetime.now(UTC))

    def open_counts(self) -> list[tuple[str | None, str, str, int]]:
        """Open findings counted by (team, category, severity) (the worker's metrics)."""
        with self._session("counting open findings") as session:
            return queries.open_counts(session)

    def ping(self) -> None:
        """One round trip to the database (the worker's readiness); StoreError when it fails."""
        with self._session("checking the database") as session:
            session.execute(text("SELECT 1"))

    # --- the notification outbox (auditor.store.outbox) ---------------------------------

    def pending_notifications(self, *, limit: int = 1000) -> list[OutboxEntry]:
        """Pending outbox rows in event order (due or not: the sender keeps the order)."""
        with self._session("reading the outbox") as session:
            return outbox.pending(session, limit)

    def claim_notifications(self, ids: Sequence[int], *, now: datetime, until: datetime) -> bool:
        """Claim rows for sending until ``until``; False when another sender has them."""
        with self._session("claiming notifications", write=True) as session:
            return outbox.claim(session, ids, now=now, until=until)

    def slack_thread(self, finding_id: str, channel: str) -> SlackThread | None:
        """Where the finding's message in ``channel`` was posted, if it was."""
        with self._session("reading a Slack thread") as session:
            return outbox.thread(session, finding_id, channel)

    def notifications_sent(
        self,
        ids: Sequence[int],
        *,
        threads: Mapping[tuple[str, str], SlackThread],
        now: datetime,
    ) -> None:
        with self._session("marking notifications sent", write=True) as session:
            outbox.mark_sent(session, ids, threads, now=now)

    def notifications_failed(
        self,
        ids: Sequence[int],
        *,
        reason: str,
        permanent: bool,
        retry_at: datetime,
        note: Skipped | None = None,
    ) -> None:
        with self._session("marking notifications failed", write=True) as session:
            outbox.mark_failed(
                session, ids, reason=reason, permanent=permanent, retry_at=retry_at, note=note
            )

    def outbox_depth(self) -> int:
        """Pending notification rows."""
        with self._session("counting the outbox") as session:
            return outbox.depth(session)

    def outbox_counts(self) -> dict[str, int]:
        """Outbox rows by status (pending, sent, failed)."""
        with self._session("counting the outbox") as session:
            return outbox.counts(session)

    @contextmanager
    def _session(self, action: str, *, write: bool = False) -> Iterator[Session]:
        try:
            with self._engine.connect() as connection:
                if write:
                    connection.execution_options(**{engine_mod.WRITE: True})
                with Session(bind=connection) as session, session.begin():
                    yield session
        except SQLAlchemyError as e:
            raise StoreError(
                f"{action} failed on {engine_mod.display_url(self._url)}: {engine_mod.first_line(e)}"
            ) from engine_mod.cause(e)


def _at_head(engine: Engine) -> bool:
    """The cheap path of the revision check: ``alembic_version`` already says SCHEMA_REVISION."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return list(rows) == [tables.SCHEMA_REVISION]
