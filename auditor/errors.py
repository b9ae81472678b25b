"""The auditor's error tree. Adapters translate library exceptions into these with ``from e``."""

from __future__ import annotations


class AuditorError(Exception):
    """The auditor failed."""


class ConfigError(AuditorError):
    """The configuration is invalid."""


class UsageError(AuditorError):
    """The command line is invalid."""


class SourceError(AuditorError):
    """A source (Git, cluster, snapshot) could not be read."""

    def __init__(self, message: str, *, subject: str, transient: bool = False) -> None:
        super().__init__(message)
        self.subject = subject
        self.transient = transient


class GitError(SourceError):
    """A Git repository could not be fetched or read."""


class ClusterError(SourceError):
    """A cluster could not be reached or read."""


class SnapshotError(SourceError):
    """A live snapshot file could not be read."""


class ManifestError(AuditorError):
    """A manifest file is not valid input (with file and line)."""

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


class StoreError(AuditorError):
    """The database could not be used."""


class SchemaRevisionError(StoreError):
    """The database schema is not at the revision this code needs."""


class RunAlreadyClaimed(StoreError):
    """Another worker already claimed this scheduled tick."""
