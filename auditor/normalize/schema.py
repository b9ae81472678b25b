"""Structural schemas: compiled from CRD ``openAPIV3Schema`` (or the built-in Gateway API table).

A :class:`SchemaNode` keeps what normalization needs from one schema node: properties, items,
additionalProperties, ``default``, ``nullable``, ``x-kubernetes-preserve-unknown-fields``, the list
and map type markers, and whether a string is a quantity or a GEP-2257 duration.
:class:`SchemaRegistry` maps kinds to :class:`KindSchema` per served version, compiling lazily.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.keys import GroupKind
from auditor.model import Body
from auditor.normalize.defaults_builtin import BUILTIN_KINDS, builtin_openapi
from auditor.normalize.paths import Keyed

logger = logging.getLogger(__name__)

_NO_DEFAULT = object()
DURATION_PATTERN = "^([0-9]{1,5}(h|m|s|ms)){1,4}$"
_QUANTITY_PATTERN_PREFIX = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
PLAIN_STRING = "x-auditor-plain-string"
"""Extension marker for strings compared literally (label and annotation values)."""


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SchemaNode:
    """One compiled node of a structural schema."""

    type: str | None = None
    properties: Mapping[str, SchemaNode] = field(default_factory=dict)
    items: SchemaNode | None = None
    additional: SchemaNode | None = None
    allow_unknown: bool = False  # preserve-unknown-fields or additionalProperties: true
    embedded: bool = False
    default: Any = _NO_DEFAULT
    nullable: bool = False
    list_type: str | None = None
    list_map_keys: tuple[str, ...] = ()
    map_type: str | None = None
    quantity: bool = False
    duration: bool = False
    plain_string: bool = False
    defaults_below: bool = False  # this node or a descendant has a default
    defaulting: Mapping[str, SchemaNode] = field(init=False, repr=False)
    """The properties with ``defaults_below``, in order: all that defaulting has to visit."""

    def __post_init__(self) -> None:
        defaulting = {k: n for k, n in self.properties.items() if n.defaults_below}
        object.__setattr__(self, "defaulting", defaulting)

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT

    def child(self, key: str) -> SchemaNode | None:
        """The schema of field ``key`` of an object of this node (None: unknown, no schema)."""
        found = self.properties.get(key)
        return found if found is not None else self.additional

    def knows(self, key: str) -> bool:
        """False when the API server would prune field ``key`` from an object of this node."""
        return key in self.properties or self.additional is not None or self.allow_unknown

    def item_key(self, element: Any) -> Keyed | None:
        """The list-map key of ``element`` (key fields defaulted), or None when it has none."""
        if self.list_type != "map" or not self.list_map_keys or not isinstance(element, dict):
            return None
        item = self.items
        values: list[tuple[str, Any]] = []
        for name in self.list_map_keys:
            value = element.get(name)
            prop = item.properties.get(name) if item else None
            if value is None and prop is not None and prop.has_default:
                value = prop.default
            values.append((name, value))
        return Keyed(tuple(values))


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class KindSchema:
    """The schema of one kind at one version. ``builtin`` when it came from the fallback table."""

    group_kind: GroupKind
    version: str | None
    root: SchemaNode
    builtin: bool = False


def compile_schema(raw: Mapping[str, Any]) -> SchemaNode:
    """Compile one ``openAPIV3Schema`` node (recursively)."""
    props = raw.get("properties")
    items = raw.get("items")
    extra = raw.get("additionalProperties")
    pattern = str(raw.get("pattern", ""))
    properties = {k: compile_schema(v) for k, v in props.items()} if isinstance(props, dict) else {}
    item_node = compile_schema(items) if isinstance(items, dict) else None
    extra_node = compile_schema(extra) if isinstance(extra, dict) else None
    children = [*properties.values(), item_node, extra_node]
    return SchemaNode(
        type=raw.get("type"),
        properties=properties,
        items=item_node,
        additional=extra_node,
        allow_unknown=bool(raw.get("x-kubernetes-preserve-unknown-fields")) or extra is True,
        embedded=bool(raw.get("x-kubernetes-embedded-resource")),
        default=raw.get("default", _NO_DEFAULT),
        nullable=bool(raw.get("nullable")),
        list_type=raw.get("x-kubernetes-list-type"),
        list_map_keys=tuple(raw.get("x-kubernetes-list-map-keys") or ()),
        map_type=raw.get("x-kubernetes-map-type"),
        quantity=pattern.startswith(_QUANTITY_PATTERN_PREFIX),
        duration=pattern == DURATION_PATTERN,
        plain_string=bool(raw.get(PLAIN_STRING)),
        defaults_below="default" in raw
        or any(c is not None and c.defaults_below for c in children),
    )


def _string_map() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": {"type": "string", PLAIN_STRING: True}}


METADATA_NODE = compile_schema(
    {
        "type": "object",
        "properties": {
            "labels": _string_map(),
            "annotations": _string_map(),
            "finalizers": {
                "type": "array",
                "x-kubernetes-list-type": "set",
                "items": {"type": "string"},
            },
            "ownerReferences": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["uid"],
                "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        },
        "x-kubernetes-preserve-unknown-fields": True,
    }
)
"""What the comparison knows about ``metadata`` (a CRD schema says only ``type: object``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Crd:
    group_kind: GroupKind
    schemas: Mapping[str, Mapping[str, Any]]  # version name -> openAPIV3Schema
    served: tuple[str, ...]
    storage: str | None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _parse_crd(body: Body) -> _Crd | None:
    spec = _mapping(body.get("spec"))
    kind, group = _mapping(spec.get("names")).get("kind"), spec.get("group")
    if (
        body.get("kind") != "CustomResourceDefinition"
        or not isinstance(kind, str)
        or not isinstance(group, str)
    ):
        return None
    legacy = _mapping(spec.get("validation")).get("openAPIV3Schema")
    schemas: dict[str, Mapping[str, Any]] = {}
    served: list[str] = []
    storage = None
    versions = spec.get("versions")
    for version in versions if isinstance(versions, list) else []:
        name = _mapping(version).get("name")
        if not isinstance(name, str):
            continue
        raw = _mapping(version.get("schema")).get("openAPIV3Schema") or legacy
        if isinstance(raw, dict):
            schemas[name] = raw
        if version.get("served", True):
            served.append(name)
        if version.get("storage"):
            storage = name
    if not schemas:
        return None
    return _Crd(
        group_kind=GroupKind(group, kind), schemas=schemas, served=tuple(served), storage=storage
    )


def _pick_version(crd: _Crd, version: str | None) -> str:
    if version is not None and version in crd.served and version in crd.schemas:
        return version
    if crd.storage is not None and crd.storage in crd.schemas:
        return crd.storage
    return next(iter(crd.schemas))


class SchemaRegistry:
    """Kinds to schemas: the CRDs given, else the built-in Gateway API table, else nothing."""

    __slots__ = ("_cache", "_crds")

    def __init__(self, *, crds: Mapping[GroupKind, _Crd]) -> None:
        self._crds = dict(crds)
        self._cache: dict[tuple[GroupKind, str | None], KindSchema | None] = {}

    @classmethod
    def from_crds(cls, crds: Iterable[Body]) -> SchemaRegistry:
        """A registry of the given CRD bodies; bodies that are not usable CRDs are logged and skipped."""
        parsed: dict[GroupKind, _Crd] = {}
        for body in crds:
            crd = _parse_crd(body) if isinstance(body, dict) else None
            if crd is None:
                name = (body.get("metadata") or {}).get("name") if isinstance(body, dict) else None
                logger.warning(
                    "ignoring CRD %s: no usable schema",
                    name,
                    extra={"action": "schema-crd", "resource": str(name)},
                )
                continue
            parsed[crd.group_kind] = crd
        return cls(crds=parsed)

    def has_crd(self, gk: GroupKind) -> bool:
        return gk in self._crds

    def for_kind(self, gk: GroupKind, version: str | None = None) -> KindSchema | None:
        """The CRD schema of ``gk`` at ``version`` (storage version when not served), else the
        built-in Gateway API schema, else None."""
        crd = self._crds.get(gk)
        chosen = _pick_version(crd, version) if crd is not None else None
        key = (gk, chosen)
        if key not in self._cache:
            self._cache[key] = self._compile(gk, crd, chosen)
        return self._cache[key]

    def uses_builtin(self, gk: GroupKind) -> bool:
        """True when ``gk`` is a Gateway API kind with no CRD here, so the built-in table is used."""
        return gk not in self._crds and gk in BUILTIN_KINDS

    @staticmethod
    def _compile(gk: GroupKind, crd: _Crd | None, version: str | None) -> KindSchema | None:
        if crd is not None and version is not None:
            root = compile_schema(crd.schemas[version])
            return KindSchema(group_kind=gk, version=version, root=root)
        raw = builtin_openapi(gk)
        if raw is None:
            return None
        return KindSchema(group_kind=gk, version=None, root=compile_schema(raw), builtin=True)
