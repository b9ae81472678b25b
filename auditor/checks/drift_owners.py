"""Who owns a field: managedFields (FieldsV1) of a live object, for drift attribution (C10).

A FieldsV1 set is a tree: ``f:<field>`` for map fields, ``k:{"name":"https"}`` for list-map
elements, ``v:<json>`` for set values, ``i:<n>`` for positional elements, and ``.`` for "this
node itself". A manager owns a path when its tree reaches the path's node, or reaches an ancestor
that it owns as a whole (a leaf: an atomic list or map, so everything inside it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.model import Body
from auditor.normalize import Keyed, Path, Segment

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Owner:
    """One managedFields entry: who wrote, how (Apply/Update) and when."""

    manager: str | None
    operation: str | None
    time: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Entry:
    owner: Owner
    fields: Mapping[str, Any]


def _keyed_child(node: Mapping[str, Any], seg: Keyed) -> Any:
    wanted = seg.as_dict()
    for name, child in node.items():
        if not name.startswith("k:"):
            continue
        try:
            if json.loads(name[2:]) == wanted:
                return child
        except json.JSONDecodeError:
            continue
    return None


def _child(node: Mapping[str, Any], seg: Segment) -> Any:
    if isinstance(seg, Keyed):
        return _keyed_child(node, seg)
    if isinstance(seg, int):
        return node.get(f"i:{seg}")
    return node.get(f"f:{seg}")


def _owns(fields: Mapping[str, Any], path: Path) -> bool:
    if not fields:
        return False
    node: Any = fields
    for seg in path:
        if not isinstance(node, Mapping):
            return False
        if not node:
            return True  # owned as a whole: an atomic ancestor
        node = _child(node, seg)
        if node is None:
            return False
    return True


class Ownership:
    """The managedFields of one live object, answering "who last wrote this path"."""

    __slots__ = ("_entries",)

    def __init__(self, *, entries: tuple[_Entry, ...]) -> None:
        self._entries = entries

    @classmethod
    def of(cls, body: Body) -> Ownership:
        """Parse ``metadata.managedFields``; malformed entries are skipped."""
        meta = body.get("metadata")
        raw = meta.get("managedFields") if isinstance(meta, dict) else None
        entries: list[_Entry] = []
        for item in raw if isinstance(raw, list) else []:
            fields = item.get("fieldsV1") if isinstance(item, dict) else None
            if not isinstance(fields, dict) or item.get("fieldsType", "FieldsV1") != "FieldsV1":
                continue
            owner = Owner(
                manager=_text(item.get("manager")),
                operation=_text(item.get("operation")),
                time=_text(item.get("time")),
            )
            entries.append(_Entry(owner=owner, fields=fields))
        return cls(entries=tuple(entries))

    def owner_of(self, path: Path) -> Owner | None:
        """The latest (by ``time``) manager owning ``path`` or an atomic ancestor; None if nobody."""
        best: Owner | None = None
        for entry in self._entries:
            if _owns(entry.fields, path) and (
                best is None or (entry.owner.time or "") >= (best.time or "")
            ):
                best = entry.owner
        return best


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
