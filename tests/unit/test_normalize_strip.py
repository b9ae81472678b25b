"""strip (C1–C4), Secret redaction, the schema registry and pairing."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest

from auditor.keys import GroupKind, key_of
from auditor.model import KubeObject
from auditor.normalize import NormalizeRules, SchemaRegistry, pair_objects, redact_secret, strip

GW = "gateway.networking.k8s.io"
HTTPROUTE = GroupKind(GW, "HTTPRoute")

LIVE: dict[str, Any] = {
    "apiVersion": f"{GW}/v1",
    "kind": "HTTPRoute",
    "metadata": {
        "name": "r",
        "namespace": "payments",
        "uid": "u",
        "resourceVersion": "1",
        "generation": 4,
        "creationTimestamp": "t",
        "deletionTimestamp": "t",
        "deletionGracePeriodSeconds": 30,
        "selfLink": "/x",
        "managedFields": [{"manager": "m"}],
        "ownerReferences": [{"uid": "o", "kind": "X", "name": "x", "apiVersion": "v1"}],
        "finalizers": ["f"],
        "labels": {
            "app": "r",
            "argocd.argoproj.io/instance": "a",
            "kustomize.toolkit.fluxcd.io/name": "k",
        },
        "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": "{}",
            "argocd.argoproj.io/tracking-id": "t",
        },
    },
    "spec": {"hostnames": ["a"]},
    "status": {"parents": []},
}


def test_strip_drops_server_and_tool_fields() -> None:
    before = copy.deepcopy(LIVE)
    out = strip(LIVE, rules=NormalizeRules())
    assert before == LIVE
    assert out == {
        "apiVersion": f"{GW}/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r", "namespace": "payments", "labels": {"app": "r"}},
        "spec": {"hostnames": ["a"]},
    }
    out["spec"]["hostnames"].append("b")
    assert LIVE["spec"]["hostnames"] == ["a"]


def test_strip_keeps_what_git_declares() -> None:
    declared = {
        "metadata": {
            "finalizers": ["f"],
            "ownerReferences": [],
            "labels": {"argocd.argoproj.io/instance": "a"},
            "annotations": {"argocd.argoproj.io/tracking-id": "t"},
        }
    }
    meta = strip(LIVE, rules=NormalizeRules(), declared=declared)["metadata"]
    assert meta["finalizers"] == ["f"]
    assert meta["ownerReferences"] == LIVE["metadata"]["ownerReferences"]
    assert meta["labels"] == {"app": "r", "argocd.argoproj.io/instance": "a"}
    assert meta["annotations"] == {"argocd.argoproj.io/tracking-id": "t"}


def test_strip_rules_and_patterns() -> None:
    rules = NormalizeRules(ignore_annotations=(), ignore_labels=("*.fluxcd.io/*", "app"))
    meta = strip(LIVE, rules=rules)["metadata"]
    assert meta["labels"] == {"argocd.argoproj.io/instance": "a"}
    assert set(meta["annotations"]) == set(LIVE["metadata"]["annotations"])


def test_strip_without_metadata_and_with_odd_maps() -> None:
    assert strip({"kind": "X", "status": {}}, rules=NormalizeRules()) == {"kind": "X"}
    odd = {"metadata": {"labels": None, "annotations": "nope"}}
    assert strip(odd, rules=NormalizeRules(), declared={"metadata": "bad"}) == {"metadata": {}}


def test_redact_secret() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"a": "aHVudGVyMg==", "b": "", "c": "not base64!"},
        "stringData": {"d": "hunter2"},
    }
    out = redact_secret(secret)
    assert "stringData" not in out
    assert set(out["data"]) == {"a", "c", "d"}
    assert out["data"]["a"] == out["data"]["d"]  # stringData equals the data it becomes
    assert "hunter2" not in repr(out) and "aHVudGVyMg" not in repr(out)
    assert secret["stringData"] == {"d": "hunter2"}
    assert "data" not in redact_secret({"kind": "Secret", "data": {"x": None}})


# --- registry ---------------------------------------------------------------------------------


def crd(kind: str, versions: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{kind.lower()}s.example.com"},
        "spec": {"group": "example.com", "names": {"kind": kind}, "versions": versions, **spec},
    }


def version(
    name: str, default: str, *, served: bool = True, storage: bool = False
) -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {"v": {"type": "string", "default": default}}}
        },
    }
    return {
        "name": name,
        "served": served,
        "storage": storage,
        "schema": {"openAPIV3Schema": schema},
    }


def test_registry_versions() -> None:
    widget = GroupKind("example.com", "Widget")
    registry = SchemaRegistry.from_crds(
        [
            crd(
                "Widget",
                [
                    version("v1", "one", storage=True),
                    version("v2", "two"),
                    version("v0", "zero", served=False),
                ],
            )
        ]
    )
    assert registry.has_crd(widget) and not registry.uses_builtin(widget)

    def default_of(v: str | None) -> Any:
        schema = registry.for_kind(widget, v)
        assert schema is not None and not schema.builtin
        return schema.root.properties["spec"].properties["v"].default

    assert default_of("v2") == "two"
    assert default_of(None) == "one"
    assert default_of("v0") == "one"  # not served: the storage version
    assert default_of("v9") == "one"
    assert registry.for_kind(widget, "v2") is registry.for_kind(widget, "v2")
    assert registry.for_kind(GroupKind("example.com", "Other")) is None


def test_registry_legacy_validation_and_no_storage() -> None:
    legacy = crd(
        "Old",
        [{"name": "v1beta1", "served": True}],
        validation={
            "openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object"}}}
        },
    )
    registry = SchemaRegistry.from_crds([legacy])
    schema = registry.for_kind(GroupKind("example.com", "Old"), "v9")
    assert schema is not None and schema.version == "v1beta1"


def test_registry_skips_unusable_crds(caplog: pytest.LogCaptureFixture) -> None:
    bad: list[Any] = [
        {"kind": "ConfigMap", "metadata": {"name": "cm"}},
        {
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "nameless"},
            "spec": {"group": "g"},
        },
        crd("Empty", [{"name": "v1"}, "junk"]),  # type: ignore[list-item]
        "not a dict",
        {"kind": "CustomResourceDefinition", "spec": {"group": "g", "names": "x", "versions": "y"}},
        {
            "kind": "CustomResourceDefinition",
            "spec": {
                "group": "g",
                "names": {"kind": "K"},
                "versions": [{"name": "v1", "schema": "s"}],
            },
        },
    ]
    with caplog.at_level(logging.WARNING, logger="auditor.normalize.schema"):
        registry = SchemaRegistry.from_crds(bad)
    assert not registry.has_crd(GroupKind("example.com", "Empty"))
    assert len(caplog.records) == 6


def test_registry_builtin_fallback() -> None:
    registry = SchemaRegistry.from_crds([])
    assert registry.uses_builtin(HTTPROUTE)
    schema = registry.for_kind(HTTPROUTE, "v1")
    assert schema is not None and schema.builtin and schema.version is None
    assert not registry.uses_builtin(GroupKind("", "Service"))
    assert registry.for_kind(GroupKind("", "Service")) is None
    secret = registry.for_kind(GroupKind("", "Secret"))  # static core defaults, not "built-in"
    assert secret is not None and secret.root.properties["type"].default == "Opaque"
    assert not registry.uses_builtin(GroupKind("", "Secret"))


# --- pairing ----------------------------------------------------------------------------------


def obj(api_version: str, name: str, ns: str = "payments") -> KubeObject:
    body = {
        "apiVersion": api_version,
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": ns},
    }
    return KubeObject(key=key_of(body), body=body)


def test_pairing_is_version_insensitive() -> None:
    git = [obj(f"{GW}/v1", "a"), obj(f"{GW}/v1", "b"), obj(f"{GW}/v1beta1", "a")]
    live = [obj(f"{GW}/v1beta1", "a"), obj(f"{GW}/v1", "c"), obj(f"{GW}/v1", "c")]
    pairing = pair_objects(git, live)
    assert [(p.desired.body["apiVersion"], p.live.body["apiVersion"]) for p in pairing.pairs] == [
        (f"{GW}/v1", f"{GW}/v1beta1")
    ]
    assert [o.key.name for o in pairing.git_only] == ["b"]
    assert [o.key.name for o in pairing.live_only] == ["c"]
