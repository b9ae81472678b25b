"""The package list, which pyproject.toml alone cannot express.

Alembic's ``migrations/`` stays at the repository root (the ``alembic`` command line and the docs
expect it there); the wheel carries it as the package ``auditor._migrations``, where
``auditor/store/migrate.py`` finds it when the auditor is installed. Everything else is in
pyproject.toml.
"""

from setuptools import find_packages, setup

MIGRATIONS = {
    "auditor._migrations": "migrations",
    "auditor._migrations.versions": "migrations/versions",
}

setup(
    packages=[*find_packages(include=["auditor", "auditor.*"]), *MIGRATIONS],
    package_dir=MIGRATIONS,
)
