"""Engine creation and database error translation.

SQLite: WAL journal, a busy timeout and foreign keys, set on every connection; the driver's own
transaction handling is turned off so that we emit ``BEGIN`` ourselves, ``BEGIN IMMEDIATE`` for
writers (execution option ``WRITE``), which serializes writers across processes.
PostgreSQL: ``postgresql+psycopg`` (psycopg 3), with pre-ping.

Read-only engines (``create(url, read_only=True)``, for ``history``, ``show``, ``stats``, ``runs``)
open SQLite as a ``mode=ro`` URI and set no pragma that writes (journal mode, synchronous), so a
read-only file or volume can be queried; when even the ``-shm`` file cannot be created (a WAL
database on a read-only volume) they fall back to ``immutable=1``. PostgreSQL sessions are
``default_transaction_read_only``.
Every URL and driver message leaves this module through ``auditor.redact`` (whole user info masked).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from auditor.errors import StoreError
from auditor.redact import ambiguous_userinfo, mask_secrets_in, mask_url

logger = logging.getLogger(__name__)

WRITE = "auditor_write"  # execution option: this transaction writes (SQLite: BEGIN IMMEDIATE)
SQLITE_BUSY_TIMEOUT_MS = 30_000


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL, with ``postgres://``/``postgresql://`` pinned to psycopg 3."""
    if ambiguous_userinfo(url):
        raise StoreError(
            f"database URL {mask_url(url)}: more than one '@' in it; percent-encode '@' in the "
            "user name or password as %40"
        )
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise StoreError(
            "invalid database URL (expected e.g. sqlite:///auditor.db or "
            "postgresql+psycopg://user@host/db)"
        ) from e
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def display_url(url: str | URL) -> str:
    """The URL with its whole user info masked, for messages and logs."""
    if isinstance(url, URL):
        url = url.render_as_string(hide_password=False)
    return mask_url(url)


def create(url: str, *, read_only: bool = False) -> Engine:
    """A configured engine for ``url`` (SQLite or PostgreSQL); no connection is made yet."""
    parsed = parse_url(url)
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(f"unsupported database {display_url(parsed)}: use sqlite or postgresql")
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed, read_only=read_only)
        options = {"options": "-c default_transaction_read_only=on"} if read_only else {}
        return sa.create_engine(parsed, pool_pre_ping=True, connect_args=options)
    except (NoSuchModuleError, ArgumentError) as e:
        raise StoreError(
            f"cannot use database {display_url(parsed)}: {mask_secrets_in(str(e))}"
        ) from e


def _read_only_connector(path: str) -> Any:
    """A ``creator`` opening the SQLite file at ``path`` read-only (``mode=ro``), or as
    ``immutable=1`` when the read-only open cannot even read (no ``-shm`` can be created)."""
    uri = f"file:{quote(path)}?mode=ro"

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            connection.close()
            return sqlite3.connect(uri + "&immutable=1", uri=True, check_same_thread=False)
        return connection

    return connect


def _sqlite_engine(url: URL, *, read_only: bool = False) -> Engine:
    memory = url.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"poolclass": StaticPool} if memory else {}
    if read_only and not memory:
        assert url.database is not None
        kwargs["creator"] = _read_only_connector(url.database)
    engine = sa.create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        if not memory and not read_only:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writes = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A connection inside a write transaction (SQLite: BEGIN IMMEDIATE); commits on success."""
    with engine.connect() as connection:
        connection.execution_options(**{WRITE: True})
        with connection.begin():
            yield connection


def first_line(error: BaseException) -> str:
    """The driver's message without SQLAlchemy's SQL echo and background link."""
    original = getattr(error, "orig", None)
    text = mask_secrets_in(str(original if original is not None else error).strip())
    return (text.splitlines() or [type(error).__name__])[0][:300]


def cause(error: SQLAlchemyError) -> BaseException:
    """The driver's exception when there is one (its text is already in our message)."""
    original = getattr(error, "orig", None)
    return original if isinstance(original, BaseException) else error


@contextmanager
def translated(action: str, url: str | URL) -> Iterator[None]:
    """Turn SQLAlchemy errors into a StoreError naming the action and the (masked) database."""
    try:
        yield
    except SQLAlchemyError as e:
        raise StoreError(f"{action} failed on {display_url(url)}: {first_line(e)}") from cause(e)
