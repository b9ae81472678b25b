"""The API emulator's own behaviour where the cluster source does not exercise it (raw HTTP)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.integration.conftest_k8s import K8sApi, K8sApiFactory


def get(api: K8sApi, path: str, accept: str = "application/json") -> tuple[int, Any]:
    request = urllib.request.Request(api.url + path, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        with e:
            return e.code, json.loads(e.read())


def service(namespace: str, name: str, **labels: str) -> dict[str, Any]:
    meta = {"name": name, "namespace": namespace, "labels": labels}
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": {"ports": []}}


def test_discovery_orders_versions_by_priority(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="experimental")
    status, groups = get(api, "/apis")
    assert status == 200
    gateway = next(g for g in groups["groups"] if g["name"] == "gateway.networking.k8s.io")
    assert [v["version"] for v in gateway["versions"]] == ["v1", "v1beta1", "v1alpha3", "v1alpha2"]
    assert gateway["preferredVersion"]["version"] == "v1"
    _, beta = get(api, "/apis/gateway.networking.k8s.io/v1beta1")
    assert sorted(r["kind"] for r in beta["resources"]) == [
        "Gateway",
        "GatewayClass",
        "HTTPRoute",
        "ReferenceGrant",
    ]
    assert get(api, "/apis/security.istio.io/v1")[0] == 404


def test_namespaced_list_label_selector_and_get(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel=None)
    for body in (
        service("a", "web", app="web"),
        service("a", "db", app="db"),
        service("b", "web", app="web"),
    ):
        api.emulator.put(body)
    _, page = get(api, "/api/v1/namespaces/a/services?labelSelector=app%3Dweb")
    assert page["kind"] == "ServiceList" and page["apiVersion"] == "v1"
    assert [i["metadata"]["name"] for i in page["items"]] == ["web"]
    assert "kind" not in page["items"][0] and "apiVersion" not in page["items"][0]
    _, everywhere = get(api, "/api/v1/services?labelSelector=app!%3Ddb")
    assert [(i["metadata"]["namespace"]) for i in everywhere["items"]] == ["a", "b"]
    status, one = get(api, "/api/v1/namespaces/b/services/web")
    assert (status, one["kind"], one["apiVersion"]) == (200, "Service", "v1")
    status, missing = get(api, "/api/v1/namespaces/b/services/nope")
    assert (status, missing["kind"], missing["reason"]) == (404, "Status", "NotFound")
    _, meta = get(
        api,
        "/api/v1/namespaces/b/services/web",
        "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1",
    )
    assert meta == {
        "apiVersion": "meta.k8s.io/v1",
        "kind": "PartialObjectMetadata",
        "metadata": one["metadata"],
    }


@pytest.mark.parametrize(("namespace", "expected"), [("locked", 403), ("open", 200)])
def test_a_fault_can_target_one_namespace(
    k8s_api: K8sApiFactory, namespace: str, expected: int
) -> None:
    api = k8s_api(channel=None)
    fault = api.emulator.fail("", "services", status=403, namespace="locked")
    status, body = get(api, f"/api/v1/namespaces/{namespace}/services")
    assert status == expected
    assert fault.hits == (1 if expected == 403 else 0)
    if expected == 403:
        assert body["reason"] == "Forbidden" and "cannot list resource" in body["message"]


def test_the_crd_collection_serves_the_crds_themselves(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard")
    _, crds = get(api, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions?limit=3")
    assert crds["kind"] == "CustomResourceDefinitionList"
    assert len(crds["items"]) == 3 and crds["metadata"]["remainingItemCount"] == 7
    status, one = get(
        api,
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/httproutes.gateway.networking.k8s.io",
    )
    assert status == 200 and one["spec"]["names"]["kind"] == "HTTPRoute"
