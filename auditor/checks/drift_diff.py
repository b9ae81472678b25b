"""The schema-aware comparison of a normalized Git body with its normalized live twin.

Walks both bodies with the kind's schema and yields one :class:`RawChange` per drifted path:

* maps key by key (``x-kubernetes-map-type: atomic`` maps as one value);
* ``map`` lists by their ``x-kubernetes-list-map-keys`` (``spec.listeners[name=https]``), ``set``
  lists as multisets, every other list by position — a length difference is one ``change`` at the
  list's path, the same elements in another order one ``reorder``;
* leaves by the C7/C8 equivalences of :mod:`auditor.normalize.values`.

Only the *essence* is compared: every top-level field but ``apiVersion``/``kind``/``status``,
plus the labels, annotations, owner references and finalizers of ``metadata``. Kinds without any
schema compare Git's fields only (see :func:`diff_essences`).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from auditor.model import Body, ChangeOp
from auditor.normalize import (
    METADATA_NODE,
    Keyed,
    Path,
    SchemaNode,
    canon,
    is_empty,
    strictly_equal,
)

logger = logging.getLogger(__name__)

_META_KEYS = ("labels", "annotations", "ownerReferences", "finalizers")
_SKIPPED_TOP = frozenset({"apiVersion", "kind", "status", "metadata"})
_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True, slots=True, kw_only=True)
class RawChange:
    """One drifted path before attribution: values are Git's (``desired``) and live's."""

    path: Path
    op: ChangeOp
    desired: Any = None
    live: Any = None


def essence(body: Body) -> Body:
    """The part of a body drift compares (see the module docstring)."""
    out = {k: v for k, v in body.items() if k not in _SKIPPED_TOP}
    meta = body.get("metadata")
    if isinstance(meta, dict):
        kept = {k: meta[k] for k in _META_KEYS if not is_empty(meta.get(k))}
        if kept:
            out["metadata"] = kept
    return out


def diff_essences(desired: Body, live: Body, root: SchemaNode | None) -> list[RawChange]:
    """Every drifted path between two essences, under the kind's root schema node.

    Without a schema (a native kind such as Service or NetworkPolicy) the server's defaults are
    unknown offline, so fields only live has are not drift there: Git's fields are projected onto
    live (changed and removed fields count; labels and annotations are compared both ways).
    """
    out: list[RawChange] = []
    _diff_maps(
        desired.get("metadata") or {}, live.get("metadata") or {}, METADATA_NODE, ("metadata",), out
    )
    for key in _union(desired, live):
        if key != "metadata":
            _diff(desired.get(key), live.get(key), root.child(key) if root else None, (key,), out)
    if root is None:
        return [c for c in out if c.op != ChangeOp.ADD or c.path[0] == "metadata"]
    return out


def _union(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return [*a, *(k for k in b if k not in a)]


def _diff(want: Any, have: Any, node: SchemaNode | None, path: Path, out: list[RawChange]) -> None:
    if strictly_equal(want, have):
        return
    if is_empty(want) or is_empty(have):
        if _keyed_map(want, node) or _keyed_map(have, node):
            _diff_maps(want or {}, have or {}, node, path, out)  # free keys: one by one
        elif not is_empty(want):
            out.append(RawChange(path=path, op=ChangeOp.REMOVE, desired=want))
        elif not is_empty(have):
            out.append(RawChange(path=path, op=ChangeOp.ADD, live=have))
        return
    atomic = node is not None and node.map_type == "atomic"
    if isinstance(want, dict) and isinstance(have, dict) and not atomic:
        _diff_maps(want, have, node, path, out)
    elif isinstance(want, list) and isinstance(have, list):
        _diff_list(want, have, node, path, out)
    elif canon(want, node) != canon(have, node):
        out.append(RawChange(path=path, op=ChangeOp.CHANGE, desired=want, live=have))


def _diff_maps(
    want: dict[str, Any],
    have: dict[str, Any],
    node: SchemaNode | None,
    path: Path,
    out: list[RawChange],
) -> None:
    for key in _union(want, have):
        child = node.child(key) if node else None
        _diff(want.get(key), have.get(key), child, (*path, key), out)


def _keyed_map(value: Any, node: SchemaNode | None) -> bool:
    """A non-empty map of free keys (labels, annotations, Secret data): compared key by key."""
    return (
        isinstance(value, dict)
        and bool(value)
        and node is not None
        and node.additional is not None
        and not node.properties
        and node.map_type != "atomic"
    )


def _index(items: list[Any], node: SchemaNode) -> dict[Keyed, Any] | None:
    out: dict[Keyed, Any] = {}
    for element in items:
        key = node.item_key(element)
        if key is None or not all(isinstance(v, _SCALARS) for _, v in key.items) or key in out:
            return None
        out[key] = element
    return out


def _diff_list(
    want: list[Any], have: list[Any], node: SchemaNode | None, path: Path, out: list[RawChange]
) -> None:
    items = node.items if node else None
    if node is not None and node.list_type == "map":
        desired, live = _index(want, node), _index(have, node)
        if desired is not None and live is not None:
            _diff_keyed(desired, live, items, path, out)
            return
    if node is not None and node.list_type == "set":
        if Counter(canon(x, items) for x in want) != Counter(canon(x, items) for x in have):
            out.append(RawChange(path=path, op=ChangeOp.CHANGE, desired=want, live=have))
        return
    if len(want) != len(have):
        out.append(RawChange(path=path, op=ChangeOp.CHANGE, desired=want, live=have))
        return
    d_forms, l_forms = [canon(x, items) for x in want], [canon(x, items) for x in have]
    if d_forms == l_forms:
        return
    if Counter(d_forms) == Counter(l_forms):
        out.append(RawChange(path=path, op=ChangeOp.REORDER, desired=want, live=have))
        return
    for i, (a, b) in enumerate(zip(want, have, strict=True)):
        _diff(a, b, items, (*path, i), out)


def _diff_keyed(
    desired: dict[Keyed, Any],
    live: dict[Keyed, Any],
    items: SchemaNode | None,
    path: Path,
    out: list[RawChange],
) -> None:
    for key, element in desired.items():
        if key in live:
            _diff(element, live[key], items, (*path, key), out)
        else:
            out.append(RawChange(path=(*path, key), op=ChangeOp.REMOVE, desired=element))
    for key, element in live.items():
        if key not in desired:
            out.append(RawChange(path=(*path, key), op=ChangeOp.ADD, live=element))
