"""Shared test wiring: one fixture module per real dependency (DESIGN §9)."""

pytest_plugins = ["tests.integration.conftest_k8s", "tests.integration.db_fixtures"]
