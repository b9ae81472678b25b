"""Alembic environment for the auditor's history database.

The target metadata is ``auditor.store.tables.Base.metadata``. The auditor passes an open
connection in ``config.attributes["connection"]`` (see ``auditor/store/migrate.py``); the plain
``alembic`` command line takes the URL from ``-x url=...`` or ``AUDITOR_DATABASE_URL``.
Tables of APScheduler's job store (``apscheduler_*``) live in the same database and are ignored.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection

from auditor.store import engine as engine_mod
from auditor.store.tables import Base

config = context.config
target_metadata = Base.metadata


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ == "table" and name is not None and name.startswith("apscheduler_"))


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=include_name,
        compare_type=True,
        compare_server_default=True,
    )


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "AUDITOR_DATABASE_URL"
    )
    if not url:
        raise SystemExit("pass the database with -x url=... or AUDITOR_DATABASE_URL")
    return url


def run_migrations_offline() -> None:
    context.configure(
        url=str(engine_mod.parse_url(_url())),
        target_metadata=target_metadata,
        literal_binds=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_mod.create(_url())
    try:
        with engine_mod.writing(engine) as own_connection:
            _configure(own_connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
