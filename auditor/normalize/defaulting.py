"""Structural-schema defaulting and pruning, as the API server does them (DRIFT_RULES C5, C6).

Defaulting: a field absent (or null while not nullable) whose parent object exists gets its
``default``; defaults nest (a defaulted object is defaulted in turn) and reach through ``items``
and ``additionalProperties``. Pruning: fields the schema does not know are dropped unless the
node preserves unknown fields or allows additional properties. Both return new dicts and never
touch their input.
"""

from __future__ import annotations

import logging
from typing import Any

from auditor.model import Body
from auditor.normalize.paths import Path, Segment, format_path
from auditor.normalize.schema import KindSchema, SchemaNode
from auditor.normalize.values import copy_json

logger = logging.getLogger(__name__)

_ROOT_META = frozenset({"apiVersion", "kind", "metadata"})


def _default(value: Any, node: SchemaNode | None, copy: bool = True) -> Any:
    if node is None or not node.defaults_below:
        return copy_json(value) if copy else value
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            child = node.child(key)
            if item is None and child is not None and child.has_default and not child.nullable:
                item = child.default
            out[key] = _default(item, child, copy)
        for key, child in node.properties.items():
            if key not in out and child.has_default:
                out[key] = _default(child.default, child)  # always a copy: shared by the schema
        return out
    if isinstance(value, list):
        return [_default(item, node.items, copy) for item in value]
    return value


def apply_defaults(body: Body, schema: KindSchema | None) -> Body:
    """A new body with the schema's defaults applied (idempotent). No schema: a plain copy."""
    result = _default(body, schema.root if schema else None)
    assert isinstance(result, dict)
    return result


def defaulted_view(body: Body, schema: KindSchema | None) -> Body:
    """``apply_defaults`` for read-only use: what needs no default is shared with ``body``
    instead of copied, and an object that already carries every default (as the API server
    returns it) is ``body`` itself. For views and comparisons that only read; the saving is most
    of the copying and allocation of a large cluster."""
    if schema is None or not schema.root.defaults_below:
        return body
    result = _view(body, schema.root)
    assert isinstance(result, dict)
    return result


class DefaultedViews:
    """``defaulted_view`` memoised per body and schema, by identity, for one audit: drift and the
    views of the policy checks default the same Git and live bodies, and a body is walked once
    per schema. (Drift defaults a live body under the Git object's version's schema, the live
    view under its own: when the two apiVersions differ, each gets its own.)

    Holds each body and schema it saw (so an identity is never reused while memoised); bodies
    must not change while it is in use (views are read-only)."""

    def __init__(self) -> None:
        self._done: dict[tuple[int, int], tuple[Body, KindSchema | None, Body]] = {}

    def of(self, body: Body, schema: KindSchema | None) -> Body:
        """``defaulted_view(body, schema)``."""
        key = (id(body), id(schema))
        hit = self._done.get(key)
        if hit is not None and hit[0] is body and hit[1] is schema:
            return hit[2]
        result = defaulted_view(body, schema)
        self._done[key] = (body, schema, result)
        return result


def _view(value: Any, node: SchemaNode) -> Any:
    """``_default(value, node, copy=False)`` for a node with ``defaults_below``, but a container
    whose subtree gains no default is returned as is (new dicts and lists only on the path to an
    added default), and only the fields whose schema has a default below them are visited."""
    if isinstance(value, dict):
        changed: dict[str, Any] | None = None
        for key, child in node.defaulting.items():
            item = value.get(key, _ABSENT)
            if item is _ABSENT or (item is None and not child.nullable):
                if not child.has_default:
                    continue
                new = _default(child.default, child)  # a copy: shared by the schema
            elif item is None:
                continue
            else:
                new = _view(item, child)
                if new is item:
                    continue
            changed = changed if changed is not None else dict(value)
            changed[key] = new
        extra = node.additional
        if extra is not None and extra.defaults_below:
            for key, item in value.items():
                if key in node.properties:
                    continue
                if item is None:
                    if extra.nullable or not extra.has_default:
                        continue
                    new = _default(extra.default, extra)
                else:
                    new = _view(item, extra)
                    if new is item:
                        continue
                changed = changed if changed is not None else dict(value)
                changed[key] = new
        return value if changed is None else changed
    if isinstance(value, list) and node.items is not None and node.items.defaults_below:
        items = [_view(item, node.items) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


_ABSENT = object()


def _element_segment(node: SchemaNode, element: Any, index: int) -> Segment:
    keyed = node.item_key(element)
    return keyed if keyed is not None else index


def _prune(value: Any, node: SchemaNode | None, path: Path, out: list[tuple[Path, Any]]) -> Any:
    """``value`` without the fields ``node`` does not know; ``value`` itself when it has none
    (a new dict or list only on the path to a dropped field)."""
    if node is None:
        return value
    if isinstance(value, dict) and node.type == "object":
        changed: dict[str, Any] | None = None
        for key, item in value.items():
            if key in _ROOT_META and (not path or node.embedded):
                continue
            if not node.knows(key):
                out.append(((*path, key), item))
                changed = changed if changed is not None else dict(value)
                del changed[key]
                continue
            kept = _prune(item, node.child(key), (*path, key), out)
            if kept is not item:
                changed = changed if changed is not None else dict(value)
                changed[key] = kept
        return value if changed is None else changed
    if isinstance(value, list) and node.items is not None:
        items = [
            _prune(item, node.items, (*path, _element_segment(node, item, i)), out)
            for i, item in enumerate(value)
        ]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def prune(body: Body, schema: KindSchema | None) -> tuple[Body, list[tuple[Path, Any]]]:
    """The body as the API server would store it, and the dropped (path, value) pairs.

    The built-in fallback table and a missing schema prune nothing.
    """
    if schema is None or schema.builtin:
        return body, []
    if not _has_unknown(body, schema.root, top=True):  # the common case: no paths to build
        return body, []
    dropped: list[tuple[Path, Any]] = []
    kept = _prune(body, schema.root, (), dropped)
    return kept, dropped


def _has_unknown(value: Any, node: SchemaNode, *, top: bool = False) -> bool:
    """Whether ``_prune`` would drop anything below ``value``."""
    if isinstance(value, dict) and node.type == "object":
        for key, item in value.items():
            if key in _ROOT_META and (top or node.embedded):
                continue
            if not node.knows(key):
                return True
            child = node.child(key)
            if child is not None and _has_unknown(item, child):
                return True
        return False
    if isinstance(value, list) and node.items is not None:
        items = node.items
        return any(_has_unknown(item, items) for item in value)
    return False


def pruned_paths(body: Body, schema: KindSchema | None) -> list[str]:
    """The Git fields the schema would prune, as DESIGN path strings (``spec.rules[0].retry``)."""
    return [format_path(p) for p, _ in prune(body, schema)[1]]
