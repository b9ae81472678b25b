"""The mesh checks' inputs read from the API emulator: Pods as metadata only, workloads and
ServiceAccounts, and the mesh marker ConfigMaps by name (never a ConfigMap list)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.keys import GroupKind
from auditor.kinds import ISTIO_MARKER, POD, SERVICEACCOUNT, WORKLOAD_KINDS, default_catalogue
from auditor.model import Body, Skipped
from tests.integration.test_cluster_source import read
from tests.k8s_emulator import Resource

if TYPE_CHECKING:
    from tests.integration.conftest_k8s import K8sApi, K8sApiFactory

ISTIO_AUTHZ = GroupKind("security.istio.io", "AuthorizationPolicy")
PEERAUTHN = GroupKind("security.istio.io", "PeerAuthentication")

POD_BODY: Body = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "web-1",
        "namespace": "shop",
        "uid": "u1",
        "labels": {"app": "web", "istio.io/dataplane-mode": "none"},
        "annotations": {"note": "x"},
        "managedFields": [{"manager": "kubelet"}],
        "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d"}],
    },
    "spec": {"containers": [{"name": "web", "image": "web:1", "env": [{"name": "TOKEN"}]}]},
    "status": {"phase": "Running"},
}
MARKER: Body = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "istio", "namespace": "istio-system", "resourceVersion": "7"},
    "data": {"mesh": "rootNamespace: istio-config\n"},
}


def with_istio(api: K8sApi) -> K8sApi:
    for plural, kind in (
        ("authorizationpolicies", "AuthorizationPolicy"),
        ("peerauthentications", "PeerAuthentication"),
    ):
        api.emulator.add_resource(
            Resource(group="security.istio.io", plural=plural, kind=kind, namespaced=True)
        )
    return api


def test_pods_are_listed_as_metadata_only(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard")
    api.emulator.put(POD_BODY)
    state = read(api)
    [pod] = [o for o in state.objects if o["kind"] == "Pod"]
    assert pod == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web-1",
            "namespace": "shop",
            "uid": "u1",
            "labels": {"app": "web", "istio.io/dataplane-mode": "none"},
            "annotations": {"note": "x"},
            "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d"}],
        },
    }
    [req] = api.emulator.requests_for("", "pods")
    assert "as=PartialObjectMetadataList" in req.accept
    assert {POD, SERVICEACCOUNT, *WORKLOAD_KINDS} <= state.observed


def test_the_marker_is_read_by_name_when_the_mesh_is_served(k8s_api: K8sApiFactory) -> None:
    api = with_istio(k8s_api(channel="standard"))
    api.emulator.put(MARKER)
    state = read(api, kinds=(*default_catalogue(), ISTIO_AUTHZ))
    [marker] = [o for o in state.objects if o["kind"] == "ConfigMap"]
    assert marker["metadata"] == {"name": "istio", "namespace": "istio-system"}
    assert marker["data"] == MARKER["data"]
    paths = [r.path for r in api.emulator.requests if "configmaps" in r.path]
    assert paths == ["/api/v1/namespaces/istio-system/configmaps/istio"]
    assert GroupKind("", "ConfigMap") not in state.observed
    assert state.skipped == ()


def test_an_absent_marker_is_no_object_and_no_note(k8s_api: K8sApiFactory) -> None:
    api = with_istio(k8s_api(channel="standard"))
    state = read(api)
    assert not [o for o in state.objects if o["kind"] == "ConfigMap"]
    assert ISTIO_AUTHZ in state.observed
    assert state.skipped == ()


def test_a_forbidden_marker_leaves_the_mesh_kinds_unread(k8s_api: K8sApiFactory) -> None:
    api = with_istio(k8s_api(channel="standard"))
    api.emulator.put(MARKER)
    api.emulator.fail_path(
        f"/api/v1/namespaces/{ISTIO_MARKER.namespace}/configmaps/{ISTIO_MARKER.name}", status=403
    )
    state = read(api)
    assert state.skipped == (
        Skipped(subject="cluster prod: ConfigMap istio-system/istio", reason="403 Forbidden"),
    )
    assert ISTIO_AUTHZ in state.served
    assert not {ISTIO_AUTHZ, PEERAUTHN} & state.observed
    assert not [o for o in state.objects if o["kind"] == "ConfigMap"]


def test_workloads_keep_only_their_template_metadata(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard")
    template = {
        "metadata": {"labels": {"app": "web"}, "annotations": {"a": "b"}},
        "spec": {
            "serviceAccountName": "web",
            "containers": [{"name": "web", "env": [{"name": "DB_PASSWORD", "value": "hunter2"}]}],
        },
    }
    api.emulator.put(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "managedFields": [{}]},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web"}},
                "template": template,
            },
        }
    )
    api.emulator.put(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "report", "namespace": "shop"},
            "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}},
        }
    )
    state = read(api)
    reduced_template = {
        "metadata": {"labels": {"app": "web"}, "annotations": {"a": "b"}},
        "spec": {"serviceAccountName": "web"},
    }
    [deployment] = [o for o in state.objects if o["kind"] == "Deployment"]
    assert deployment == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": reduced_template},
    }
    [cronjob] = [o for o in state.objects if o["kind"] == "CronJob"]
    assert cronjob["spec"] == {"jobTemplate": {"spec": {"template": reduced_template}}}
    assert "hunter2" not in repr(state)
