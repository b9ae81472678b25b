"""Migrations are code and are tested: head equals the models, round trip, revision gate."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from auditor.errors import SchemaRevisionError, StoreError
from auditor.store import HistoryQuery, Store, migrate, tables
from auditor.store.tables import Base

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

# A second revision that exists only in this test, to have a database "older than the code".
REVISION_0003 = """
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("note")
"""


def _diffs(url: str) -> list[object]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "include_name": _not_apscheduler},
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _not_apscheduler(name: str | None, type_: str, _parents: object) -> bool:
    return not (type_ == "table" and name is not None and name.startswith("apscheduler_"))


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()


def _revision(url: str) -> str | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return migrate.current_revision(connection)
    finally:
        engine.dispose()


def _future_project(tmp_path: Path) -> Path:
    """A copy of the project's migrations plus revision 0003, with its own [tool.alembic]."""
    root = tmp_path / "future"
    shutil.copytree(MIGRATIONS, root / "migrations", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "migrations" / "versions" / "0003_note.py").write_text(REVISION_0003)
    (root / "pyproject.toml").write_text(
        '[tool.alembic]\nscript_location = "%(here)s/migrations"\n'
    )
    return root


@pytest.fixture
def newer_code(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make the auditor's migrations include revision 0003 (head), once ``db_url`` is at 0002."""
    monkeypatch.setattr(migrate, "PROJECT_ROOT", _future_project(tmp_path))
    monkeypatch.setattr(tables, "SCHEMA_REVISION", "0003")
    yield


def test_upgrade_head_on_empty_database_equals_the_models(empty_db_url: str) -> None:
    assert migrate.upgrade(empty_db_url) == migrate.head_revision() == tables.SCHEMA_REVISION
    assert _diffs(empty_db_url) == []
    migrate.check(empty_db_url)  # `alembic check`: no new upgrade operations


def test_downgrade_base_and_upgrade_round_trip(empty_db_url: str) -> None:
    migrate.upgrade(empty_db_url)
    migrate.downgrade(empty_db_url, "base")
    assert _tables(empty_db_url) <= {"alembic_version"}
    assert _revision(empty_db_url) is None
    migrate.upgrade(empty_db_url)
    assert _diffs(empty_db_url) == []
    assert _revision(empty_db_url) == "0002"


def test_apscheduler_tables_are_left_alone(empty_db_url: str) -> None:
    engine = sa.create_engine(empty_db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE apscheduler_jobs (id VARCHAR(191) PRIMARY KEY, next_run_time FLOAT)"
        )
    engine.dispose()
    Store.open(empty_db_url).close()  # only foreign tables: initialized like an empty database
    migrate.check(empty_db_url)
    assert {"apscheduler_jobs", "findings", "runs"} <= _tables(empty_db_url)


def test_open_initializes_an_empty_database(empty_db_url: str) -> None:
    with Store.open(empty_db_url) as store:
        assert store.history(HistoryQuery()) == []
    assert _revision(empty_db_url) == "0002"


def test_old_revision_is_refused_unless_auto_migrate(db_url: str, newer_code: None) -> None:
    with pytest.raises(SchemaRevisionError, match="auditor db upgrade"):
        Store.open(db_url)
    assert _revision(db_url) == "0002"
    Store.open(db_url, auto_migrate=True).close()
    assert _revision(db_url) == "0003"


def test_db_upgrade_applies_pending_revisions(db_url: str, newer_code: None) -> None:
    assert migrate.upgrade(db_url) == "0003"
    Store.open(db_url).close()


def test_newer_revision_than_the_code_is_refused(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(migrate, "PROJECT_ROOT", _future_project(tmp_path))
        migrate.upgrade(db_url)
    for auto_migrate in (False, True):
        with pytest.raises(SchemaRevisionError, match="newer auditor"):
            Store.open(db_url, auto_migrate=auto_migrate)
    with pytest.raises(SchemaRevisionError, match="newer auditor"):
        migrate.upgrade(db_url)
    assert _revision(db_url) == "0003"


def test_tables_without_a_revision_are_refused(empty_db_url: str) -> None:
    migrate.upgrade(empty_db_url)
    engine = sa.create_engine(empty_db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM alembic_version")
    engine.dispose()
    with pytest.raises(SchemaRevisionError, match="no schema revision"):
        Store.open(empty_db_url)


def test_upgrade_of_an_unreachable_database_is_a_store_error() -> None:
    with pytest.raises(StoreError) as caught:
        migrate.upgrade("postgresql+psycopg://auditor:hunter2@127.0.0.1:1/auditor")
    assert "hunter2" not in str(caught.value) and "***" in str(caught.value)
