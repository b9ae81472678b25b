"""Engine creation and database error translation.

SQLite: WAL journal, a busy timeout and foreign keys, set on every connection; the driver's own
transaction handling is turned off so that we emit ``BEGIN`` ourselves, ``BEGIN IMMEDIATE`` for
writers (execution option ``WRITE``), which serializes writers across processes.
PostgreSQL: ``postgresql+psycopg`` (psycopg 3), with pre-ping.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from auditor.errors import StoreError

logger = logging.getLogger(__name__)

WRITE = "auditor_write"  # execution option: this transaction writes (SQLite: BEGIN IMMEDIATE)
SQLITE_BUSY_TIMEOUT_MS = 30_000
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL, with ``postgres://``/``postgresql://`` pinned to psycopg 3."""
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
    """The URL with its password masked, for messages and logs."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except ArgumentError:
        return "<invalid URL>"
    # libpq also takes the password as a query parameter (``?password=...``)
    return _QUERY_PASSWORD.sub(r"\1***", parsed.render_as_string(hide_password=True))


def create(url: str) -> Engine:
    """A configured engine for ``url`` (SQLite or PostgreSQL); no connection is made yet."""
    parsed = parse_url(url)
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(f"unsupported database {display_url(parsed)}: use sqlite or postgresql")
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed)
        return sa.create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ArgumentError) as e:
        raise StoreError(f"cannot use database {display_url(parsed)}: {e}") from e


def _sqlite_engine(url: URL) -> Engine:
    memory = url.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"poolclass": StaticPool} if memory else {}
    engine = sa.create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        if not memory:
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
    text = str(original if original is not None else error).strip()
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
