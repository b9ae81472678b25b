"""deploy/kustomize: both overlays (and the optional components) render with kubectl, every object
is valid against the Kubernetes schemas, and the security properties of issue 10 hold on the
rendered objects — not on the source files, which kustomize transforms."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from auditor.config import load
from auditor.rbac import LEASE_RULES
from tests.deploy.paths import COMPONENTS, KUSTOMIZE, OVERLAYS, kustomize, one, with_components

NAMESPACE = "platform-auditor"
SERVICE_ACCOUNT = "policy-drift-auditor"
OLDEST, NEWEST = "1.30.0", kubernetes_validate.latest_version()
READ_VERBS = {"get", "list", "watch"}
CUSTOM_KINDS = {"ServiceMonitor"}  # not in the Kubernetes schemas: checked field by field below
CONFIG_PATH = "/etc/auditor/auditor.yaml"


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    overlay: str = request.param
    return overlay, kustomize(KUSTOMIZE / "overlays" / overlay)


def deployment(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return one(objects, "Deployment")


def pod(objects: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = deployment(objects)["spec"]["template"]["spec"]
    return spec


def containers(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    spec = pod(objects)
    return [*spec.get("initContainers", []), *spec["containers"]]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container["env"]}


def validate(obj: dict[str, Any]) -> None:
    for version in (OLDEST, NEWEST):
        kubernetes_validate.validate(obj, version, strict=True)


# -- schemas ------------------------------------------------------------------------------------


def test_every_rendered_object_is_valid(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, objects = rendered
    assert {o["kind"] for o in objects} >= {
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "NetworkPolicy",
    }
    for obj in objects:
        validate(obj)


def test_validation_rejects_a_broken_object(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    """The schema check can fail: a misspelt field is refused."""
    broken = copy.deepcopy(deployment(rendered[1]))
    broken["spec"]["template"]["spec"]["containers"][0]["securityContex"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)


def test_components_render_and_validate(tmp_path: Path) -> None:
    objects = kustomize(with_components(tmp_path, "postgres", COMPONENTS))
    for obj in objects:
        if obj["kind"] not in CUSTOM_KINDS:
            validate(obj)
    monitor = one(objects, "ServiceMonitor")
    service = one(objects, "Service")
    assert monitor["metadata"]["namespace"] == NAMESPACE
    labels = service["metadata"]["labels"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    secret_role = one(objects, "ClusterRole", "policy-drift-auditor-secret-metadata")
    assert secret_role["rules"] == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}
    ]
    binding = one(objects, "ClusterRoleBinding", "policy-drift-auditor-secret-metadata")
    assert binding["roleRef"]["name"] == secret_role["metadata"]["name"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}
    ]


# -- RBAC ---------------------------------------------------------------------------------------


def test_rbac_is_read_only_without_secrets_and_writes_only_leases(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, objects = rendered
    for role in (o for o in objects if o["kind"] == "ClusterRole"):
        for rule in role["rules"]:
            assert set(rule["verbs"]) <= READ_VERBS, rule
            assert "secrets" not in rule["resources"] and "*" not in rule["resources"], rule
            assert "*" not in rule["apiGroups"], rule
    (role,) = [o for o in objects if o["kind"] == "Role"]
    assert role["metadata"]["namespace"] == NAMESPACE
    assert role["rules"] == [rule.as_manifest() for rule in LEASE_RULES]
    for binding in (o for o in objects if o["kind"] in {"RoleBinding", "ClusterRoleBinding"}):
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}
        ]
    assert pod(objects)["serviceAccountName"] == SERVICE_ACCOUNT


def test_everything_namespaced_lives_in_the_auditors_namespace(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, objects = rendered
    cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
    for obj in objects:
        if obj["kind"] not in cluster_scoped:
            assert obj["metadata"]["namespace"] == NAMESPACE, obj["kind"]
    labels = one(objects, "Namespace")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert not [o for o in objects if o["kind"] == "Secret"], "no Secret values in the repository"


# -- the pod --------------------------------------------------------------------------------------


def test_pod_is_restricted(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, objects = rendered
    spec = pod(objects)
    pod_sc = spec["securityContext"]
    assert pod_sc["runAsNonRoot"] is True
    assert isinstance(pod_sc["runAsUser"], int) and pod_sc["runAsUser"] > 0
    assert isinstance(pod_sc["runAsGroup"], int) and pod_sc["runAsGroup"] > 0
    assert pod_sc["seccompProfile"] == {"type": "RuntimeDefault"}
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        assert not spec.get(key)
    assert not [v for v in spec["volumes"] if "hostPath" in v]
    for container in containers(objects):
        sc = container["securityContext"]
        assert sc["runAsNonRoot"] is True, container["name"]
        assert sc["readOnlyRootFilesystem"] is True, container["name"]
        assert sc["allowPrivilegeEscalation"] is False, container["name"]
        assert sc.get("privileged", False) is False, container["name"]
        assert sc["capabilities"] == {"drop": ["ALL"]}, container["name"]
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, container["name"]
        resources = container["resources"]
        assert {"cpu", "memory"} <= resources["requests"].keys(), container["name"]
        assert {"cpu", "memory"} <= resources["limits"].keys(), container["name"]


def test_writable_paths_are_volumes_the_env_points_to(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    """With a read-only root, everything written goes to a mounted volume: HOME, TMPDIR, the Git
    cache (also the config's git.cache_dir) and, for SQLite, the database directory."""
    overlay, objects = rendered
    volumes = {v["name"]: v for v in pod(objects)["volumes"]}
    config = auditor_config(objects)
    for container in containers(objects):
        env = env_of(container)
        writable = {
            m["mountPath"]: volumes[m["name"]]
            for m in container["volumeMounts"]
            if not m.get("readOnly")
        }
        for name in ("HOME", "TMPDIR", "AUDITOR_GIT_CACHE"):
            assert env[name]["value"] in writable, (container["name"], name)
            assert "emptyDir" in writable[env[name]["value"]]
        assert config["git"]["cache_dir"] == env["AUDITOR_GIT_CACHE"]["value"]
        for mount in container["volumeMounts"]:
            if "configMap" in volumes[mount["name"]] or "secret" in volumes[mount["name"]]:
                assert mount["readOnly"] is True, mount
        if overlay == "sqlite":
            url = env["AUDITOR_DATABASE_URL"]["value"]
            assert url.startswith("sqlite:////")
            directory = os.path.dirname(url.removeprefix("sqlite:///"))
            assert "persistentVolumeClaim" in writable[directory]


def test_the_container_runs_serve_and_the_init_container_migrates(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, objects = rendered
    spec = pod(objects)
    (init,) = spec["initContainers"]
    (main,) = spec["containers"]
    assert init["args"] == ["db", "upgrade"]
    assert main["args"][0] == "serve"
    assert "command" not in main and "command" not in init  # the image's ENTRYPOINT: auditor
    assert init["image"] == main["image"]
    assert env_of(init) == env_of(main)
    env = env_of(main)
    assert env["AUDITOR_CONFIG"]["value"] == CONFIG_PATH
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    (port,) = main["ports"]
    assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port["name"]}
    assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port["name"]}
    assert main["startupProbe"]["httpGet"]["path"] == "/healthz"
    config = auditor_config(objects)
    assert config["serve"]["listen"].rpartition(":")[2] == str(port["containerPort"])
    assert config["serve"]["leases"] is True
    assert config["database"]["auto_migrate"] is False  # the init container migrates


