"""managedFields held once per distinct value while a cluster's live state is read.

``metadata.managedFields`` is read only to attribute a drifted path to its writer
(:mod:`auditor.checks.drift_owners`), yet it is about a quarter of a live object's bytes: a
FieldsV1 tree per manager, and objects of one kind written by one tool have the same trees
(FieldsV1 names fields, list keys and label keys, never their values). :class:`SharedFields`
keeps one copy of each distinct FieldsV1 tree, of each distinct entry and of each distinct
entry list for the read, so 20,000 objects hold a few dozen trees instead of 28,000.

The compact form is the same JSON data (what :class:`~auditor.checks.drift_owners.Ownership`
reads is unchanged), shared between objects: live bodies are never mutated after they are read
(the rule :class:`~auditor.normalize.DefaultedViews` already relies on). A tree is identified by
its ``repr``, which for JSON data is exact (``1``, ``1.0``, ``True`` and ``"1"`` differ) and
order-sensitive (two orders of one tree are kept apart: sharing is an optimisation, never a
merge). Anything that is not the expected shape is left as it is.
"""

from __future__ import annotations

from typing import Any

from auditor.model import Body

FIELDS_V1 = "fieldsV1"
ENTRY_FIELDS = frozenset(
    {"manager", "operation", "apiVersion", "time", "fieldsType", FIELDS_V1, "subresource"}
)
"""The fields of a ManagedFieldsEntry (meta/v1); an entry with any other is kept as it is."""
_ABSENT = object()


class SharedFields:
    """The intern tables of one read (a snapshot file, or one cluster's lists)."""

    __slots__ = ("_entries", "_lists", "_trees")

    def __init__(self) -> None:
        self._trees: dict[str, dict[str, Any]] = {}
        self._entries: dict[tuple[object, ...], dict[str, Any]] = {}
        self._lists: dict[tuple[int, ...], list[Any]] = {}

    def compact(self, body: Body) -> Body:
        """``body`` with its managedFields replaced by the shared copy. ``body`` is the reader's
        own, freshly decoded: its metadata and entries are updated in place, each with equal
        data (an entry a YAML alias shares with another object stays equal there too)."""
        meta = body.get("metadata")
        if not isinstance(meta, dict):
            return body
        raw = meta.get("managedFields")
        if not isinstance(raw, list) or not raw:
            return body
        entries: list[Any] = []
        all_held = True
        for item in raw:
            entry, held = self._entry(item)
            entries.append(entry)
            all_held = all_held and held
        # An entry the tables do not hold has an identity that may be reused once it is gone,
        # so only lists of held entries are keyed by identity and shared.
        if all_held:
            entries = self._lists.setdefault(tuple(map(id, entries)), entries)
        meta["managedFields"] = entries
        return body

    def _entry(self, item: Any) -> tuple[Any, bool]:
        """The shared copy of one entry, and whether the tables hold it. Shared are entries of
        the ManagedFieldsEntry fields, strings but for a FieldsV1 map; any other is kept as it
        is (a ``1`` and a ``true`` would be one key of a table)."""
        if not isinstance(item, dict) or not item.keys() <= ENTRY_FIELDS:
            return item, False
        tree = item.get(FIELDS_V1, _ABSENT)
        if tree is not _ABSENT:
            if not isinstance(tree, dict):
                return item, False
            try:
                shared_tree = self._trees.setdefault(repr(tree), tree)
            except RecursionError:  # nested past what repr walks
                return item, False
            if shared_tree is not tree:  # the entry is the reader's own: updated in place
                item[FIELDS_V1] = tree = shared_tree
        get = item.get
        fields = (
            get("manager", _ABSENT),
            get("operation", _ABSENT),
            get("apiVersion", _ABSENT),
            get("time", _ABSENT),
            get("fieldsType", _ABSENT),
            get("subresource", _ABSENT),
        )
        if not all(type(v) is str or v is _ABSENT for v in fields):
            return item, False
        # The held tree stands for itself by identity; an absent field differs from any string.
        return self._entries.setdefault((id(tree), *fields), item), True
