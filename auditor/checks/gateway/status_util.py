"""Reading controller status: conditions and the status.parents entry of a parentRef."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from auditor.checks.gateway.evaluate import Evaluation
from auditor.checks.gateway.fields import as_list, as_map, as_str, path
from auditor.checks.gateway.index import LISTENERSET_KINDS
from auditor.checks.gateway.refs import ParentRef, parse_parent_ref

logger = logging.getLogger(__name__)


def has_status(body: Mapping[str, Any]) -> bool:
    return isinstance(body.get("status"), Mapping) and bool(body["status"])


def conditions(holder: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """``conditions`` of a status (or a status entry) as mappings."""
    return [as_map(c) for c in as_list(holder.get("conditions"))]


def condition(holder: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    return next((c for c in conditions(holder) if c.get("type") == kind), None)


def same_parent(a: ParentRef, b: ParentRef) -> bool:
    return (a.group, a.kind, a.namespace, a.name, a.section_name, a.port) == (
        b.group,
        b.kind,
        b.namespace,
        b.name,
        b.section_name,
        b.port,
    )


def parent_statuses(ev: Evaluation) -> Iterator[Mapping[str, Any]]:
    """The ``status.parents`` entries (any controller) that are about ``ev.pref``."""
    namespace = ev.referrer.key.namespace
    for raw in as_list(path(ev.referrer.body, "status", "parents")):
        entry = as_map(raw)
        pref = parse_parent_ref(entry.get("parentRef"), index=0, namespace=namespace)
        if same_parent(pref, ev.pref):
            yield entry


def reported_accepted(ev: Evaluation) -> bool | None:
    """What the controller(s) report for ``ev``: True/False from Accepted, None when nothing."""
    if ev.referrer.key.group_kind in LISTENERSET_KINDS:
        cond = condition(as_map(ev.referrer.body.get("status")), "Accepted")
        return None if cond is None else cond.get("status") == "True"
    statuses = [condition(e, "Accepted") for e in parent_statuses(ev)]
    found = [c for c in statuses if c is not None]
    if not found:
        return None
    return any(c.get("status") == "True" for c in found)


def reason_of(cond: Mapping[str, Any]) -> str:
    return as_str(cond.get("reason")) or ""