def test_credentials_come_from_secrets_by_name(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    overlay, objects = rendered
    env = env_of(pod(objects)["containers"][0])
    config = auditor_config(objects)
    token_envs = {config["notify"]["slack"]["token_env"]}
    token_envs |= {
        r["auth"]["token_env"] for r in config["repositories"] if "token_env" in r.get("auth", {})
    }
    for name in token_envs:
        assert set(env[name]) == {"name", "valueFrom"}, name
        assert env[name]["valueFrom"]["secretKeyRef"]["name"].startswith("policy-drift-auditor-")
    database = env["AUDITOR_DATABASE_URL"]
    if overlay == "postgres":
        assert database["valueFrom"]["secretKeyRef"] == {
            "name": "policy-drift-auditor-db",
            "key": "url",
        }
    for var in env.values():
        if "value" in var:
            assert "@" not in var["value"] and "token" not in var["value"].lower(), var


def test_config_map_holds_a_valid_config(
    rendered: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    _, objects = rendered
    config_map = one(objects, "ConfigMap")
    volume = next(v for v in pod(objects)["volumes"] if "configMap" in v)
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    path = tmp_path / "auditor.yaml"
    path.write_text(config_map["data"]["auditor.yaml"])
    settings = load(path, environ={})
    assert settings.serve_leases is True
    assert [c.kubeconfig for c in settings.clusters] == [None]  # the in-cluster service account


def auditor_config(objects: list[dict[str, Any]]) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(one(objects, "ConfigMap")["data"]["auditor.yaml"])
    return config


# -- scaling and the network ------------------------------------------------------------------------


def test_overlays_set_replicas_and_database(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    overlay, objects = rendered
    spec = deployment(objects)["spec"]
    if overlay == "sqlite":
        assert spec["replicas"] == 1
        assert spec["strategy"] == {"type": "Recreate"}
        claim = one(objects, "PersistentVolumeClaim")
        volumes = [v for v in pod(objects)["volumes"] if "persistentVolumeClaim" in v]
        assert [v["persistentVolumeClaim"]["claimName"] for v in volumes] == [
            claim["metadata"]["name"]
        ]
    else:
        assert spec["replicas"] == 2
        assert not [o for o in objects if o["kind"] == "PersistentVolumeClaim"]


def test_selectors_match_the_pods(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, objects = rendered
    labels = deployment(objects)["spec"]["template"]["metadata"]["labels"]
    assert deployment(objects)["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert one(objects, "Service")["spec"]["selector"].items() <= labels.items()
    assert (
        one(objects, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items()
        <= labels.items()
    )
    assert (
        one(objects, "NetworkPolicy")["spec"]["podSelector"]["matchLabels"].items()
        <= labels.items()
    )


def test_network_policy_allows_only_the_needed_egress(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    overlay, objects = rendered
    policy = one(objects, "NetworkPolicy")["spec"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    egress = {(p["protocol"], p["port"]) for rule in policy["egress"] for p in rule["ports"]}
    expected = {("UDP", 53), ("TCP", 53), ("TCP", 443), ("TCP", 6443), ("TCP", 22)}
    if overlay == "postgres":
        expected.add(("TCP", 5432))
    assert egress == expected
    for rule in policy["egress"]:
        assert rule["ports"], "every egress rule is restricted to ports"
    (ingress,) = policy["ingress"]
    (main,) = pod(objects)["containers"]
    assert [p["port"] for p in ingress["ports"]] == [main["ports"][0]["containerPort"]]
