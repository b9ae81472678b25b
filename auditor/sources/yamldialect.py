"""kubectl's YAML dialect as a PyYAML loader (libyaml's C parser when available).

YAML 1.1 rules as kubectl applies them (``yes``/``no``/``on``/``off`` are booleans, ``0755`` is
octal), with two corrections toward kubectl's go-yaml: no base-60 numbers (``12:30`` stays a
string) and exponents without a dot or sign are floats (``1e3``). Results stay JSON-compatible the
way kubectl's YAML-to-JSON step makes them: timestamps and ``!!binary`` stay strings, mapping keys
become strings (``80`` -> ``"80"``, ``yes`` -> ``"true"``).
Duplicate keys are refused like sigs.k8s.io/yaml does, naming the line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from auditor.sources.yamlguard import MAX_DEPTH

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

__all__ = ["Loader"]


class Loader(_SafeLoader):
    """Safe YAML 1.1 loading with JSON-compatible results.

    ``aliased`` records whether the document just constructed reached a map or list node twice:
    that is exactly what an alias (or a merge key) does, so the expansion guard runs only then.
    (Looking for ``&`` in the text turned the guard on for every CRD, whose CEL rules contain
    ``&&``.) A scalar alias shares an immutable string, which cannot expand past the text's
    size: the direct walk builds it without setting ``aliased``.

    ``depth`` is how deep the document just constructed nests maps and lists (1: a mapping of
    scalars; 0: a scalar). The direct walk counts the levels it enters. PyYAML's construction
    fills one level per round: a map or list is created empty and filled in the next round, when
    its own maps and lists are created empty, so the rounds are the depth. Exact unless
    ``aliased``: an alias places a subtree built once at a second depth (the caller then walks
    the data).
    """

    aliased = False
    depth = 0

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self._plain_tags: dict[str, str] = {}

    def resolve(self, kind: type[Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        """The tag of a plain scalar depends on its text only: resolved once per text in this
        loader's stream (keys and most values repeat from object to object). The memo lives
        as long as the loader, so no scalar, a Secret's value say, is kept beyond the file."""
        if kind is ScalarNode:
            if implicit[0] and value is not None:
                tag: str | None = self._plain_tags.get(value)
                if tag is None:
                    tag = self._plain_tags[value] = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
                return tag
            return _STR_TAG  # quoted or block: what PyYAML's resolve returns without path resolvers
        if kind is MappingNode:
            return _MAP_TAG
        if kind is SequenceNode:
            return _SEQ_TAG
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call,no-any-return]  # pragma: no cover

    # libyaml's composer calls these two for every node; without path resolvers (we add none)
    # PyYAML's versions return at once, so C built-ins that ignore their arguments do the same
    # without a Python call: 1.3 million calls for the 13,000 Git objects of the benchmark.
    descend_resolver = staticmethod(slice)  # type: ignore[assignment]
    ascend_resolver = staticmethod(tuple)  # type: ignore[assignment]

    def construct_document(self, node: Node) -> Any:
        """The document's data; ``depth`` is how deep it nests (see the class).

        The common document (plain string keys, no alias, no merge key, no tag beyond the core
        scalar ones) is built by one direct walk over its nodes, at a third of the cost of
        PyYAML's construction machinery (1.3 µs a node: a constructor lookup, memo and
        generator per node). Anything else, and any error, is PyYAML's construction below,
        which gives the same data for the common document (a test holds them equal) and the
        exact error or alias handling for the rest."""
        deepest = [0]
        try:
            data = _build(node, 1, set(), self, deepest)
        except Exception:  # any surprise: PyYAML's construction decides
            pass
        else:
            self.depth = deepest[0]
            return data
        return self._construct_by_rounds(node)

    def _construct_by_rounds(self, node: Node) -> Any:
        """PyYAML's ``construct_document``, counting its rounds into ``depth``."""
        data = self.construct_object(node)
        depth = 0
        while self.state_generators:
            depth += 1
            generators, self.state_generators = self.state_generators, []
            for generator in generators:
                for _ in generator:
                    pass
        self.depth = depth
        self.constructed_objects = {}
        self.recursive_objects = {}
        self.deep_construct = False
        return data

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        if node in self.constructed_objects:
            self.aliased = True
            return self.constructed_objects[node]
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        pairs = node.value
        if all(k.tag == _STR_TAG and type(k) is ScalarNode for k, _ in pairs):
            # The common case, every key a plain string: a string key constructs to its text,
            # and there is no merge key to flatten, so only the values need constructing. A
            # repeated key shows as a shorter dict, so the keys are compared only then (or when
            # a value fails, whose error a repeated key before it takes precedence over).
            try:
                mapping = {k.value: self.construct_object(v, deep=deep) for k, v in pairs}
            except Exception:
                _refuse_duplicate_keys(node)
                raise
            if len(mapping) != len(pairs):
                _refuse_duplicate_keys(node)
            return mapping
        _refuse_duplicate_keys(node)
        mapping = super().construct_mapping(node, deep=deep)
        if all(type(k) is str for k in mapping):
            return mapping
        return {_key_text(k): v for k, v in mapping.items()}


