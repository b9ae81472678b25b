"""Integration fixtures: the real databases (tests/integration/db_fixtures.py).

Once ``tests/conftest.py`` lists ``"tests.integration.db_fixtures"`` in ``pytest_plugins``, this
file can go.
"""

from tests.integration.db_fixtures import (
    backend,
    db_url,
    empty_db_url,
    pg_admin,
    pg_template,
    store,
)

__all__ = ["backend", "db_url", "empty_db_url", "pg_admin", "pg_template", "store"]
