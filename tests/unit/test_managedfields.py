"""managedFields shared between live objects as they are read: the same data, held once."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.drift_owners import Ownership
from auditor.model import Body
from auditor.normalize import Keyed
from auditor.sources.managedfields import SharedFields
from auditor.sources.snapshot import load_snapshot

ROUTE_FIELDS = {"f:spec": {"f:parentRefs": {}, "f:rules": {}}, "f:metadata": {"f:labels": {}}}


def entry(manager: str, time: str, fields: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "manager": manager,
        "operation": "Apply",
        "apiVersion": "gateway.networking.k8s.io/v1",
        "time": time,
        "fieldsType": "FieldsV1",
        "fieldsV1": copy.deepcopy(ROUTE_FIELDS if fields is None else fields),
        **extra,
    }


def body(name: str, *entries: Any) -> Body:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": "shop", "managedFields": list(entries)},
    }


def managed(obj: Body) -> Any:
    return obj["metadata"]["managedFields"]


def as_json(value: Any) -> str:
    """Exact JSON data: 1, 1.0 and true differ; order kept."""
    return json.dumps(value)


def test_equal_trees_entries_and_lists_are_held_once() -> None:
    shared = SharedFields()
    a = shared.compact(body("a", entry("argocd", "2026-11-01T00:00:00Z")))
    b = shared.compact(body("b", entry("argocd", "2026-11-01T00:00:00Z")))
    c = shared.compact(body("c", entry("argocd", "2026-11-02T09:00:00Z")))
    assert managed(a) is managed(b)  # same entries, same list
    assert managed(c) is not managed(a)  # another time: its own entry...
    assert managed(c)[0]["fieldsV1"] is managed(a)[0]["fieldsV1"]  # ...but the same tree
    assert managed(c)[0]["time"] == "2026-11-02T09:00:00Z"


def test_the_data_is_unchanged() -> None:
    entries = [
        entry("argocd", "t1"),
        entry("istiod", "t2", {"f:status": {".": {}}}, subresource="status"),
    ]
    original = copy.deepcopy(body("a", *entries))
    shared = SharedFields()
    shared.compact(body("other", entry("argocd", "t1")))
    assert as_json(shared.compact(copy.deepcopy(original))) == as_json(original)


def test_values_that_python_calls_equal_are_kept_apart() -> None:
    shared = SharedFields()
    trees = [
        {"f:x": 1},
        {"f:x": True},
        {"f:x": 1.0},
        {"f:x": "1"},
        {"f:y": {}, "f:x": {}},
        {"f:x": {}, "f:y": {}},
    ]
    out = [shared.compact(body(f"r{i}", entry("m", "t", tree))) for i, tree in enumerate(trees)]
    assert [as_json(managed(o)[0]["fieldsV1"]) for o in out] == [as_json(t) for t in trees]
    absent, null = entry("m", "t"), entry("m", "t")
    del absent["apiVersion"]
    null["apiVersion"] = None
    times = [entry("m", 1), entry("m", True)]  # not strings: never shared
    got = [shared.compact(body(f"s{i}", e)) for i, e in enumerate([absent, null, *times])]
    assert "apiVersion" not in managed(got[0])[0]
    assert managed(got[1])[0]["apiVersion"] is None
    assert [managed(g)[0]["time"] for g in got[2:]] == [1, True]
    assert type(managed(got[3])[0]["time"]) is bool


def test_a_tree_value_equal_to_a_held_tree_identity_is_not_taken_for_it() -> None:
    shared = SharedFields()
    first = shared.compact(body("a", entry("m", "t")))
    tree_id = id(managed(first)[0]["fieldsV1"])
    odd = shared.compact(body("b", entry("m", "t", tree_id)))
    assert managed(odd)[0]["fieldsV1"] == tree_id


def test_unexpected_shapes_are_kept_as_they_are() -> None:
    shared = SharedFields()
    odd_entries: list[Any] = [
        "not a map",
        entry("m", "t", extra_field="x"),
        entry("m", "t", ["f:spec"]),
        {**entry("m", "t"), "manager": ["a", "list"]},
    ]
    for i, odd in enumerate(odd_entries):
        original = copy.deepcopy(odd)
        out = shared.compact(body(f"o{i}", odd))
        assert as_json(managed(out)) == as_json([original])
    for meta in (
        {"name": "x"},
        {"name": "x", "managedFields": "text"},
        {"name": "x", "managedFields": []},
    ):
        obj: Body = {"kind": "Thing", "metadata": copy.deepcopy(meta)}
        assert shared.compact(obj) == {"kind": "Thing", "metadata": meta}
    assert shared.compact({"kind": "NoMetadata"}) == {"kind": "NoMetadata"}


def test_a_tree_nested_past_what_repr_walks_is_kept() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(100_000):
        node["f:x"] = {}
        node = node["f:x"]
    out = SharedFields().compact(body("deep", entry("m", "t", {})))
    assert managed(out)[0]["fieldsV1"] == {}
    obj = body("deep", {**entry("m", "t"), "fieldsV1": deep})
    assert managed(SharedFields().compact(obj))[0]["fieldsV1"] is deep


def test_an_unshared_entry_keeps_its_list_unshared() -> None:
    shared = SharedFields()
    one = shared.compact(body("a", entry("m", "t"), "odd"))
    two = shared.compact(body("b", entry("m", "t"), "odd"))
    assert managed(one) is not managed(two)
    assert managed(one)[0] is managed(two)[0]


def test_drift_attribution_reads_the_same_owners() -> None:
    entries = [
        entry("argocd", "2026-11-01T00:00:00Z"),
        entry("kubectl-edit", "2026-11-03T00:00:00Z", {"f:spec": {"f:rules": {}}}),
        entry("gw", "2026-11-02T00:00:00Z", {"f:status": {"f:parents": {}}}, subresource="status"),
    ]
    original = body("a", *entries)
    shared = SharedFields()
    shared.compact(body("warm", *copy.deepcopy(entries[:1])))
    compacted = shared.compact(copy.deepcopy(original))
    paths = [
        ("spec", "rules", 0),
        ("spec", "parentRefs"),
        ("status", "parents"),
        ("metadata", "labels", "x"),
    ]
    for path in paths:
        assert Ownership.of(compacted).owner_of(path) == Ownership.of(original).owner_of(path)


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2), st.floats(-2, 2), st.text(max_size=3)
)
_trees = st.recursive(
    st.dictionaries(
        st.sampled_from(["f:a", "f:b", ".", 'k:{"name":"x"}']), st.just({}), max_size=3
    ),
    lambda inner: st.dictionaries(st.sampled_from(["f:spec", "f:a", "i:0"]), inner, max_size=3),
    max_leaves=8,
)
_entries = st.one_of(
    st.builds(
        entry,
        st.sampled_from(["argocd", "kubectl"]),
        st.sampled_from(["t1", "t2"]),
        _trees,
    ),
    st.dictionaries(
        st.sampled_from(["manager", "time", "fieldsV1", "x"]), st.one_of(_scalars, _trees)
    ),
    _scalars,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_entries, max_size=3), min_size=1, max_size=6))
def test_any_managed_fields_read_back_exactly(objects: list[list[Any]]) -> None:
    """Whatever the read holds, every object's managedFields are its own data, exactly, after
    the whole read is compacted, and attribution answers the same."""
    originals = [copy.deepcopy(body(f"r{i}", *entries)) for i, entries in enumerate(objects)]
    shared = SharedFields()
    compacted = [shared.compact(copy.deepcopy(o)) for o in originals]
    for before, after in zip(originals, compacted, strict=True):
        assert as_json(after) == as_json(before)
        for path in [("spec",), ("spec", "a"), ("a",), ("spec", 0), ("x", Keyed((("name", "x"),)))]:
            assert Ownership.of(after).owner_of(path) == Ownership.of(before).owner_of(path)


def test_a_snapshot_holds_each_distinct_tree_once(tmp_path: Path) -> None:
    items = [body(f"r{i}", entry("argocd", f"2026-11-0{i % 3 + 1}T00:00:00Z")) for i in range(6)]
    path = tmp_path / "live.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    state = load_snapshot(path, cluster="prod")
    routes = [o for o in state.objects if o["kind"] == "HTTPRoute"]
    assert [as_json(o) for o in routes] == [as_json(i) for i in items]
    assert len({id(managed(o)[0]["fieldsV1"]) for o in routes}) == 1
    assert len({id(managed(o)) for o in routes}) == 3  # one list per distinct time
