"""apply_defaults, pruned_paths and the built-in table, checked against the real v1.6.1 CRDs."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor.keys import GroupKind
from auditor.model import Body
from auditor.normalize import (
    BUILTIN_KINDS,
    KindSchema,
    SchemaRegistry,
    apply_defaults,
    builtin_rules,
    prune,
    pruned_paths,
)
from auditor.normalize.schema import compile_schema

CRDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "crds" / "gateway-api" / "v1.6.1"
GW = "gateway.networking.k8s.io"
HTTPROUTE = GroupKind(GW, "HTTPRoute")
GATEWAY = GroupKind(GW, "Gateway")


@functools.cache
def crd_bodies(channel: str) -> tuple[Body, ...]:
    with (CRDS / f"{channel}.yaml").open() as f:
        docs = yaml.load_all(f, Loader=yaml.CSafeLoader)
        return tuple(d for d in docs if d and d.get("kind") == "CustomResourceDefinition")


@functools.cache
def registry(channel: str) -> SchemaRegistry:
    return SchemaRegistry.from_crds(crd_bodies(channel))


def custom(schema: dict[str, Any]) -> KindSchema:
    return KindSchema(
        group_kind=GroupKind("example.com", "Widget"), version="v1", root=compile_schema(schema)
    )


# --- the built-in table is GATEWAY_SEMANTICS §6, exactly -------------------------------------


def _walk(node: dict[str, Any], path: str, out: set[tuple[str, str, Any]]) -> None:
    if "default" in node:
        out.add(("default", path, yaml.safe_dump(node["default"], sort_keys=True)))
    list_type = node.get("x-kubernetes-list-type")
    if list_type == "map":
        out.add(("map", path, tuple(node["x-kubernetes-list-map-keys"])))
    elif list_type == "set":
        out.add(("set", path, None))
    if node.get("x-kubernetes-map-type") == "atomic":
        out.add(("atomic-map", path, None))
    if node.get("pattern") == "^([0-9]{1,5}(h|m|s|ms)){1,4}$":
        out.add(("duration", path, None))
    for name, child in (node.get("properties") or {}).items():
        _walk(child, f"{path}.{name}", out)
    if isinstance(node.get("items"), dict):
        _walk(node["items"], f"{path}[*]", out)


def crd_rules() -> dict[GroupKind, set[tuple[str, str, Any]]]:
    """Every spec default and list/map marker of every served version, in both channels."""
    out: dict[GroupKind, set[tuple[str, str, Any]]] = {}
    for channel in ("standard", "experimental"):
        for crd in crd_bodies(channel):
            gk = GroupKind(crd["spec"]["group"], crd["spec"]["names"]["kind"])
            for version in crd["spec"]["versions"]:
                spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
                _walk(spec, ".spec", out.setdefault(gk, set()))
    return out


def builtin_as_set(gk: GroupKind) -> set[tuple[str, str, Any]]:
    rules = builtin_rules(gk)
    assert rules is not None
    return {
        (what, path, yaml.safe_dump(value, sort_keys=True) if what == "default" else value)
        for what, path, value in rules
    }


def test_builtin_table_matches_every_crd_default_and_list_marker() -> None:
    from_crds = crd_rules()
    assert set(from_crds) <= BUILTIN_KINDS
    for gk, rules in from_crds.items():
        assert builtin_as_set(gk) == rules, gk


def test_builtin_table_has_the_section_6_examples() -> None:
    http = builtin_as_set(HTTPROUTE)
    assert ("default", ".spec.rules[*].backendRefs[*].weight", yaml.safe_dump(1)) in http
    assert ("map", ".spec.rules[*].matches[*].headers", ("name",)) in http
    assert ("map", ".spec.listeners", ("name",)) in builtin_as_set(GATEWAY)
    assert builtin_rules(GroupKind("", "Service")) is None


# --- apply_defaults ---------------------------------------------------------------------------


@pytest.fixture(params=["crd", "builtin"])
def schemas(request: pytest.FixtureRequest) -> SchemaRegistry:
    return registry("standard") if request.param == "crd" else SchemaRegistry.from_crds([])


def test_nested_defaults_through_items(schemas: SchemaRegistry) -> None:
    body = {
        "apiVersion": f"{GW}/v1",
        "kind": "Gateway",
        "spec": {
            "listeners": [
                {"name": "a", "port": 80, "protocol": "HTTP"},
                {"name": "b", "port": 81, "protocol": "HTTP", "allowedRoutes": {}},
                {"name": "c", "port": 82, "protocol": "HTTP", "allowedRoutes": {"namespaces": {}}},
                {
                    "name": "d",
                    "port": 443,
                    "protocol": "HTTPS",
                    "tls": {"certificateRefs": [{"name": "x"}]},
                },
            ],
            "allowedListeners": {},
        },
    }
    out = apply_defaults(body, schemas.for_kind(GATEWAY, "v1"))
    listeners = out["spec"]["listeners"]
    for listener in listeners:
        assert listener["allowedRoutes"] == {"namespaces": {"from": "Same"}}
    assert listeners[3]["tls"] == {
        "mode": "Terminate",
        "certificateRefs": [{"group": "", "kind": "Secret", "name": "x"}],
    }
    assert out["spec"]["allowedListeners"] == {"namespaces": {"from": "None"}}
    assert "addresses" not in out["spec"] and "tls" not in out["spec"]


def test_httproute_catch_all_defaults(schemas: SchemaRegistry) -> None:
    catch_all = {"path": {"type": "PathPrefix", "value": "/"}}
    schema = schemas.for_kind(HTTPROUTE, "v1")
    assert apply_defaults({"spec": {}}, schema)["spec"]["rules"] == [{"matches": [catch_all]}]
    assert apply_defaults({"spec": {"rules": [{}]}}, schema)["spec"]["rules"] == [
        {"matches": [catch_all]}
    ]
    only_headers = {"spec": {"rules": [{"matches": [{"headers": [{"name": "h", "value": "v"}]}]}]}}
    match = apply_defaults(only_headers, schema)["spec"]["rules"][0]["matches"][0]
    assert match == {
        "path": catch_all["path"],
        "headers": [{"name": "h", "value": "v", "type": "Exact"}],
    }
    assert apply_defaults({"spec": {"rules": []}}, schema)["spec"]["rules"] == []


def test_null_is_defaulted_unless_nullable() -> None:
    schema = custom(
        {
            "type": "object",
            "properties": {
                "a": {"type": "string", "default": "x"},
                "b": {"type": "string", "default": "y", "nullable": True},
                "m": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {"k": {"type": "integer", "default": 3}},
                    },
                },
            },
        }
    )
    out = apply_defaults({"a": None, "b": None, "m": {"one": {}, "two": {"k": 1}}}, schema)
    assert out == {"a": "x", "b": None, "m": {"one": {"k": 3}, "two": {"k": 1}}}


def test_apply_defaults_is_idempotent_and_pure(schemas: SchemaRegistry) -> None:
    body = {
        "apiVersion": f"{GW}/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r"},
        "spec": {
            "parentRefs": [{"name": "g"}],
            "rules": [{"backendRefs": [{"name": "s", "port": 80}]}],
        },
    }
    before = copy.deepcopy(body)
    once = apply_defaults(body, schemas.for_kind(HTTPROUTE))
    assert body == before
    assert apply_defaults(once, schemas.for_kind(HTTPROUTE)) == once
    assert once["spec"]["rules"][0]["backendRefs"][0] == {
        "group": "",
        "kind": "Service",
        "name": "s",
        "port": 80,
        "weight": 1,
    }
    once["spec"]["rules"][0]["matches"][0]["path"]["value"] = "/changed"
    assert (
        apply_defaults(body, schemas.for_kind(HTTPROUTE))["spec"]["rules"][0]["matches"][0]["path"][
            "value"
        ]
        == "/"
    )


def test_no_schema_is_a_copy() -> None:
    body = {"spec": {"a": [1, {"b": 2}]}}
    out = apply_defaults(body, None)
    assert out == body and out["spec"] is not body["spec"]


# --- pruned_paths ----------------------------------------------------------------------------

EXPERIMENTAL_ONLY = [
    (HTTPROUTE, {"rules": [{"retry": {"attempts": 2}}]}, ["spec.rules[0].retry"]),
    (
        HTTPROUTE,
        {"rules": [{"sessionPersistence": {"sessionName": "s"}}]},
        ["spec.rules[0].sessionPersistence"],
    ),
    (
        HTTPROUTE,
        {"rules": [{"filters": [{"type": "ExternalAuth", "externalAuth": {"protocol": "HTTP"}}]}]},
        ["spec.rules[0].filters[0].externalAuth"],
    ),
    (HTTPROUTE, {"useDefaultGateways": "All"}, ["spec.useDefaultGateways"]),
    (
        GroupKind(GW, "GRPCRoute"),
        {"rules": [{"sessionPersistence": {}}]},
        ["spec.rules[0].sessionPersistence"],
    ),
    (
        GATEWAY,
        {
            "defaultScope": "All",
            "listeners": [{"name": "https", "port": 443, "protocol": "HTTPS", "bogus": 1}],
        },
        ["spec.defaultScope", "spec.listeners[name=https].bogus"],
    ),
]


@pytest.mark.parametrize(("gk", "spec", "paths"), EXPERIMENTAL_ONLY)
def test_experimental_fields_are_pruned_by_the_standard_crd(
    gk: GroupKind, spec: Body, paths: list[str]
) -> None:
    body = {
        "apiVersion": f"{GW}/v1",
        "kind": gk.kind,
        "metadata": {"name": "x", "labels": {"a": "b"}},
        "spec": spec,
    }
    assert pruned_paths(body, registry("standard").for_kind(gk, "v1")) == paths
    experimental = [
        p
        for p in pruned_paths(body, registry("experimental").for_kind(gk, "v1"))
        if "bogus" not in p
    ]
    assert experimental == []
    assert pruned_paths(body, SchemaRegistry.from_crds([]).for_kind(gk)) == []
    assert pruned_paths(body, None) == []


def test_prune_respects_preserve_unknown_additional_properties_and_embedded() -> None:
    schema = custom(
        {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "free": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                            "properties": {"known": {"type": "object", "properties": {}}},
                        },
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "any": {"type": "object", "additionalProperties": True},
                        "template": {
                            "type": "object",
                            "x-kubernetes-embedded-resource": True,
                            "properties": {"spec": {"type": "object"}},
                        },
                        "tags": {
                            "type": "array",
                            "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                        },
                        "port": {"x-kubernetes-int-or-string": True},
                        "empty": {"type": "object"},
                    },
                }
            },
        }
    )
    body: Body = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "whatever": 1},
        "spec": {
            "free": {"x": 1, "known": {"gone": 1}},
            "labels": {"a/b": "c"},
            "any": {"z": [1]},
            "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {}, "spec": {}, "extra": 1},
            "tags": [{"name": "t", "colour": "red"}],
            "port": {"odd": True},
            "empty": {"x": 1},
            "unknown": 1,
        },
        "data": 1,
    }
    kept, dropped = prune(body, schema)
    assert [p for p, _ in dropped] == [
        ("spec", "free", "known", "gone"),
        ("spec", "template", "extra"),
        ("spec", "tags", 0, "colour"),
        ("spec", "empty", "x"),
        ("spec", "unknown"),
        ("data",),
    ]
    assert kept["metadata"] == {"name": "w", "whatever": 1}
    assert kept["spec"]["free"] == {"x": 1, "known": {}}
    assert kept["spec"]["port"] == {"odd": True}
    assert body["spec"]["unknown"] == 1  # input untouched


def test_defaulted_view_equals_apply_defaults_and_shares_what_needs_none(
    schemas: SchemaRegistry,
) -> None:
    """The read-only view is the same value, is the body itself once every default is there, and
    never changes its input."""
    from auditor.normalize import defaulted_view

    body = {
        "apiVersion": f"{GW}/v1",
        "kind": "Gateway",
        "metadata": {"name": "g", "labels": {"a": "b"}},
        "spec": {
            "gatewayClassName": "c",
            "listeners": [
                {"name": "a", "port": 80, "protocol": "HTTP", "hostname": None},
                {"name": "b", "port": 443, "protocol": "HTTPS", "tls": {"certificateRefs": []}},
            ],
        },
        "status": {"conditions": [{"type": "Accepted"}]},
    }
    schema = schemas.for_kind(GATEWAY, "v1")
    before = copy.deepcopy(body)
    view = defaulted_view(body, schema)
    assert view == apply_defaults(body, schema)
    assert body == before
    assert view["metadata"] is body["metadata"] and view["status"] is body["status"]
    full = apply_defaults(body, schema)
    assert defaulted_view(full, schema) is full
    assert defaulted_view(body, None) is body


def test_defaulted_view_equals_apply_defaults_on_every_scenario_object() -> None:
    """Over every object of the drift, gateway and mesh scenarios, both channels' schemas."""
    from auditor.normalize import defaulted_view

    testdata = Path(__file__).resolve().parent / "testdata"
    bodies = [
        doc
        for path in sorted(testdata.rglob("*.yaml"))
        for doc in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader)
        if isinstance(doc, dict)
    ]
    objects = [b for b in _objects(bodies) if "apiVersion" in b and "kind" in b]
    assert len(objects) > 500
    for channel in ("standard", "experimental"):
        schemas = registry(channel)
        for body in objects:
            gk = GroupKind.from_api_version(str(body["apiVersion"]), str(body["kind"]))
            schema = schemas.for_kind(gk, str(body["apiVersion"]).rpartition("/")[2])
            assert defaulted_view(body, schema) == apply_defaults(body, schema), body


def _objects(docs: list[Any]) -> list[dict[str, Any]]:
    """Every mapping with a ``kind`` nested anywhere in the scenario documents."""
    out: list[dict[str, Any]] = []
    stack = list(docs)
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if isinstance(value.get("kind"), str):
                out.append(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return out


def test_defaulted_views_memo_is_per_schema() -> None:
    """Drift defaults a live body under the Git object's version's schema and the live view under
    the body's own: the memo must give each its own result, in either order."""
    from auditor.normalize import DefaultedViews

    def version(default: int) -> KindSchema:
        spec = {"type": "object", "properties": {"port": {"type": "integer", "default": default}}}
        return custom({"type": "object", "properties": {"spec": spec}})

    old, new = version(80), version(8080)
    body: Body = {"spec": {}}
    views = DefaultedViews()
    assert views.of(body, old) == {"spec": {"port": 80}}
    assert views.of(body, new) == {"spec": {"port": 8080}}
    assert views.of(body, old) is views.of(body, old)  # still memoised
    assert views.of(body, None) is body
