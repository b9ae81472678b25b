"""read_cluster against the in-repo API emulator, through a kubeconfig file, with the real client."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from auditor.errors import ClusterError
from auditor.keys import GroupKind
from auditor.kinds import GATEWAY_GROUP, GATEWAY_KINDS, GATEWAY_X_GROUP, SECRET, default_catalogue
from auditor.model import Body, LiveState, Skipped
from auditor.sources.cluster import read_cluster
from tests.k8s_emulator import load_crd_bundle

if TYPE_CHECKING:
    from tests.integration.conftest_k8s import K8sApi, K8sApiFactory


CLUSTER = "prod"
HTTPROUTE = GroupKind(GATEWAY_GROUP, "HTTPRoute")
GATEWAY = GroupKind(GATEWAY_GROUP, "Gateway")
GATEWAYCLASS = GroupKind(GATEWAY_GROUP, "GatewayClass")
LISTENERSET = GroupKind(GATEWAY_GROUP, "ListenerSet")
REFERENCEGRANT = GroupKind(GATEWAY_GROUP, "ReferenceGrant")
XBTP = GroupKind(GATEWAY_X_GROUP, "XBackendTrafficPolicy")
XBACKEND = GroupKind(GATEWAY_X_GROUP, "XBackend")
ISTIO_AUTHZ = GroupKind("security.istio.io", "AuthorizationPolicy")
NAMESPACE = GroupKind("", "Namespace")
SERVICE = GroupKind("", "Service")
FAST: dict[str, Any] = {"retries": 3, "backoff": 0.01, "request_timeout": 5.0}


def read(api: K8sApi, **kw: Any) -> LiveState:
    args: dict[str, Any] = {
        "name": CLUSTER,
        "kinds": default_catalogue(),
        "kubeconfig": str(api.kubeconfig),
        "environ": {},
        **FAST,
    }
    return read_cluster(**{**args, **kw})


def route(namespace: str, name: str) -> Body:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "resourceVersion": "42",
            "uid": f"uid-{namespace}-{name}",
            "managedFields": [
                {
                    "manager": "kubectl-edit",
                    "operation": "Update",
                    "apiVersion": "gateway.networking.k8s.io/v1",
                    "time": "2026-11-20T10:31:02Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:spec": {"f:rules": {}}},
                }
            ],
        },
        "spec": {
            "parentRefs": [{"name": "public", "namespace": "infra", "sectionName": "https"}],
            "rules": [{"backendRefs": [{"name": "checkout", "port": 8080}]}],
        },
        "status": {
            "parents": [
                {
                    "parentRef": {"name": "public", "namespace": "infra"},
                    "controllerName": "example.com/gateway",
                    "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted"}],
                }
            ]
        },
    }


def named(state: LiveState, kind: str) -> list[str]:
    return sorted(
        f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}"
        for o in state.objects
        if o["kind"] == kind
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- discovery ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "served_x"),
    [("standard", frozenset()), ("experimental", frozenset({XBTP, XBACKEND}))],
)
def test_discovery_from_the_real_crd_bundles(
    k8s_api: K8sApiFactory, channel: str, served_x: frozenset[GroupKind]
) -> None:
    api = k8s_api(channel=channel)
    state = read(api)
    gateway_kinds = {gk for gk in GATEWAY_KINDS if gk.group == GATEWAY_GROUP}
    assert gateway_kinds <= state.served  # v1.6.1 standard includes ListenerSet
    assert LISTENERSET in state.served
    assert {gk for gk in state.served if gk.group == GATEWAY_X_GROUP} == served_x
    assert GroupKind(GATEWAY_X_GROUP, "XListenerSet") not in state.served
    assert {NAMESPACE, SERVICE, GroupKind("networking.k8s.io", "NetworkPolicy")} <= state.served
    assert state.observed == state.served
    assert state.skipped == ()
    assert state.scopes[GATEWAYCLASS] is False
    assert state.scopes[NAMESPACE] is False
    assert state.scopes[HTTPROUTE] is True
    assert set(state.scopes) == set(state.served)
    expected_crds = {c["metadata"]["name"] for c in load_crd_bundle(channel)}
    assert {c["metadata"]["name"] for c in state.crds} == expected_crds
    assert all(c["apiVersion"] == "apiextensions.k8s.io/v1" for c in state.crds)
    assert all(c["kind"] == "CustomResourceDefinition" for c in state.crds)


def test_kinds_are_read_at_the_preferred_version(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="experimental")
    grant = {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"name": "allow", "namespace": "infra"},
        "spec": {"from": [], "to": []},
    }
    api.emulator.put(grant)
    state = read(api)
    [body] = [o for o in state.objects if o["kind"] == "ReferenceGrant"]
    assert body["apiVersion"] == "gateway.networking.k8s.io/v1"
    paths = {r.path for r in api.emulator.requests_for(GATEWAY_GROUP, "tcproutes")}
    assert paths == {"/apis/gateway.networking.k8s.io/v1/tcproutes"}


def test_a_kind_that_is_not_served_is_neither_served_nor_skipped(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard")
    state = read(api, kinds=(ISTIO_AUTHZ, HTTPROUTE))
    assert ISTIO_AUTHZ not in state.served
    assert ISTIO_AUTHZ not in state.observed
    assert state.skipped == ()
    assert HTTPROUTE in state.observed
    assert not [r for r in api.emulator.requests if "istio" in r.path]


def test_a_failing_group_version_discovery_skips_only_kinds_found_nowhere_else(
    k8s_api: K8sApiFactory,
) -> None:
    api = k8s_api(channel="standard")
    api.emulator.fail_path("/apis/gateway.networking.k8s.io/v1", status=403)
    state = read(api, kinds=(HTTPROUTE, GroupKind(GATEWAY_GROUP, "GRPCRoute")))
    assert HTTPROUTE in state.observed  # also served at v1beta1
    assert state.skipped == (
        Skipped(
            subject="cluster prod: gateway.networking.k8s.io/GRPCRoute",
            reason="discovery failed: gateway.networking.k8s.io/v1: 403 Forbidden",
        ),
    )


# -- objects and pagination -----------------------------------------------------------------------


def test_objects_get_apiversion_and_kind_and_keep_managed_fields_and_status(
    k8s_api: K8sApiFactory,
) -> None:
    api = k8s_api(channel="standard")
    stored = route("payments", "checkout")
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments"}}
    klass = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "GatewayClass",
        "metadata": {"name": "public"},
        "spec": {"controllerName": "example.com/gateway"},
    }
    for body in (stored, namespace, klass):
        api.emulator.put(body)
    state = read(api)
    by_kind = {o["kind"]: o for o in state.objects}
    assert by_kind["HTTPRoute"] == stored
    assert by_kind["HTTPRoute"]["metadata"]["managedFields"][0]["manager"] == "kubectl-edit"
    assert by_kind["HTTPRoute"]["status"]["parents"][0]["conditions"][0]["type"] == "Accepted"
    assert by_kind["Namespace"] == namespace
    assert by_kind["GatewayClass"] == klass
    [page] = api.emulator.requests_for(GATEWAY_GROUP, "httproutes")
    assert page.path == "/apis/gateway.networking.k8s.io/v1/httproutes"  # one cluster-wide list


def test_managed_fields_are_shared_between_objects_across_pages(k8s_api: K8sApiFactory) -> None:
    """Objects written alike hold one managedFields value (sources/managedfields.py), across
    list pages, with their data unchanged."""
    api = k8s_api(channel="standard")
    stored = [route("payments", f"r{i}") for i in range(5)]
    for body in stored:
        api.emulator.put(body)
    state = read(api, page_size=2)
    routes = sorted((o for o in state.objects if o["kind"] == "HTTPRoute"), key=_name)
    assert routes == stored
    assert len({id(r["metadata"]["managedFields"]) for r in routes}) == 1


def _name(body: Body) -> str:
    return str(body["metadata"]["name"])


def test_pagination_follows_continue_tokens(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard")
    names = [("a", "r1"), ("a", "r2"), ("b", "r1"), ("b", "r3"), ("c", "r0")]
    for ns, name in names:
        api.emulator.put(route(ns, name))
    state = read(api, kinds=(HTTPROUTE,), page_size=2)
    assert named(state, "HTTPRoute") == [f"{ns}/{n}" for ns, n in names]
    pages = api.emulator.requests_for(GATEWAY_GROUP, "httproutes")
    assert [p.param("limit") for p in pages] == ["2", "2", "2"]
    assert pages[0].param("continue") is None
    assert all(p.param("continue") for p in pages[1:])


def test_an_expired_continue_token_restarts_the_list(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard")
    for i in range(5):
        api.emulator.put(route("team", f"r{i}"))
    api.emulator.expire_continue(GATEWAY_GROUP, "httproutes", times=1)
    state = read(api, kinds=(HTTPROUTE,), page_size=2)
    assert named(state, "HTTPRoute") == [f"team/r{i}" for i in range(5)]  # each exactly once
    assert HTTPROUTE in state.observed
    pages = api.emulator.requests_for(GATEWAY_GROUP, "httproutes")
    assert [p.param("continue") is None for p in pages] == [True, False, True, False, False]


def test_a_continue_token_that_keeps_expiring_skips_the_kind(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard")
    for i in range(3):
        api.emulator.put(route("team", f"r{i}"))
    api.emulator.expire_continue(GATEWAY_GROUP, "httproutes", times=100)
    state = read(api, kinds=(HTTPROUTE,), page_size=2)
    [skip] = state.skipped
    assert skip.subject == "cluster prod: gateway.networking.k8s.io/HTTPRoute"
    assert skip.reason.startswith("410 Gone")
    assert HTTPROUTE not in state.observed
    assert not named(state, "HTTPRoute")


# -- per-kind failures ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "plural", "status", "subject", "reason"),
    [
        (GATEWAY_GROUP, "httproutes", 403, "gateway.networking.k8s.io/HTTPRoute", "403 Forbidden"),
        (GATEWAY_GROUP, "gateways", 404, "gateway.networking.k8s.io/Gateway", "404 Not Found"),
        ("", "services", 403, "Service", "403 Forbidden"),
        ("", "namespaces", 401, "Namespace", "401 Unauthorized"),
    ],
)
def test_a_forbidden_or_missing_kind_is_skipped_and_the_rest_is_read(
    k8s_api: K8sApiFactory, group: str, plural: str, status: int, subject: str, reason: str
) -> None:
    api = k8s_api(channel="standard")
    api.emulator.put(route("payments", "checkout"))
    api.emulator.put(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "checkout", "namespace": "payments"},
        }
    )
    api.emulator.fail(group, plural, status=status)
    state = read(api)
    [skip] = state.skipped
    assert skip == Skipped(subject=f"cluster prod: {subject}", reason=reason)
    failed = next(gk for gk in state.served if str(gk) == subject)
    assert failed not in state.observed
    assert state.observed == state.served - {failed}
    assert len(api.emulator.requests_for(group, plural)) == 1  # not retried
    assert len(state.crds) == 10


def test_server_errors_are_retried_until_they_pass(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard")
    api.emulator.put(route("payments", "checkout"))
    api.emulator.fail(GATEWAY_GROUP, "httproutes", status=500, times=2)
    state = read(api, retries=3)
    assert state.skipped == ()
    assert named(state, "HTTPRoute") == ["payments/checkout"]
    assert len(api.emulator.requests_for(GATEWAY_GROUP, "httproutes")) == 3


@pytest.mark.parametrize(
    ("status", "retries", "reason"),
    [
        (500, 3, "500 Internal Server Error after 3 attempts"),
        (503, 2, "503 Service Unavailable after 2 attempts"),
    ],
)
def test_server_errors_that_persist_skip_the_kind(
    k8s_api: K8sApiFactory, status: int, retries: int, reason: str
) -> None:
    api = k8s_api(channel="standard")
    api.emulator.fail(GATEWAY_GROUP, "httproutes", status=status)
    state = read(api, retries=retries)
    assert state.skipped == (
        Skipped(subject="cluster prod: gateway.networking.k8s.io/HTTPRoute", reason=reason),
    )
    assert len(api.emulator.requests_for(GATEWAY_GROUP, "httproutes")) == retries
    assert GATEWAY in state.observed


def test_a_slow_kind_is_skipped_as_timeout(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard")
    api.emulator.delay(GATEWAY_GROUP, "httproutes", 5.0)
    started = time.monotonic()
    state = read(api, retries=2, request_timeout=0.3)
    assert time.monotonic() - started < 3.0
    assert state.skipped == (
        Skipped(
            subject="cluster prod: gateway.networking.k8s.io/HTTPRoute",
            reason="timeout after 2 attempts",
        ),
    )
    assert GATEWAY in state.observed


def test_crd_read_failure_is_skipped_as_crd_schemas(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard")
    api.emulator.fail("apiextensions.k8s.io", "customresourcedefinitions", status=403)
    state = read(api)
    assert state.skipped == (Skipped(subject="cluster prod: CRD schemas", reason="403 Forbidden"),)
    assert state.crds == ()
    assert HTTPROUTE in state.observed


# -- secrets --------------------------------------------------------------------------------------

SECRET_BODY: Body = {
    "apiVersion": "v1",
    "kind": "Secret",
    "type": "kubernetes.io/tls",
    "metadata": {
        "name": "tls",
        "namespace": "infra",
        "labels": {"app": "gw"},
        "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": '{"data":{"tls.key":"c2VjcmV0LWtleQ=="}}',
            "team": "infra",
        },
    },
    "data": {"tls.crt": "Y2VydA==", "tls.key": "c2VjcmV0LWtleQ=="},
    "stringData": {"password": "hunter2"},
}


def test_secret_metadata_lists_secrets_as_metadata_only(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard")
    api.emulator.put(SECRET_BODY)
    state = read(api, secret_metadata=True)
    [secret] = [o for o in state.objects if o["kind"] == "Secret"]
    assert secret == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "tls",
            "namespace": "infra",
            "labels": {"app": "gw"},
            "annotations": {"team": "infra"},
        },
    }
    assert "c2VjcmV0LWtleQ" not in repr(state) and "hunter2" not in repr(state)
    assert SECRET in state.observed
    [req] = api.emulator.requests_for("", "secrets")
    assert "as=PartialObjectMetadataList" in req.accept


def test_secrets_are_not_read_without_secret_metadata(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard")
    api.emulator.put(SECRET_BODY)
    state = read(api, kinds=(*default_catalogue(), SECRET))
    assert SECRET not in state.served | state.observed
    assert state.skipped == ()
    assert not [o for o in state.objects if o["kind"] == "Secret"]
    assert api.emulator.requests_for("", "secrets") == []


def test_a_forbidden_secret_list_is_skipped(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard")
    api.emulator.fail("", "secrets", status=403)
    state = read(api, secret_metadata=True)
    assert state.skipped == (Skipped(subject="cluster prod: Secret", reason="403 Forbidden"),)


# -- client configuration and whole-cluster failures ----------------------------------------------


def test_kubeconfig_from_the_environment_and_context(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard", context="prod-admin")
    state = read_cluster(
        name=CLUSTER,
        kinds=(HTTPROUTE,),
        context="prod-admin",
        environ={"KUBECONFIG": str(api.kubeconfig)},
        **FAST,
    )
    assert HTTPROUTE in state.observed


def test_the_bearer_token_is_sent_and_never_logged(
    k8s_api: K8sApiFactory, caplog: pytest.LogCaptureFixture
) -> None:
    api = k8s_api(channel="standard", token="s3cr3t-t0ken")
    api.emulator.fail(GATEWAY_GROUP, "httproutes", status=500)
    with caplog.at_level(logging.DEBUG, logger="auditor"):
        state = read(api, kinds=(HTTPROUTE,), retries=2)
    assert {r.authorization for r in api.emulator.requests} == {"Bearer s3cr3t-t0ken"}
    assert "s3cr3t-t0ken" not in caplog.text + repr(state)
    warning = next(r for r in caplog.records if r.levelno == logging.WARNING)
    assert warning.__dict__["cluster"] == CLUSTER
    assert warning.__dict__["action"] == "list"


def test_a_missing_context_is_a_cluster_error(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard")
    with pytest.raises(ClusterError, match=r"cluster prod: .*no-such-context") as err:
        read(api, context="no-such-context")
    assert err.value.subject == "cluster prod"
    assert err.value.__cause__ is not None


def test_a_missing_kubeconfig_file_is_a_cluster_error(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match=r"cluster prod: .*absent\.yaml"):
        read_cluster(name=CLUSTER, kinds=(), kubeconfig=str(tmp_path / "absent.yaml"), environ={})


def test_in_cluster_config_without_a_service_account_is_a_cluster_error() -> None:
    environ = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    with pytest.raises(ClusterError, match="cluster prod: cannot load in-cluster config"):
        read_cluster(name=CLUSTER, kinds=(), environ=environ)


def test_an_unreachable_api_server_is_a_cluster_error(
    k8s_api: K8sApiFactory, tmp_path: Path
) -> None:
    api = k8s_api(channel=None)
    text = api.kubeconfig.read_text().replace(api.url, f"http://127.0.0.1:{closed_port()}")
    kubeconfig = tmp_path / "unreachable.yaml"
    kubeconfig.write_text(text)
    with pytest.raises(
        ClusterError, match="cluster prod: API discovery failed: connection failed after 2 attempts"
    ) as err:
        read(api, kubeconfig=str(kubeconfig), retries=2)
    assert err.value.subject == "cluster prod"
    assert err.value.transient is True


def test_failing_discovery_is_a_cluster_error(k8s_api: K8sApiFactory) -> None:
    api = k8s_api(channel="standard")
    api.emulator.fail_path("/apis", status=503)
    with pytest.raises(ClusterError, match="503 Service Unavailable after 3 attempts"):
        read(api)
    assert len([r for r in api.emulator.requests if r.path == "/apis"]) == 3
