"""History store: runs and finding lifecycles in SQLite or PostgreSQL (SQLAlchemy + Alembic).

Public API: ``Store`` (open, record_run, history, get, stats, runs, prune, claim), the value
types in ``auditor.store.types`` and ``upgrade`` (``auditor db upgrade``).
"""

from __future__ import annotations

from auditor.store.migrate import upgrade
from auditor.store.repository import Store
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
