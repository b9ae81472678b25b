"""Reading controller status: conditions and the status.parents entry of a parentRef."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from auditor.checks.common.fields import as_list, as_map, as_str, path
from auditor.checks.gateway.evaluate import Evaluation
from auditor.checks.gateway.index import LISTENERSET_KINDS
from auditor.checks.gateway.refs import ParentRef, parse_parent_ref
from auditor.model import KubeObject

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
    return statuses_of(ev.referrer, ev.pref)


def statuses_of(route: KubeObject, wanted: ParentRef) -> Iterator[Mapping[str, Any]]:
    """The ``status.parents`` entries (any controller) of ``route`` that are about ``wanted``."""
    for pref, entry in status_entries(route):
        if same_parent(pref, wanted):
            yield entry


def status_entries(route: KubeObject) -> tuple[tuple[ParentRef, Mapping[str, Any]], ...]:
    """Every ``status.parents`` entry of ``route`` with its parentRef defaulted (parsed once per
    object: each parentRef's status checks ask)."""
    found: tuple[tuple[ParentRef, Mapping[str, Any]], ...] | None = route.derived.get(
        "status-entries"
    )
    if found is None:
        namespace = route.key.namespace
        found = route.derived["status-entries"] = tuple(
            (parse_parent_ref(entry.get("parentRef"), index=0, namespace=namespace), entry)
            for entry in map(as_map, as_list(path(route.body, "status", "parents")))
        )
    return found


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