_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_SCALAR_TAGS = tuple(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "binary", "timestamp")
)
"""The scalar tags the direct walk constructs (with the loader's own constructors)."""


class _Unusual(Exception):
    """The document needs PyYAML's construction: an alias, merge key, repeated key, non-string
    key, other tag, or nesting past MAX_DEPTH."""


def _build(
    node: Node,
    level: int,
    seen: set[int],
    loader: Loader,
    deepest: list[int],
) -> Any:
    """The data of ``node``, a map or list at nesting ``level`` (1 for the document's own),
    with the deepest level reached in ``deepest[0]``. Each map and list node is entered once:
    a second visit is an alias (``_Unusual``), so nothing is ever expanded here."""
    cls = node.__class__
    if cls is ScalarNode:
        tag = node.tag
        if tag == _STR_TAG:
            return node.value
        # A KeyError for any other tag: PyYAML's construction decides.
        return _SCALAR_CONSTRUCTORS[tag](loader, node)
    if level > MAX_DEPTH or id(node) in seen:
        raise _Unusual
    seen.add(id(node))
    if level > deepest[0]:
        deepest[0] = level
    below = level + 1
    if cls is MappingNode and node.tag == _MAP_TAG:
        pairs = node.value
        mapping = {}
        for key, value in pairs:
            if key.__class__ is not ScalarNode or key.tag != _STR_TAG:
                raise _Unusual
            mapping[key.value] = _build(value, below, seen, loader, deepest)
        if len(mapping) != len(pairs):
            raise _Unusual
        return mapping
    if cls is SequenceNode and node.tag == _SEQ_TAG:
        return [_build(item, below, seen, loader, deepest) for item in node.value]
    raise _Unusual


def _refuse_duplicate_keys(node: MappingNode) -> None:
    """kubectl (sigs.k8s.io/yaml) refuses a mapping that repeats a key; so do we, naming the line.

    Merge keys (``<<``) may be overridden, as YAML allows, so only written keys are compared.
    """
    seen: set[str] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
            continue
        if key_node.value in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key_node.value!r}",
                key_node.start_mark,
            )
        seen.add(key_node.value)


def _as_text(loader: Loader, node: ScalarNode) -> str:
    """Timestamps and ``!!binary`` stay the strings they are in JSON."""
    return loader.construct_scalar(node)


def _as_map(loader: Loader, node: MappingNode) -> Iterator[dict[Any, Any]]:
    """``!!set`` is a mapping with null values in JSON."""
    return loader.construct_yaml_map(node)


def _as_list(loader: Loader, node: SequenceNode) -> Iterator[list[Any]]:
    """``!!omap`` and ``!!pairs`` stay lists of single-key mappings."""
    return loader.construct_yaml_seq(node)


_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(
    _INT,
    re.compile(
        r"^(?:[-+]?0b_*[01][01_]*|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x_*[0-9a-fA-F][0-9a-fA-F_]*)$"
    ),
    list("-+0123456789"),
)
Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
Loader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)
Loader.add_constructor("tag:yaml.org,2002:binary", _as_text)
Loader.add_constructor("tag:yaml.org,2002:set", _as_map)
Loader.add_constructor("tag:yaml.org,2002:omap", _as_list)
Loader.add_constructor("tag:yaml.org,2002:pairs", _as_list)


def _key_text(key: object) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


_SCALAR_CONSTRUCTORS: dict[str, Callable[[Loader, Node], Any]] = {
    tag: Loader.yaml_constructors[tag] for tag in _SCALAR_TAGS
}
"""The loader's constructors of the scalar tags the direct walk builds, taken once (functions,
not bound methods: a loader holding its own bound methods is a cycle, which the audit's paused
collector would not free, and with it the file's text)."""
