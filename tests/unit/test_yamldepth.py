"""Nesting depth is measured while constructing (``Loader.depth``), not by walking the loaded data:
the limit, the refusal and what is ignored must be exactly what the walk (``too_deep``) decides,
on every path (whole documents, aliases, Lists parsed a batch at a time, JSON)."""

from __future__ import annotations

import functools
import json

import pytest
import yaml

from auditor.sources import yamlload
from auditor.sources.yamldialect import Loader
from auditor.sources.yamlguard import MAX_DEPTH, too_deep
from auditor.sources.yamlload import load_documents
from auditor.sources.yamlsplit import split_list


def _nested(levels: int) -> str:
    """``levels`` maps and lists, alternating, innermost a scalar (flow style)."""
    text = "1"
    for level in range(levels):
        text = f"{{a: {text}}}" if level % 2 else f"[{text}, 2]"
    return text


def _depth(text: str) -> int:
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        assert node is not None
        loader.construct_document(node)
        return loader.depth
    finally:
        loader.dispose()


@pytest.mark.parametrize("levels", [0, 1, 2, 3, 17, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1])
def test_depth_counts_maps_and_lists_like_the_walk(levels: int) -> None:
    text = f"data: {_nested(levels)}\n"
    assert _depth(text) == levels + 1
    assert too_deep(yaml.load(text, Loader=Loader)) == (levels + 1 > MAX_DEPTH)


def test_depth_of_block_style_sets_merges_and_scalars() -> None:
    assert _depth("plain") == 0
    assert _depth("a:\n  b:\n    - c: {d: [1]}\n") == 6
    assert _depth("s: !!set {a, b}\n") == 2
    assert _depth("m:\n  <<: {x: {y: 1}}\n  z: 2\n") == 3  # the merged map's values move up


@pytest.mark.parametrize("style", ["yaml", "json"])
@pytest.mark.parametrize("levels", [MAX_DEPTH - 1, MAX_DEPTH])
def test_the_limit_is_exact(style: str, levels: int) -> None:
    """The object is level 1, the value of ``data`` levels 2 to ``levels + 1``."""
    data = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}
    data["data"] = yaml.load(_nested(levels), Loader=Loader)
    text = json.dumps(data) if style == "json" else yaml.safe_dump(data)
    docs, problems, _ = load_documents(text, path="m.yaml")
    refused = levels + 1 > MAX_DEPTH
    assert (len(docs), len(problems)) == ((0, 1) if refused else (1, 0))


def test_a_deep_document_that_is_not_an_object_is_ignored_not_refused() -> None:
    docs, problems, ignored = load_documents(f"a: {_nested(MAX_DEPTH + 3)}\n", path="m.yaml")
    assert (docs, problems, ignored) == ([], [], 1)


def test_an_alias_that_nests_a_subtree_deeper_is_refused() -> None:
    """Built once at a shallow place, the subtree is placed deeper by aliases: the rounds do not
    see that, so an aliased document is walked."""
    half = MAX_DEPTH // 2 + 2
    text = (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\nx: &x {_nested(half)}\n"
        f"data: {'[' * half}*x{']' * half}\n"
    )
    docs, problems, _ = load_documents(text, path="m.yaml")
    assert docs == [] and [p.check for p in problems] == ["PDA-SRC-002"]
    assert f"nested deeper than {MAX_DEPTH} levels" in problems[0].message


@pytest.mark.parametrize("levels", [MAX_DEPTH - 3, MAX_DEPTH - 2])
def test_a_list_parsed_in_batches_is_refused_like_the_whole_parse(
    levels: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = "".join(
        f"- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: c{i}}}\n  data: {{a: 1}}\n"
        for i in range(5)
    )
    items += f"- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: deep}}\n  data: {_nested(levels)}\n"
    text = f"apiVersion: v1\nitems:\n{items}kind: List\nmetadata: {{}}\n"
    monkeypatch.setattr(yamlload, "SPLIT_FROM", 10**12)
    whole = load_documents(text, path="l.yaml")
    monkeypatch.setattr(yamlload, "SPLIT_FROM", 0)
    monkeypatch.setattr(yamlload, "split_list", functools.partial(split_list, batch=2))
    split = load_documents(text, path="l.yaml")
    assert split == whole
    docs, problems, _ = whole
    # the item is level 3 (List, items); the value of its ``data`` levels 4 to ``levels + 3``
    assert [(p.check, p.line) for p in problems] == (
        [("PDA-SRC-002", 1)] if levels + 3 > MAX_DEPTH else []
    )
    assert len(docs) == (0 if problems else 6)


def test_a_repeated_key_is_refused_before_a_value_that_does_not_fit_its_tag() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nb: !!int nope\nb: 1\n"
    docs, problems, _ = load_documents(text, path="dup.yaml")
    assert docs == [] and len(problems) == 1
    assert "duplicate key 'b'" in problems[0].message and problems[0].line == 5


def test_a_value_that_does_not_fit_its_tag_without_a_repeated_key() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nb: !!int nope\nc: 1\n"
    _, problems, _ = load_documents(text, path="m.yaml")
    assert [p.message for p in problems] == [
        "m.yaml:1: invalid YAML: a value does not fit its tag (ValueError)"
    ]


def test_the_walk_finds_a_deep_branch_after_shallow_siblings() -> None:
    deep = yaml.load(_nested(MAX_DEPTH), Loader=Loader)  # in the list: MAX_DEPTH + 1 levels
    assert too_deep([{"a": [1, {"b": 2}]}] * 50 + [{"x": "y"}, deep])
    assert not too_deep([{"a": [1, {"b": 2}]}] * 50 + [deep["a"]])  # MAX_DEPTH levels
    assert not too_deep("scalar") and not too_deep(None) and not too_deep({})
