"""RBAC from the code: the committed ClusterRoles are what `auditor deploy rbac` derives, and they
grant exactly what the cluster source asks the API server for — observed, request by request,
against the in-repo API emulator with the real client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor import cli, rbac
from auditor.keys import GroupKind
from auditor.kinds import CLUSTER_SCOPED, CONFIGMAP, MESH_MARKERS, SECRET
from auditor.sources.cluster import read_cluster
from tests.deploy.paths import BASE, KUSTOMIZE
from tests.k8s_emulator import K8sEmulator, RecordedRequest, Resource, load_crd_bundle
from tests.k8s_emulator_docs import BUILTIN_RESOURCES

BASE_ROLE = BASE / "clusterrole.yaml"
SECRET_ROLE = KUSTOMIZE / "components" / "secret-metadata" / "clusterrole.yaml"
LEASE_ROLE = BASE / "lease-role.yaml"
WIDGET = GroupKind("example.com", "Widget")

# The plurals the projects define for their kinds (their CRDs / the Kubernetes API), written out
# independently of rbac.plural(). A kind the catalogue gains must be added here, checked against
# its CRD: RBAC that names the wrong plural grants nothing.
KNOWN_PLURALS: dict[GroupKind, str] = {
    GroupKind("", "Namespace"): "namespaces",
    GroupKind("", "Service"): "services",
    GroupKind("", "Secret"): "secrets",
    GroupKind("", "ConfigMap"): "configmaps",
    GroupKind("", "Pod"): "pods",
    GroupKind("", "ServiceAccount"): "serviceaccounts",
    GroupKind("", "Endpoints"): "endpoints",
    GroupKind("apps", "Deployment"): "deployments",
    GroupKind("apps", "StatefulSet"): "statefulsets",
    GroupKind("apps", "DaemonSet"): "daemonsets",
    GroupKind("apps", "ReplicaSet"): "replicasets",
    GroupKind("batch", "Job"): "jobs",
    GroupKind("batch", "CronJob"): "cronjobs",
    GroupKind("networking.k8s.io", "NetworkPolicy"): "networkpolicies",
    GroupKind("networking.k8s.io", "Ingress"): "ingresses",
    GroupKind("security.istio.io", "AuthorizationPolicy"): "authorizationpolicies",
    GroupKind("security.istio.io", "PeerAuthentication"): "peerauthentications",
    GroupKind("security.istio.io", "RequestAuthentication"): "requestauthentications",
    GroupKind("networking.istio.io", "DestinationRule"): "destinationrules",
    GroupKind("networking.istio.io", "VirtualService"): "virtualservices",
    GroupKind("networking.istio.io", "ServiceEntry"): "serviceentries",
    GroupKind("networking.istio.io", "Sidecar"): "sidecars",
    GroupKind("telemetry.istio.io", "Telemetry"): "telemetries",
    GroupKind("extensions.istio.io", "WasmPlugin"): "wasmplugins",
    GroupKind("cilium.io", "CiliumNetworkPolicy"): "ciliumnetworkpolicies",
    GroupKind("cilium.io", "CiliumClusterwideNetworkPolicy"): "ciliumclusterwidenetworkpolicies",
    GroupKind("policy.linkerd.io", "Server"): "servers",
    GroupKind("policy.linkerd.io", "AuthorizationPolicy"): "authorizationpolicies",
    GroupKind("policy.linkerd.io", "HTTPRoute"): "httproutes",
    GroupKind("policy.linkerd.io", "MeshTLSAuthentication"): "meshtlsauthentications",
    GroupKind("policy.linkerd.io", "NetworkAuthentication"): "networkauthentications",
    GroupKind("gateway.envoyproxy.io", "SecurityPolicy"): "securitypolicies",
    GroupKind("gateway.envoyproxy.io", "EnvoyExtensionPolicy"): "envoyextensionpolicies",
    GroupKind("gateway.envoyproxy.io", "BackendTrafficPolicy"): "backendtrafficpolicies",
    GroupKind("gateway.envoyproxy.io", "ClientTrafficPolicy"): "clienttrafficpolicies",
    GroupKind("apiextensions.k8s.io", "CustomResourceDefinition"): "customresourcedefinitions",
    GroupKind("gateway.networking.x-k8s.io", "XListenerSet"): "xlistenersets",  # v1.3-v1.4 CRDs
    GroupKind("gateway.networking.x-k8s.io", "XBackend"): "xbackends",
    GroupKind("inference.networking.k8s.io", "InferencePool"): "inferencepools",
    WIDGET: "widgets",
}


def gateway_plurals() -> dict[GroupKind, str]:
    """Gateway API plurals from the real CRD bundles (experimental holds every kind)."""
    return {
        GroupKind(c["spec"]["group"], c["spec"]["names"]["kind"]): c["spec"]["names"]["plural"]
        for c in load_crd_bundle("experimental")
    }


def real_plural(gk: GroupKind) -> str:
    plurals = {**gateway_plurals(), **KNOWN_PLURALS}
    assert gk in plurals, f"{gk}: add its real plural (from its CRD) to KNOWN_PLURALS"
    return plurals[gk]


def load_rules(path: Path, kind: str = "ClusterRole") -> list[dict[str, Any]]:
    (role,) = [d for d in yaml.safe_load_all(path.read_text()) if d and d["kind"] == kind]
    rules: list[dict[str, Any]] = role["rules"]
    return rules


# -- the derivation ---------------------------------------------------------------------------


def test_plural_matches_every_real_plural() -> None:
    plurals = {**gateway_plurals(), **KNOWN_PLURALS}
    wrong = {
        str(gk): (rbac.plural(gk.kind), p) for gk, p in plurals.items() if rbac.plural(gk.kind) != p
    }
    assert not wrong


def test_every_kind_the_code_reads_has_a_verified_plural() -> None:
    for gk in (*rbac.read_kinds(), SECRET, CONFIGMAP):
        assert rbac.plural(gk.kind) == real_plural(gk)


def test_rules_follow_extra_exclude_and_never_grant_secrets_or_writes() -> None:
    istio_authz = GroupKind("security.istio.io", "AuthorizationPolicy")
    rules = rbac.cluster_rules(extra=(WIDGET,), exclude=(istio_authz,))
    granted = {(g, r) for rule in rules for g in rule.api_groups for r in rule.resources}
    assert ("example.com", "widgets") in granted
    assert ("security.istio.io", "authorizationpolicies") not in granted
    assert ("policy.linkerd.io", "authorizationpolicies") in granted
    assert ("", "secrets") not in granted
    assert ("apiextensions.k8s.io", "customresourcedefinitions") in granted
    assert {v for rule in rules if not rule.resource_names for v in rule.verbs} == {"list"}
    assert {v for rule in rules if rule.resource_names for v in rule.verbs} == {"get"}
    assert rbac.secret_rules(secret_metadata=False) == ()
    (secret,) = rbac.secret_rules(secret_metadata=True)
    assert (secret.api_groups, secret.resources, secret.verbs) == (("",), ("secrets",), ("list",))


def test_mesh_markers_are_get_by_resource_name_only_for_meshes_read() -> None:
    *_, rule = rbac.cluster_rules()
    assert rule.as_manifest() == {
        "apiGroups": [""],
        "resources": ["configmaps"],
        "verbs": ["get"],
        "resourceNames": sorted(m.name for m in MESH_MARKERS),
    }
    cilium = tuple(gk for gk in rbac.read_kinds() if gk.group == "cilium.io")
    *_, rule = rbac.cluster_rules(exclude=cilium, named=[rbac.NamedRead(kind=CONFIGMAP, name="x")])
    assert rule.resource_names == ("istio", "linkerd-config", "x")


def test_no_custom_group_means_no_crd_access() -> None:
    rules = rbac.cluster_rules(exclude=rbac.read_kinds()[:-2])  # only Namespaces and Services
    assert [r.resources for r in rules] == [("namespaces", "services")]


# -- the command and the committed files -----------------------------------------------------


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_committed_roles_are_the_generated_ones(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["deploy", "rbac", "--builtin"], capsys)
    assert code == 0
    assert out == BASE_ROLE.read_text(), "regenerate: auditor deploy rbac --builtin"
    code, out, _ = run(["deploy", "rbac", "--builtin", "--secret-metadata"], capsys)
    assert code == 0
    _, secret = out.split("---\n", 1)
    assert secret == SECRET_ROLE.read_text()


def test_rbac_follows_the_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "auditor.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "clusters": [{"name": "prod"}],
                "kinds": {
                    "secret_metadata": True,
                    "extra": [{"group": "example.com", "kind": "Widget"}],
                    "exclude": [{"group": "cilium.io", "kind": "CiliumNetworkPolicy"}],
                },
            }
        )
    )
    code, out, _ = run(["deploy", "rbac", "--config", str(config), "--name", "audit"], capsys)
    assert code == 0
    role, secret = [d for d in yaml.safe_load_all(out) if d]
    assert role["metadata"]["name"] == "audit"
    assert secret["metadata"]["name"] == "audit-secret-metadata"
    resources = {
        (g, r) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]
    }
    assert ("example.com", "widgets") in resources
    assert ("cilium.io", "ciliumnetworkpolicies") not in resources
    assert ("cilium.io", "ciliumclusterwidenetworkpolicies") in resources
    assert secret["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]


def test_rbac_without_a_config_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["deploy", "rbac", "--config", str(tmp_path / "absent.yaml")], capsys)
    assert code == 2
    assert not out
    assert "absent.yaml" in err


def test_the_only_write_is_leases_in_the_auditors_own_namespace() -> None:
    docs = [d for d in yaml.safe_load_all(LEASE_ROLE.read_text()) if d]
    (role,) = [d for d in docs if d["kind"] == "Role"]
    assert "namespace" not in role["metadata"]  # the kustomization's namespace: its own
    assert role["rules"] == [rule.as_manifest() for rule in rbac.LEASE_RULES]
    assert role["rules"] == [
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "verbs": ["create", "get", "update"],
        }
    ]
    (binding,) = [d for d in docs if d["kind"] == "RoleBinding"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }


# -- what the code asks for, observed -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Access:
    """One resource request as RBAC sees it."""

    verb: str
    group: str
    resource: str
    name: str | None


def access(req: RecordedRequest) -> Access | None:
    """The RBAC attributes of a request; None for discovery (granted to every authenticated
    user by the built-in system:discovery role)."""
    parts = [p for p in req.path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) > 3:
        group, rest = parts[1], parts[3:]
    else:
        return None
    if not rest:
        return None
    if rest[0] == "namespaces" and len(rest) >= 3:
        rest = rest[2:]
    assert req.method == "GET", f"the auditor wrote: {req.method} {req.path}"
    name = rest[1] if len(rest) > 1 else None
    verb = "get" if name else ("watch" if req.param("watch") else "list")
    return Access(verb=verb, group=group, resource=rest[0], name=name)


def allows(rule: dict[str, Any], a: Access) -> bool:
    return (
        a.group in rule["apiGroups"]
        and a.resource in rule["resources"]
        and a.verb in rule["verbs"]
        and (not rule.get("resourceNames") or a.name in rule["resourceNames"])
    )


def grants(rules: list[dict[str, Any]]) -> Iterator[Access]:
    """Every (verb, group, resource[, name]) the rules grant."""
    for rule in rules:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for verb in rule["verbs"]:
                    for name in rule.get("resourceNames") or [None]:
                        yield Access(verb=verb, group=group, resource=resource, name=name)


def used(grant: Access, seen: list[Access]) -> bool:
    return any(
        (a.verb, a.group, a.resource) == (grant.verb, grant.group, grant.resource)
        and (grant.name is None or a.name == grant.name)
        for a in seen
    )


def emulator_serving(kinds: tuple[GroupKind, ...]) -> K8sEmulator:
    """An API server serving every kind the code may read (with real plurals), and more."""
    emulator = K8sEmulator(resources=BUILTIN_RESOURCES)
    emulator.add_crds(load_crd_bundle("experimental"))
    for gk in kinds:
        emulator.add_resource(
            Resource(
                group=gk.group,
                plural=real_plural(gk),
                kind=gk.kind,
                namespaced=gk not in CLUSTER_SCOPED,
            )
        )
    return emulator.start()


def observed_accesses(
    tmp_path: Path, *, kinds: tuple[GroupKind, ...], secret_metadata: bool
) -> list[Access]:
    emulator = emulator_serving((*kinds, SECRET, CONFIGMAP))
    try:
        kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
        live = read_cluster(
            name="prod",
            kinds=kinds,
            kubeconfig=str(kubeconfig),
            secret_metadata=secret_metadata,
            environ={},
            retries=1,
        )
        assert not live.skipped
        return [a for a in map(access, emulator.requests) if a is not None]
    finally:
        emulator.stop()


def check_least_privilege(rules: list[dict[str, Any]], seen: list[Access]) -> None:
    denied = sorted({str(a) for a in seen if not any(allows(r, a) for r in rules)})
    assert not denied, f"the code reads what the role does not grant: {denied}"
    unused = sorted({str(g) for g in grants(rules) if not used(g, seen)})
    assert not unused, f"the role grants what the code never asks for: {unused}"


def test_committed_role_grants_exactly_what_the_code_reads(tmp_path: Path) -> None:
    from auditor.kinds import default_catalogue

    seen = observed_accesses(tmp_path, kinds=default_catalogue(), secret_metadata=False)
    assert {a.resource for a in seen} >= {"namespaces", "services", "httproutes"}
    check_least_privilege(load_rules(BASE_ROLE), seen)


def test_secret_metadata_component_adds_exactly_the_secrets_list(tmp_path: Path) -> None:
    from auditor.kinds import default_catalogue

    seen = observed_accesses(tmp_path, kinds=default_catalogue(), secret_metadata=True)
    check_least_privilege([*load_rules(BASE_ROLE), *load_rules(SECRET_ROLE)], seen)
    with pytest.raises(AssertionError, match="does not grant"):
        check_least_privilege(load_rules(BASE_ROLE), seen)


def test_generated_role_for_a_config_matches_the_code(tmp_path: Path) -> None:
    """The derivation is generic: extras and excludes flow through to exactly what is read."""
    from auditor.kinds import default_catalogue

    exclude = (GroupKind("security.istio.io", "AuthorizationPolicy"),)
    kinds = default_catalogue(extra=(WIDGET,), exclude=exclude)
    seen = observed_accesses(tmp_path, kinds=kinds, secret_metadata=False)
    rules = [r.as_manifest() for r in rbac.cluster_rules(extra=(WIDGET,), exclude=exclude)]
    check_least_privilege(rules, seen)
    with pytest.raises(AssertionError, match="does not grant"):
        check_least_privilege(load_rules(BASE_ROLE), seen)  # the extra kind is not granted
    seen_without_extra = [a for a in seen if a.group != WIDGET.group]
    with pytest.raises(AssertionError, match="never asks for"):
        check_least_privilege(load_rules(BASE_ROLE), seen_without_extra)  # the excluded kind
