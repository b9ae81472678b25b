"""The mesh family beyond the scenario catalogue: AM-001 (Git vs live), the run.skipped notes of
meshes that are not installed, the marker settings, and its registration with every command."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.checks.common.settings import PolicySettings
from auditor.checks.families import FAMILIES, check_changes, check_policies, policy_notes
from auditor.checks.mesh import MeshSettings, check_mesh_changes, mesh_notes
from auditor.checks.mesh.index import build_index
from auditor.checks.mesh.istio import admits_only
from auditor.keys import key_of
from auditor.kinds import BUILTIN_KINDS, MESH_KINDS
from auditor.model import ClusterState, KubeObject, Origin, Severity, Skipped, View

ISTIO = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "istio", "namespace": "istio-system"},
    "data": {
        "mesh": "defaultConfig: {}\nrootNamespace: 'istio-config'  # moved\ntrustDomain: corp\n"
    },
}
ORIGIN = Origin(repository="gitops", commit="0" * 40, path="ns.yaml", line=1)


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def state(
    *bodies: dict[str, Any], view: View = View.LIVE, origin: Origin | None = None
) -> ClusterState:
    objects = {}
    for body in bodies:
        key = key_of(body)
        objects[key] = KubeObject(
            key=key, body=body, origin=origin if body["kind"] == "Namespace" else None
        )
    return ClusterState(
        cluster="prod",
        view=view,
        objects=objects,
        observed=frozenset(BUILTIN_KINDS | set(MESH_KINDS)),
    )


def test_am_001_ambient_in_git_but_not_live() -> None:
    live = state(
        ISTIO,
        namespace("shop"),
        namespace("pay", **{"istio.io/dataplane-mode": "none"}),
        namespace("ok", **{"istio.io/dataplane-mode": "ambient"}),
    )
    ambient = {"istio.io/dataplane-mode": "ambient"}
    git = state(
        ISTIO,
        namespace("shop", **ambient),
        namespace("pay", **ambient),
        namespace("ok", **ambient),
        namespace("new", **ambient),  # missing live altogether: DR-001, not AM-001
        view=View.GIT,
        origin=ORIGIN,
    )
    found = check_mesh_changes(live, git, settings=MeshSettings())
    assert [(f.check, f.object.name if f.object else None, f.severity, f.view) for f in found] == [
        ("PDA-AM-001", "pay", Severity.CRITICAL, View.GIT),
        ("PDA-AM-001", "shop", Severity.CRITICAL, View.GIT),
    ]
    assert "is none" in found[0].message and "is missing" in found[1].message
    assert found[0].origin == ORIGIN


def test_am_001_needs_istio_live_and_a_git_origin() -> None:
    ambient = {"istio.io/dataplane-mode": "ambient"}
    git = state(ISTIO, namespace("shop", **ambient), view=View.GIT, origin=ORIGIN)
    assert check_mesh_changes(state(namespace("shop")), git, settings=MeshSettings()) == []
    live_only = state(ISTIO, namespace("shop", **ambient), view=View.GIT)
    assert (
        check_mesh_changes(state(ISTIO, namespace("shop")), live_only, settings=MeshSettings())
        == []
    )
    disabled = MeshSettings(disabled=frozenset({"PDA-AM-001"}))
    assert check_mesh_changes(state(ISTIO, namespace("shop")), git, settings=disabled) == []


def test_notes_name_every_mesh_that_is_not_installed() -> None:
    assert mesh_notes(state()) == [
        Skipped(
            subject="cluster prod: istio checks",
            reason="mesh not installed (no ConfigMap istio-system/istio)",
            partial=False,
        ),
        Skipped(
            subject="cluster prod: cilium checks",
            reason="mesh not installed (no ConfigMap kube-system/cilium-config)",
            partial=False,
        ),
        Skipped(
            subject="cluster prod: linkerd checks",
            reason="mesh not installed (no ConfigMap linkerd/linkerd-config)",
            partial=False,
        ),
    ]
    cilium = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cilium-config", "namespace": "kube-system"},
        "data": {"enable-policy": "never"},
    }
    notes = mesh_notes(state(ISTIO, cilium))
    assert [n.subject for n in notes] == [
        "cluster prod: linkerd checks",
        "cluster prod: cilium checks",
    ]
    assert "enable-policy: never" in notes[1].reason


def test_marker_settings_are_read_from_the_mesh_config() -> None:
    meshes = build_index(state(ISTIO)).meshes
    assert (meshes.istio, meshes.cilium, meshes.linkerd) == (True, False, False)
    assert (meshes.root_namespace, meshes.trust_domain) == ("istio-config", "corp")
    assert build_index(state()).meshes.root_namespace == "istio-system"


def test_the_mesh_family_is_registered_for_every_command() -> None:
    assert [f.name for f in FAMILIES] == ["gateway", "mesh"]
    permissive = {
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": {"name": "default", "namespace": "istio-system"},
        "spec": {"mtls": {"mode": "PERMISSIVE"}},
    }
    live = state(ISTIO, permissive, namespace("shop"))
    found = check_policies(live, PolicySettings())
    assert [f.check for f in found] == ["PDA-MT-001"]
    assert [n.subject for n in policy_notes(live)] == [
        "cluster prod: cilium checks",
        "cluster prod: linkerd checks",
    ]
    git = state(
        ISTIO,
        permissive,
        namespace("shop", **{"istio.io/dataplane-mode": "ambient"}),
        view=View.GIT,
        origin=ORIGIN,
    )
    assert [f.check for f in check_changes(live, git, PolicySettings())] == ["PDA-AM-001"]


def test_an_unreadable_mesh_leaves_its_checks_unevaluated() -> None:
    from auditor import catalog, checkinputs
    from auditor.keys import GroupKind

    istio_unread = checkinputs.evaluable(
        unread=frozenset({GroupKind("security.istio.io", "AuthorizationPolicy")})
    )
    assert istio_unread is not None
    istio = {c for c in catalog.CHECKS if c[4:6] in ("AZ", "MT", "AM")}
    assert istio and not istio & istio_unread
    assert {"PDA-CI-002", "PDA-LK-002", "PDA-RT-001"} <= istio_unread
    pods_unread = checkinputs.evaluable(unread=frozenset({GroupKind("", "Pod")}))
    assert pods_unread is not None
    assert {"PDA-AZ-001", "PDA-AZ-008", "PDA-AM-004", "PDA-CI-002"}.isdisjoint(pods_unread)
    assert "PDA-MT-001" in pods_unread


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([], False),  # admits no one, so not "only the waypoint" either
        ([{"to": [{"operation": {"ports": ["8080"]}}]}], False),  # any source
        ([{"from": [{"source": {"namespaces": ["shop"]}}]}], False),
        (
            [{"from": [{"source": {"principals": ["td/ns/shop/sa/waypoint", "td/ns/x/sa/y"]}}]}],
            False,
        ),
        ([{"from": [{"source": {"principals": ["td/ns/shop/sa/waypoint"]}}]}], True),
        ([{"from": [{"source": {"serviceAccounts": ["shop/waypoint"]}}]}], True),
    ],
)
def test_admits_only_the_waypoint(rules: list[Any], expected: bool) -> None:
    assert admits_only({"spec": {"rules": rules}}, "td/ns/shop/sa/waypoint") is expected
