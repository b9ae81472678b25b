"""The schema-aware drift walker against an independent oracle, deepdiff, on schema-less JSON
(``x-kubernetes-preserve-unknown-fields`` subtrees): both must agree on *whether* two trees
differ and, for trees of maps and scalars, on *which* leaf paths differ.

The walker is what production uses (it knows list-map keys, defaults and value equivalences,
and costs microseconds where deepdiff costs milliseconds: research/ecosystem.md §3); deepdiff
keeps it honest here.
"""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.drift_diff import diff_essences
from auditor.normalize import SchemaNode

ROOT = SchemaNode(type="object", allow_unknown=True)

# Integers avoid 0 and 1: deepdiff (like Python's ``==``) conflates them with False and True
# inside lists, which the walker rightly does not (test_normalize_values covers that case).
scalars = st.one_of(st.integers(2, 9), st.sampled_from(["a", "b", "c"]), st.booleans())
keys = st.sampled_from(["x", "y", "z", "w"])
maps_only = st.recursive(
    scalars, lambda inner: st.dictionaries(keys, inner, min_size=1, max_size=3), max_leaves=12
)
json_trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.dictionaries(keys, inner, min_size=1, max_size=3),
        st.lists(inner, min_size=1, max_size=3),
    ),
    max_leaves=12,
)


def walker_paths(a: Any, b: Any) -> set[tuple[str | int, ...]]:
    return {c.path for c in diff_essences({"spec": a}, {"spec": b}, ROOT)}


def oracle(a: Any, b: Any) -> DeepDiff:
    return DeepDiff({"spec": a}, {"spec": b}, threshold_to_diff_deeper=0)


@settings(max_examples=200, deadline=None)
@given(json_trees, json_trees)
def test_walker_and_deepdiff_agree_on_whether_trees_differ(a: Any, b: Any) -> None:
    assert bool(walker_paths(a, b)) == bool(oracle(a, b))


@settings(max_examples=200, deadline=None)
@given(maps_only, maps_only)
def test_walker_and_deepdiff_agree_on_changed_paths_of_maps(a: Any, b: Any) -> None:
    expected = {
        tuple(level.path(output_format="list"))
        for level in oracle(a, b).tree.values()
        for level in level
    }
    assert walker_paths(a, b) == expected


def test_identical_trees_short_circuit() -> None:
    tree = {"x": [{"y": 1}, {"z": ["a", "b"]}]}
    assert walker_paths(tree, tree) == set()
    assert not oracle(tree, tree)
