"""check_drift beyond the golden cases: DR-001/002 rules, Secrets, ignore rules, attribution,
list semantics and schema corner cases."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor.checks.drift import DriftSettings, IgnoreRule, check_drift
from auditor.checks.drift_owners import Ownership
from auditor.keys import GroupKind, key_of
from auditor.model import Body, ChangeOp, Finding, KubeObject, Origin, Severity, View
from auditor.normalize import Keyed, PathSyntaxError, SchemaRegistry

CRDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "crds" / "gateway-api" / "v1.6.1"
GW = "gateway.networking.k8s.io"
T1, T2, T3 = "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z"


@functools.cache
def standard() -> SchemaRegistry:
    with (CRDS / "standard.yaml").open() as f:
        docs = [
            d
            for d in yaml.load_all(f, Loader=yaml.CSafeLoader)
            if d and d.get("kind") == "CustomResourceDefinition"
        ]
    return SchemaRegistry.from_crds(docs)


def git(body: Body) -> KubeObject:
    return KubeObject(
        key=key_of(body),
        body=body,
        origin=Origin(repository="gitops", commit="c", path="apps/x.yaml", line=3),
    )


def live(body: Body) -> KubeObject:
    return KubeObject(key=key_of(body), body=body)


def make(
    kind: str,
    name: str,
    spec: Any = None,
    *,
    api: str = f"{GW}/v1",
    ns: str = "payments",
    **meta: Any,
) -> Body:
    body: Body = {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": name, "namespace": ns, **meta},
    }
    if spec is not None:
        body["spec"] = spec
    return body


def run(
    desired: list[Body],
    current: list[Body],
    *,
    observed: set[GroupKind] | None = None,
    schemas: SchemaRegistry | None = None,
    settings: DriftSettings | None = None,
) -> list[Finding]:
    wanted, actual = [git(b) for b in desired], [live(b) for b in current]
    return check_drift(
        cluster="prod",
        desired=wanted,
        live=actual,
        observed=frozenset(
            observed if observed is not None else {o.key.group_kind for o in (*wanted, *actual)}
        ),
        schemas=schemas or standard(),
        settings=settings or DriftSettings(),
    )


# --- DR-001 ------------------------------------------------------------------------------------


def test_missing_live_object() -> None:
    [found] = run([make("HTTPRoute", "r", {})], [])
    assert (found.check, found.severity, found.view, found.team) == (
        "PDA-DR-001",
        Severity.MEDIUM,
        View.LIVE,
        None,
    )
    assert found.origin is not None and found.origin.path == "apps/x.yaml"
    assert (
        found.message
        == "HTTPRoute payments/r is declared in Git (apps/x.yaml) but does not exist in cluster prod"
    )


def test_missing_is_suppressed_for_unobserved_kinds() -> None:
    assert run([make("HTTPRoute", "r", {})], [], observed=set()) == []
    assert run([make("ReferenceGrant", "g", {})], [], observed={GroupKind(GW, "HTTPRoute")}) == []


@pytest.mark.parametrize(
    "gk",
    [
        GroupKind(GW, "ReferenceGrant"),
        GroupKind("security.istio.io", "AuthorizationPolicy"),
        GroupKind("security.istio.io", "PeerAuthentication"),
        GroupKind("networking.k8s.io", "NetworkPolicy"),
        GroupKind("cilium.io", "CiliumNetworkPolicy"),
    ],
)
def test_missing_security_policies_are_high(gk: GroupKind) -> None:
    api = f"{gk.group}/v1"
    [found] = run([make(gk.kind, "p", {}, api=api)], [])
    assert found.severity == Severity.HIGH


def test_missing_without_origin() -> None:
    body = make("HTTPRoute", "r", {})
    [found] = check_drift(
        cluster="prod",
        desired=[KubeObject(key=key_of(body), body=body)],
        live=[],
        observed=frozenset({GroupKind(GW, "HTTPRoute")}),
        schemas=standard(),
        settings=DriftSettings(),
    )
    assert (
        found.message
        == "HTTPRoute payments/r is declared in Git but does not exist in cluster prod"
    )


# --- DR-002 ------------------------------------------------------------------------------------


def test_undeclared_only_for_policy_kinds() -> None:
    others = [
        make("Service", "s", {}, api="v1"),
        make("Secret", "s", None, api="v1"),
        make("Namespace", "payments", None, api="v1", ns=""),
        make("CustomResourceDefinition", "x", {}, api="apiextensions.k8s.io/v1", ns=""),
    ]
    assert run([], others) == []
    [found] = run([], [make("HTTPRoute", "debug", {"parentRefs": [{"name": "gw"}]})])
    assert (found.check, found.severity, found.origin) == ("PDA-DR-002", Severity.MEDIUM, None)
    assert (
        found.message
        == "HTTPRoute payments/debug exists in cluster prod but is not declared in Git"
    )


@pytest.mark.parametrize(
    ("body", "severity"),
    [
        (make("ReferenceGrant", "g", {}), Severity.HIGH),
        (make("AuthorizationPolicy", "ap", {}, api="security.istio.io/v1"), Severity.HIGH),
        (make("PeerAuthentication", "pa", {}, api="security.istio.io/v1"), Severity.HIGH),
        (make("CiliumClusterwideNetworkPolicy", "c", {}, api="cilium.io/v2", ns=""), Severity.HIGH),
        (make("NetworkPolicy", "np", {}, api="networking.k8s.io/v1"), Severity.MEDIUM),
        (
            make("HTTPRoute", "r", {"parentRefs": [{"name": "gw", "namespace": "infra"}]}),
            Severity.HIGH,
        ),
        (
            make(
                "TCPRoute",
                "r",
                {"parentRefs": [{"name": "ls", "namespace": "infra", "kind": "ListenerSet"}]},
            ),
            Severity.HIGH,
        ),
        (
            make(
                "HTTPRoute", "r", {"parentRefs": [{"name": "gw", "namespace": "payments"}, "junk"]}
            ),
            Severity.MEDIUM,
        ),
        (
            make(
                "HTTPRoute",
                "r",
                {
                    "parentRefs": [
                        {"name": "svc", "namespace": "other", "kind": "Service", "group": ""}
                    ]
                },
            ),
            Severity.MEDIUM,
        ),
        (make("HTTPRoute", "r", None), Severity.MEDIUM),
    ],
)
def test_undeclared_severity(body: Body, severity: Severity) -> None:
    [found] = run([], [body])
    assert found.severity == severity


def test_controller_made_objects_are_not_click_ops() -> None:
    owned = make(
        "HTTPRoute",
        "cm-acme-http-solver",
        {},
        ownerReferences=[
            {
                "apiVersion": "acme.cert-manager.io/v1",
                "kind": "Challenge",
                "name": "c",
                "uid": "u",
                "controller": True,
            }
        ],
    )
    assert run([], [owned]) == []


# --- Secrets -------------------------------------------------------------------------------------


def secret(
    data: dict[str, str] | None = None, string_data: dict[str, str] | None = None, **meta: Any
) -> Body:
    body = make("Secret", "creds", None, api="v1", **meta)
    if data is not None:
        body["data"] = data
    if string_data is not None:
        body["stringData"] = string_data
    return body


def test_secret_values_never_appear() -> None:
    desired = secret(string_data={"password": "hunter2", "user": "admin"})
    desired["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(desired)
    }
    current = secret(data={"password": "czNjcjN0", "user": "YWRtaW4=", "extra": "ZXh0cmE="})
    current["metadata"]["managedFields"] = [
        {
            "manager": "kubectl-edit",
            "operation": "Update",
            "time": T2,
            "fieldsV1": {"f:data": {"f:password": {}, "f:extra": {}}},
        }
    ]
    [found] = run([desired], [current])
    text = json.dumps(found.as_dict())
    for secret_text in ("hunter2", "s3cr3t", "czNjcjN0", "ZXh0cmE", "sha256"):
        assert secret_text not in text
    assert [(c.path, c.op, c.desired, c.live, c.manager) for c in found.changes] == [
        ("data.extra", ChangeOp.ADD, None, "***", "kubectl-edit"),
        ("data.password", ChangeOp.CHANGE, "***", "***", "kubectl-edit"),
    ]


def test_secret_string_data_equals_data_and_metadata_only_live() -> None:
    assert run([secret(string_data={"a": "x"})], [secret(data={"a": "eA=="})]) == []
    assert run([secret(data={"a": "eA=="})], [secret()]) == []  # live listed as metadata only


def test_metadata_only_live_secret_is_compared_by_metadata_only() -> None:
    """A Secret listed as PartialObjectMetadata has no ``type``: a TLS Secret in Git is not
    drift against the ``Opaque`` default, but its labels still are compared."""
    tls = secret(data={"tls.crt": "eA=="}, labels={"app": "web"})
    tls |= {"type": "kubernetes.io/tls", "immutable": True}
    assert run([tls], [secret(labels={"app": "web"})]) == []
    [found] = run([tls], [secret(labels={"app": "api"})])
    assert [c.path for c in found.changes] == ["metadata.labels.app"]
    snapshot = secret(labels={"app": "web"}) | {"type": "Opaque"}  # a dump keeps the type
    [found] = run([tls], [snapshot])
    assert [c.path for c in found.changes] == ["immutable", "type"]


# --- attribution and hiding ----------------------------------------------------------------------


def route(weight: int, **meta: Any) -> Body:
    return make(
        "HTTPRoute",
        "r",
        {"rules": [{"backendRefs": [{"name": "s", "port": 80, "weight": weight}]}]},
        **meta,
    )


def managed(*entries: tuple[str, str, str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"manager": m, "operation": op, "time": t, "fieldsType": "FieldsV1", "fieldsV1": f}
        for m, op, t, f in entries
    ]


RULES_FIELDS: dict[str, Any] = {"f:spec": {"f:rules": {}}}
WEIGHT = "spec.rules[0].backendRefs[0].weight"


def test_latest_owner_wins() -> None:
    current = route(
        5,
        managedFields=managed(
            ("argocd-controller", "Apply", T1, RULES_FIELDS),
            ("kubectl-edit", "Update", T3, RULES_FIELDS),
            ("helm", "Update", T2, RULES_FIELDS),
        ),
    )
    [found] = run([route(1)], [current])
    [change] = found.changes
    assert (change.path, change.manager, change.operation, change.time) == (
        WEIGHT,
        "kubectl-edit",
        "Update",
        T3,
    )


def test_owner_of_keys_sets_and_bad_entries() -> None:
    body = {
        "metadata": {
            "managedFields": [
                "junk",
                {"manager": "x", "fieldsType": "FieldsV2", "fieldsV1": {"f:spec": {}}},
                {"manager": "empty", "fieldsV1": {}},
                {
                    "manager": "lister",
                    "time": T1,
                    "fieldsV1": {
                        "f:spec": {
                            "f:listeners": {".": {}, 'k:{"name":"a"}': {"f:port": {}}, "k:{bad": {}}
                        }
                    },
                },
                {"manager": "broken", "time": T3, "fieldsV1": {"f:spec": "oops"}},
                {
                    "manager": "setter",
                    "time": T2,
                    "fieldsV1": {
                        "f:spec": {"f:remove": {'v:"x"': {}}, "f:items": {"i:0": {"f:a": {}}}}
                    },
                },
            ]
        }
    }
    owners = Ownership.of(body)
    owner = owners.owner_of(("spec", "listeners", Keyed((("name", "a"),)), "port"))
    assert owner is not None and owner.manager == "lister" and owner.operation is None
    assert owners.owner_of(("spec", "listeners", Keyed((("name", "b"),)))) is None
    setter = owners.owner_of(("spec", "remove"))
    assert setter is not None and setter.manager == "setter"
    assert owners.owner_of(("spec", "items", 0, "a")) is not None
    assert owners.owner_of(("spec", "items", 0, "a", "deeper")) is not None
    assert owners.owner_of(("spec", "other")) is None
    assert Ownership.of({"metadata": {"managedFields": "nope"}}).owner_of(("spec",)) is None
    assert Ownership.of({}).owner_of(("spec",)) is None


@pytest.mark.parametrize(
    ("rule", "hidden"),
    [
        (
            IgnoreRule(group=GW, kind="HTTPRoute", paths=("spec.rules[*].backendRefs[*].weight",)),
            True,
        ),
        (IgnoreRule(group=GW, kind="HTTPRoute", paths=("spec.hostnames",)), False),
        (IgnoreRule(group=GW, kind="HTTPRoute", managers=("flagger",)), True),
        (IgnoreRule(group=GW, kind="HTTPRoute", managers=("someone-else",)), False),
        (
            IgnoreRule(group=GW, kind="HTTPRoute", paths=("spec.rules",), managers=("flagger",)),
            True,
        ),
        (
            IgnoreRule(
                group=GW, kind="HTTPRoute", paths=("spec.hostnames",), managers=("flagger",)
            ),
            False,
        ),
        (IgnoreRule(group=GW, kind="GRPCRoute", paths=("spec",)), False),
        (IgnoreRule(group=GW, kind="*", paths=("spec",)), True),
        (IgnoreRule(group=GW, kind="HTTPRoute"), False),
    ],
)
def test_ignore_rules(rule: IgnoreRule, hidden: bool) -> None:
    current = route(5, managedFields=managed(("flagger", "Update", T2, RULES_FIELDS)))
    found = run([route(1)], [current], settings=DriftSettings(ignore=(rule,)))
    assert (found == []) is hidden


def test_ignore_rule_paths_are_validated() -> None:
    with pytest.raises(PathSyntaxError, match=r"spec\.\.x"):
        IgnoreRule(group=GW, kind="HTTPRoute", paths=("spec..x",))


def test_hidden_counts_and_messages() -> None:
    current = route(
        5,
        labels={"a": "b", "c": "d"},
        managedFields=managed(("argo-rollouts", "Update", T2, RULES_FIELDS)),
    )
    ignore = IgnoreRule(group=GW, kind="HTTPRoute", paths=("metadata.labels.a",))
    [found] = run([route(1)], [current], settings=DriftSettings(ignore=(ignore,)))
    assert found.hidden_changes == 2
    assert found.message == (
        "HTTPRoute payments/r differs from Git in 3 fields (2 hidden as expected controller mutation or by ignore rules)"
    )
    [found] = run(
        [route(1)],
        [route(1, labels={"a": "b", "c": "d"})],
        settings=DriftSettings(ignore=(ignore,)),
    )
    assert (
        found.message
        == "HTTPRoute payments/r differs from Git in 2 fields (1 hidden by ignore rules)"
    )
    assert (
        run(
            [route(1)],
            [current],
            settings=DriftSettings(
                ignore=(IgnoreRule(group=GW, kind="HTTPRoute", paths=("metadata",)),)
            ),
        )
        == []
    )


# --- list, map and value semantics on custom schemas --------------------------------------------


def widget_crd() -> Body:
    port = {
        "type": "object",
        "properties": {
            "containerPort": {"type": "integer"},
            "protocol": {"type": "string", "default": "TCP"},
            "name": {"type": "string"},
        },
    }
    spec = {
        "type": "object",
        "properties": {
            "ports": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
                "items": port,
            },
            "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
            "selector": {
                "type": "object",
                "x-kubernetes-map-type": "atomic",
                "additionalProperties": {"type": "string"},
            },
            "timeout": {"type": "string", "pattern": "^([0-9]{1,5}(h|m|s|ms)){1,4}$"},
            "raw": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "mode": {"type": "string"},
        },
    }
    schema = {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }


def widget(spec: Body) -> Body:
    return make("Widget", "w", spec, api="example.com/v1")


def widget_changes(desired: Body, current: Body) -> list[tuple[str, str, Any, Any]]:
    found = run(
        [widget(desired)], [widget(current)], schemas=SchemaRegistry.from_crds([widget_crd()])
    )
    return [(c.path, str(c.op), c.desired, c.live) for f in found for c in f.changes]


def test_composite_keys_are_defaulted_before_matching() -> None:
    desired = {
        "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 53, "protocol": "UDP"}]
    }
    current = {
        "ports": [
            {"containerPort": 53, "protocol": "UDP"},
            {"containerPort": 80, "protocol": "TCP", "name": "web"},
            {"containerPort": 9, "protocol": "TCP"},
        ]
    }
    assert widget_changes(desired, current) == [
        ("spec.ports[containerPort=80,protocol=TCP].name", "change", "http", "web"),
        (
            "spec.ports[containerPort=9,protocol=TCP]",
            "add",
            None,
            {"containerPort": 9, "protocol": "TCP"},
        ),
    ]
    gone = widget_changes(desired, {"ports": [{"containerPort": 53, "protocol": "UDP"}]})
    assert gone == [
        (
            "spec.ports[containerPort=80,protocol=TCP]",
            "remove",
            {"containerPort": 80, "name": "http", "protocol": "TCP"},
            None,
        )
    ]


def test_duplicate_map_keys_fall_back_to_positions() -> None:
    desired = {"ports": [{"containerPort": 80}, {"containerPort": 80, "name": "b"}]}
    current = {"ports": [{"containerPort": 80}, {"containerPort": 80, "name": "c"}]}
    assert widget_changes(desired, current) == [("spec.ports[1].name", "change", "b", "c")]


def test_sets_atomic_maps_durations_and_free_fields() -> None:
    assert widget_changes({"tags": ["a", "b"]}, {"tags": ["b", "a"]}) == []
    assert widget_changes({"tags": ["a", "b"]}, {"tags": ["a", "c"]}) == [
        ("spec.tags", "change", ["a", "b"], ["a", "c"])
    ]
    assert widget_changes({"selector": {"a": "1", "b": "2"}}, {"selector": {"a": "1"}}) == [
        ("spec.selector", "change", {"a": "1", "b": "2"}, {"a": "1"})
    ]
    assert widget_changes({"timeout": "1h"}, {"timeout": "60m"}) == []
    assert widget_changes({"raw": {"x": [1, 2]}}, {"raw": {"x": [2, 1]}}) == [
        ("spec.raw.x", "reorder", [1, 2], [2, 1])
    ]
    assert widget_changes({"raw": {"x": [{"a": 1}, 2]}}, {"raw": {"x": [{"a": 2}, 2]}}) == [
        ("spec.raw.x[0].a", "change", 1, 2)
    ]
    assert widget_changes({"raw": {"x": {"a": 1}}}, {"raw": {"x": "flat"}}) == [
        ("spec.raw.x", "change", {"a": 1}, "flat")
    ]
    assert widget_changes({"mode": "a", "raw": {"n": 1}}, {"mode": "a", "raw": {"n": 1.0}}) == []
    assert widget_changes({"mode": None}, {"mode": ""}) == [("spec.mode", "add", None, "")]
    assert widget_changes({"raw": None, "mode": "a"}, {"raw": {}, "mode": "b"}) == [
        ("spec.mode", "change", "a", "b")
    ]


def test_native_kind_without_schema_compares_plain_json() -> None:
    desired = make(
        "NetworkPolicy",
        "np",
        {"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"a": "b"}}}]}]},
        api="networking.k8s.io/v1",
    )
    current = make(
        "NetworkPolicy",
        "np",
        {
            "podSelector": {},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"a": "c"}}}]}],
            "policyTypes": ["Ingress"],
        },
        api="networking.k8s.io/v1",
    )
    [found] = run([desired], [current])
    assert [(c.path, str(c.op)) for c in found.changes] == [
        ("spec.ingress[0].from[0].podSelector.matchLabels.a", "change"),
    ]
    assert found.severity == Severity.HIGH


def test_native_kinds_ignore_live_only_fields_but_not_labels() -> None:
    desired = make("Service", "s", {"ports": [{"port": 80}], "selector": {"app": "a"}}, api="v1")
    current = make(
        "Service",
        "s",
        {
            "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
            "selector": {"app": "a"},
            "clusterIP": "10.0.0.1",
            "type": "ClusterIP",
            "sessionAffinity": "None",
        },
        api="v1",
        labels={"extra": "x"},
    )
    [found] = run([desired], [current])
    assert [(c.path, str(c.op)) for c in found.changes] == [("metadata.labels.extra", "add")]
    current["spec"]["selector"] = {"app": "b"}
    del current["metadata"]["labels"]
    [found] = run([desired], [current])
    assert [(c.path, str(c.op)) for c in found.changes] == [("spec.selector.app", "change")]
    assert run([secret()], [{**secret(), "type": "Opaque"}]) == []  # the server's default type
    config = {**make("ConfigMap", "c", None, api="v1"), "data": {"a": "1"}}
    [found] = run([config], [{**config, "data": {"a": "1", "b": "2"}}])
    assert [(c.path, str(c.op), c.live) for c in found.changes] == [("data.b", "add", "2")]


def test_metadata_finalizers_and_owner_references_when_declared() -> None:
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "cm", "uid": "u1"}
    desired = make("HTTPRoute", "r", {}, finalizers=["a", "b"], ownerReferences=[ref])
    current = make(
        "HTTPRoute", "r", {}, finalizers=["b", "a", "c"], ownerReferences=[{**ref, "name": "other"}]
    )
    [found] = run([desired], [current])
    assert [(c.path, str(c.op)) for c in found.changes] == [
        ("metadata.finalizers", "change"),
        ("metadata.ownerReferences[uid=u1].name", "change"),
    ]


# --- ST-006 --------------------------------------------------------------------------------------


def test_pruned_fields_reported_once_and_not_as_drift() -> None:
    spec = {
        "parentRefs": [{"name": "gw"}],
        "rules": [{"retry": {"attempts": 2}, "sessionPersistence": {"sessionName": "s"}}],
        "useDefaultGateways": "All",
    }
    desired = make("HTTPRoute", "r", spec)
    current = make("HTTPRoute", "r", {"parentRefs": [{"name": "gw"}], "rules": [{}]})
    findings = run([desired], [current])
    assert [f.check for f in findings] == ["PDA-ST-006"]
    [found] = findings
    assert found.severity == Severity.HIGH and str(found.category) == "source"
    assert [c.path for c in found.changes] == [
        "spec.rules[0].retry",
        "spec.rules[0].sessionPersistence",
        "spec.useDefaultGateways",
    ]
    assert "3 fields" in found.message and "drops them" in found.message
    assert run([desired], [current], schemas=SchemaRegistry.from_crds([]))[0].check == "PDA-DR-003"


def test_pruned_message_lists_at_most_five_paths() -> None:
    spec = {f"x{i}": i for i in range(7)}
    [found, missing] = run(
        [make("HTTPRoute", "r", spec)], [], observed={GroupKind(GW, "HTTPRoute")}
    )
    assert "and 2 more" in found.message and len(found.changes) == 7
    assert missing.check == "PDA-DR-001"


def test_objects_without_metadata_or_spec() -> None:
    bare: Body = {"apiVersion": "example.com/v1", "kind": "Thing"}
    assert run([bare], [bare]) == []


@pytest.mark.parametrize(
    "odd",
    [
        {"spec": "text"},
        {"spec": [1, 2]},
        {"spec": {"rules": "x", "parentRefs": {"a": 1}, "hostnames": [None, {}]}},
        {"metadata": "nope"},
        {"metadata": {"name": "r", "namespace": "payments", "labels": ["a"], "ownerReferences": 3}},
        {"metadata": {"name": "r", "namespace": "payments", "managedFields": [{"fieldsV1": []}]}},
        {
            "spec": {
                "rules": [{"backendRefs": [{"weight": "heavy"}]}],
                "listeners": [{"name": {"x": 1}}],
            }
        },
    ],
)
def test_malformed_bodies_never_crash(odd: Body) -> None:
    route_key = key_of(make("HTTPRoute", "r"))
    gateway_key = key_of(make("Gateway", "r"))
    body = {**make("HTTPRoute", "r", {"hostnames": ["a"]}), **odd}
    gateway = {**make("Gateway", "r", {"listeners": [{"name": "a", "port": 1}]}), **odd}
    good = make("HTTPRoute", "r", {})
    cases = [
        ([(route_key, body)], [(route_key, good)]),
        ([(route_key, good)], [(route_key, body)]),
        ([(gateway_key, gateway)], [(gateway_key, gateway)]),
        ([], [(route_key, body)]),
    ]
    for schemas in (standard(), SchemaRegistry.from_crds([])):
        for desired, current in cases:
            findings = check_drift(
                cluster="prod",
                desired=[KubeObject(key=k, body=b) for k, b in desired],
                live=[KubeObject(key=k, body=b) for k, b in current],
                observed=frozenset({route_key.group_kind, gateway_key.group_kind}),
                schemas=schemas,
                settings=DriftSettings(),
            )
            assert all(f.cluster == "prod" for f in findings)


def test_first_duplicate_git_object_wins() -> None:
    one, two = route(1), route(2)
    findings = run([one, two], [route(1)])
    assert findings == []


def test_string_fields_that_look_like_numbers_are_compared_literally() -> None:
    """A header match value changed from "1.10" to "1.1" is drift (not the same quantity)."""

    def route(value: str) -> Body:
        match = {"headers": [{"name": "x-version", "value": value}]}
        return make(
            "HTTPRoute", "r", {"parentRefs": [{"name": "gw"}], "rules": [{"matches": [match]}]}
        )

    [found] = run([route("1.10")], [route("1.1")])
    assert [(c.path, c.desired, c.live) for c in found.changes] == [
        ("spec.rules[0].matches[0].headers[name=x-version].value", "1.10", "1.1")
    ]
