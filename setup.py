"""The package list, which pyproject.toml alone cannot express.

Alembic's ``migrations/`` stays at the repository root (the ``alembic`` command line and the docs
expect it there); the wheel carries it as the package ``auditor._migrations``, where
``auditor/store/migrate.py`` finds it when the auditor is installed. Everything else is in
pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

MIGRATIONS = {
    "auditor._migrations": "migrations",
    "auditor._migrations.versions": "migrations/versions",
}

setup(
    # Namespace discovery also lists the demo's data directories (auditor.demo.data.*), which
    # package-data ships; without them setuptools warns once per directory that it "would be
    # ignored".
    packages=[
        *find_namespace_packages(include=["auditor", "auditor.*"], exclude=["*.__pycache__"]),
        *MIGRATIONS,
    ],
    package_dir=MIGRATIONS,
)
