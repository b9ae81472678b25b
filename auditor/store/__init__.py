"""History store: runs and finding lifecycles in SQLite or PostgreSQL (SQLAlchemy + Alembic).

Public API: ``Store`` (open, record_run, history, get, stats, runs, prune, claim), the value
types in ``auditor.store.types`` and ``upgrade`` (``auditor db upgrade``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.store.types import (
    EventType,
    FindingEvent,
    FindingStatus,
    HistoryQuery,
    OldestOpen,
    PruneResult,
    RecordResult,
    RunCounts,
    RunRecord,
    RunScope,
    StoredEvent,
    StoredFinding,
    TeamStats,
    iso,
    parse_time,
)

if TYPE_CHECKING:
    from auditor.store.migrate import upgrade
    from auditor.store.repository import Store


def __getattr__(name: str) -> object:
    """``Store`` and ``upgrade`` load SQLAlchemy/Alembic on first use, not at CLI start."""
    if name == "Store":
        from auditor.store.repository import Store

        return Store
    if name == "upgrade":
        from auditor.store.migrate import upgrade

        return upgrade
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EventType",
    "FindingEvent",
    "FindingStatus",
    "HistoryQuery",
    "OldestOpen",
    "PruneResult",
    "RecordResult",
    "RunCounts",
    "RunRecord",
    "RunScope",
    "Store",
    "StoredEvent",
    "StoredFinding",
    "TeamStats",
    "iso",
    "parse_time",
    "upgrade",
]
