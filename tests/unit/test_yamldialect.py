"""The loader builds the common document by a direct walk over its nodes and leaves everything
else to PyYAML's construction (``Loader._construct_by_rounds``). Both must give the same data,
with the same types, and the same depth; what the walk does not handle must reach PyYAML's
construction, which decides errors, aliases, merge keys and tags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from auditor.sources.yamldialect import Loader
from auditor.sources.yamlguard import MAX_DEPTH
from tests.collector import cyclic_garbage

CRDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "crds" / "gateway-api" / "v1.6.1"

SCALARS = (
    "a: yes\nb: no\nc: on\nd: Off\ne: 0755\nf: 0x1F\ng: 1_000\nh: '0755'\ni: 2024-01-02\n"
    "j: 2024-01-02T03:04:05Z\nk: ~\nl: 1e3\nm: 1.5e3\nn: 12:30\no: '09'\np: .inf\nq: -.nan\n"
    "r: !!binary aGk=\ns: !!str 12\nt: !!int '7'\nu: !!float 1\nv: null\nw: ''\nx: |\n  block\n"
    "y: [1, 2.5, true, ~, '', {}]\nz: {}\n"
)


def _both(text: str) -> list[tuple[tuple[Any, int, bool], tuple[Any, int, bool]]]:
    """Per document: (data, depth, aliased) from the loader's path and from PyYAML's."""
    out = []
    for walk in (True, False):
        loader = Loader(text)
        try:
            docs = []
            while loader.check_node():
                node = loader.get_node()
                loader.aliased = False
                build = loader.construct_document if walk else loader._construct_by_rounds
                data = build(node)
                docs.append((data, loader.depth, loader.aliased))
            out.append(docs)
        finally:
            loader.dispose()
    return list(zip(out[0], out[1], strict=True))


def _typed(value: Any) -> Any:
    """The value with every scalar's type beside it (``1 == True == 1.0`` in Python)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    return (type(value).__name__, value)


def _assert_same(text: str) -> None:
    pairs = _both(text)
    assert pairs
    for walked, rounds in pairs:
        assert _typed(walked[0]) == _typed(rounds[0])
        assert walked[1:] == rounds[1:]


@pytest.mark.parametrize("bundle", ["standard.yaml", "experimental.yaml"])
def test_the_walk_builds_the_real_crd_bundles_like_pyyaml(bundle: str) -> None:
    _assert_same((CRDS / bundle).read_text())


def test_the_walk_builds_yaml_1_1_scalars_and_nesting_like_pyyaml() -> None:
    _assert_same(SCALARS)
    _assert_same("plain\n---\n- a\n- [b, {c: [d]}]\n---\n{}\n---\n[]\n---\n")
    nested = "1"
    for level in range(MAX_DEPTH + 2):
        nested = f"{{a: {nested}}}" if level % 2 else f"[{nested}]"
        _assert_same(f"data: {nested}\n")


@pytest.mark.parametrize(
    "text",
    [
        "base: &b {x: 1}\nuse: *b\n",  # alias: the walk would expand it
        "m:\n  <<: {x: 1}\n  z: 2\n",  # merge key
        "s: !!set {a, b}\n",  # a set is a map of nulls
        "o: !!omap [{a: 1}, {b: 2}]\n",
        "m: {80: a, yes: b, ~: c}\n",  # keys that are not strings
    ],
)
def test_what_the_walk_leaves_to_pyyaml_loads_as_before(text: str) -> None:
    _assert_same(text)


def test_an_alias_reaches_pyyaml_which_notes_it() -> None:
    [(walked, _)] = _both("base: &b {x: [1]}\nuse: *b\n")
    data, _, aliased = walked
    assert aliased and data == {"base": {"x": [1]}, "use": {"x": [1]}}
    [(walked, _)] = _both("r: &r [*r]\n")  # recursive: the walk stops at the second visit
    data, _, aliased = walked
    assert aliased and data["r"][0] is data["r"]


def test_a_scalar_alias_is_built_by_the_walk_without_the_guard() -> None:
    """A scalar alias shares an immutable string: it cannot expand past the text's size, so the
    walk builds it and the expansion guard (``aliased``) is not needed."""
    [(walked, rounds)] = _both("a: &s text\nb: *s\n")
    assert walked == ({"a": "text", "b": "text"}, 1, False)
    assert rounds[:2] == walked[:2]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("a: 1\na: 2\n", "found duplicate key 'a'"),
        ("a: !!int hunter2\n", "invalid literal"),
        ("a: !custom x\n", "could not determine a constructor"),
    ],
)
def test_errors_are_pyyamls(text: str, error: str) -> None:
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        assert node is not None
        with pytest.raises((yaml.YAMLError, ValueError), match=error):
            loader.construct_document(node)
    finally:
        loader.dispose()


def test_documents_of_a_generated_fleet_are_built_like_pyyaml() -> None:
    """Objects shaped like the benchmark fleet's: routes, grants, policies, status, managedFields."""
    objects = [
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": f"r{i}", "namespace": "team", "labels": {"app": f"a{i}"}},
            "spec": {
                "parentRefs": [{"name": "gw", "namespace": "infra", "sectionName": "https"}],
                "hostnames": [f"h{i}.example.com", "*.example.com"],
                "rules": [
                    {
                        "matches": [{"path": {"type": "PathPrefix", "value": f"/{i}"}}],
                        "backendRefs": [{"name": f"svc{i}", "port": 8080 + i, "weight": 1}],
                        "timeouts": {"request": "10s"},
                    }
                ],
            },
            "status": {"parents": [{"conditions": [{"status": "True", "observedGeneration": i}]}]},
        }
        for i in range(20)
    ]
    _assert_same(yaml.safe_dump_all(objects) + "---\n" + json.dumps(objects[0]) + "\n")


def test_loading_leaves_no_loader_for_the_cyclic_collector() -> None:
    """The audit pauses the collector: a loader caught in a cycle (say, holding its own bound
    methods) would keep every file's text and parser until the audit ends."""
    from auditor.sources.yamlload import load_documents

    text = SCALARS + "---\n" + "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"

    def load() -> None:
        for _ in range(3):
            load_documents(text, path="m.yaml")
            load_documents("base: &b {x: 1}\nuse: *b\n", path="a.yaml")  # PyYAML's construction

    assert cyclic_garbage(load, Loader) == []


@pytest.mark.parametrize(
    ("kind", "value", "implicit"),
    [
        (ScalarNode, "yes", (True, False)),
        (ScalarNode, "0755", (True, False)),
        (ScalarNode, "", (True, False)),
        (ScalarNode, "yes", (False, True)),  # quoted
        (ScalarNode, "text\n", (False, False)),  # block
        (MappingNode, None, True),
        (MappingNode, None, False),
        (SequenceNode, None, True),
    ],
)
def test_resolve_gives_pyyamls_tags(kind: type, value: str | None, implicit: Any) -> None:
    """The shortcuts for quoted scalars, maps and lists return what PyYAML's resolve does
    (the loader adds no path resolvers)."""
    loader = Loader("")
    try:
        assert not Loader.yaml_path_resolvers
        expected = BaseResolver.resolve(loader, kind, value, implicit)
        assert loader.resolve(kind, value, implicit) == expected
        assert loader.resolve(kind, value, implicit) == expected  # memoised
    finally:
        loader.dispose()
