"""PDA-RG-009: a Git change removes or narrows a ReferenceGrant that live references depend on.

Two ClusterStates per test: ``live`` with the grants the cluster has today, ``git`` with the
cluster as Git would make it. The last test runs the wiring in ``evaluate_cluster``.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from auditor.checks.drift import DriftSettings
from auditor.checks.evaluate import evaluate_cluster
from auditor.checks.gateway import GatewaySettings, check_grant_changes
from auditor.keys import GroupKind, key_of
from auditor.kinds import BUILTIN_KINDS, GATEWAY_KINDS
from auditor.model import (
    Category,
    ClusterState,
    Finding,
    KubeObject,
    LiveState,
    Origin,
    Ref,
    Severity,
    TeamPolicy,
    View,
)
from tests.collector import cyclic_garbage

GW = "gateway.networking.k8s.io"
GRANT_KIND = GroupKind(GW, "ReferenceGrant")
OBSERVED = frozenset(BUILTIN_KINDS) | frozenset(GATEWAY_KINDS)
TEAMS = (
    TeamPolicy(name="web", namespaces=("app",)),
    TeamPolicy(name="data", namespaces=("backend",)),
)
SETTINGS = GatewaySettings(teams=TEAMS)
GIT_ORIGIN = Origin(repository="gitops", commit="a" * 40, path="backend/grants.yaml", line=1)


def route(name: str, *backends: tuple[str, str], namespace: str = "app") -> dict[str, Any]:
    refs = [{"name": n, "namespace": ns, "port": 8080} for ns, n in backends]
    return {
        "apiVersion": f"{GW}/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "parentRefs": [{"name": "gw", "namespace": "app"}],
            "rules": [{"backendRefs": refs}],
        },
    }


def grant(
    name: str = "to-backend",
    *,
    kind: str = "HTTPRoute",
    from_ns: str = "app",
    to_kind: str = "Service",
    to_name: str | None = None,
    namespace: str = "backend",
) -> dict[str, Any]:
    to: dict[str, Any] = {"group": "", "kind": to_kind}
    if to_name is not None:
        to["name"] = to_name
    return {
        "apiVersion": f"{GW}/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"from": [{"group": GW, "kind": kind, "namespace": from_ns}], "to": [to]},
    }


def gateway(*certs: tuple[str, str]) -> dict[str, Any]:
    listeners: list[dict[str, Any]] = [{"name": "http", "port": 80, "protocol": "HTTP"}]
    if certs:
        refs = [{"name": n, "namespace": ns} for ns, n in certs]
        listeners.append(
            {"name": "https", "port": 443, "protocol": "HTTPS", "tls": {"certificateRefs": refs}}
        )
    return {
        "apiVersion": f"{GW}/v1",
        "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": "app"},
        "spec": {"gatewayClassName": "example", "listeners": listeners},
    }


def state(
    view: View, *bodies: dict[str, Any], origin: Origin | None = None, grants_read: bool = True
) -> ClusterState:
    objects = {}
    for body in bodies:
        obj = KubeObject(key=key_of(body), body=copy.deepcopy(body), origin=origin)
        objects[obj.key] = obj
    observed = OBSERVED if grants_read else OBSERVED - {GRANT_KIND}
    return ClusterState(cluster="prod", view=view, objects=objects, observed=observed)


BASE = (
    gateway(),
    route("web", ("backend", "api"), ("backend", "db")),
    route("shop", ("backend", "api")),
)


def changes(
    live_grants: list[dict[str, Any]],
    git_grants: list[dict[str, Any]],
    *,
    base: tuple[dict[str, Any], ...] = BASE,
    git_base: tuple[dict[str, Any], ...] | None = None,
    settings: GatewaySettings = SETTINGS,
) -> list[Finding]:
    live = state(View.LIVE, *base, *live_grants)
    git = state(View.GIT, *(base if git_base is None else git_base), *git_grants, origin=GIT_ORIGIN)
    return check_grant_changes(live, git, settings=settings)


def pairs(found: list[Finding]) -> list[tuple[str, str]]:
    out = []
    for f in found:
        assert f.object is not None and f.ref is not None
        out.append((f.object.name, f.ref.name))
    return sorted(out)


def test_removed_grant_breaks_every_reference_once() -> None:
    found = changes([grant()], [])
    assert pairs(found) == [("shop", "api"), ("web", "api"), ("web", "db")]
    first = next(f for f in found if f.object is not None and f.object.name == "web")
    assert first.check == "PDA-RG-009"
    assert first.view == View.GIT and first.cluster == "prod"
    assert first.category == Category.MISSING_REFERENCEGRANT and first.severity == Severity.HIGH
    assert first.reason == "RefNotPermitted"
    assert first.team == "web" and first.other_team == "data"
    assert first.ref == Ref(group="", kind="Service", namespace="backend", name="api")
    assert first.origin is None  # the grant has no Git version to point at
    assert "backend/to-backend (absent in Git)" in first.message


def test_grant_narrowed_to_another_name_breaks_only_that_reference() -> None:
    found = changes([grant()], [grant(to_name="api")])
    assert pairs(found) == [("web", "db")]
    assert found[0].origin == GIT_ORIGIN
    assert "backend/to-backend (changed in Git)" in found[0].message


def test_grant_from_namespace_changed_breaks_all() -> None:
    found = changes([grant()], [grant(from_ns="shop-ns")])
    assert pairs(found) == [("shop", "api"), ("web", "api"), ("web", "db")]
    assert {f.origin for f in found} == {GIT_ORIGIN}


def test_still_matching_git_grant_raises_nothing() -> None:
    widened = grant()
    widened["spec"]["from"].append({"group": GW, "kind": "GRPCRoute", "namespace": "app"})
    assert changes([grant()], [widened]) == []
    assert changes([grant()], [grant()]) == []
    # Another grant in Git still permits everything the removed one did.
    assert changes([grant(), grant("spare")], [grant("spare")]) == []


def test_same_namespace_references_need_no_grant() -> None:
    base = (gateway(), route("local", ("backend", "api"), namespace="backend"))
    assert changes([grant()], [], base=base) == []


def test_grant_change_that_no_live_reference_uses_raises_nothing() -> None:
    live = [
        grant(),
        grant("grpc", kind="GRPCRoute"),
        grant("secret", kind="Gateway", to_kind="Secret"),
    ]
    assert changes(live, [grant()]) == []
    assert changes(live, [grant(), grant("grpc", kind="GRPCRoute", to_name="x")]) == []


def test_only_references_the_live_cluster_permits_count() -> None:
    # web -> db is refused live already (RG-001), so losing the grant breaks only the api refs.
    assert changes([], []) == []
    assert pairs(changes([grant(to_name="api")], [])) == [("shop", "api"), ("web", "api")]


def test_git_dropping_the_reference_with_the_grant_breaks_nothing() -> None:
    git_base = (gateway(), route("web", ("app", "api")), route("shop", ("backend", "api")))
    found = changes([grant()], [], git_base=git_base)
    assert pairs(found) == [("shop", "api")]


def test_mesh_only_routes_need_no_grant() -> None:
    mesh = route("mesh", ("backend", "api"))
    mesh["spec"]["parentRefs"] = [{"group": "", "kind": "Service", "name": "front"}]
    assert changes([grant()], [], base=(mesh,)) == []


def test_listener_certificate_reference() -> None:
    base = (gateway(("certs", "web-cert")),)
    live = [grant("gw-cert", kind="Gateway", to_kind="Secret", namespace="certs")]
    git = [grant("gw-cert", kind="Gateway", to_kind="Secret", to_name="other", namespace="certs")]
    found = changes(live, git, base=base)
    assert pairs(found) == [("gw", "web-cert")]
    assert found[0].listener == "https" and found[0].other_team is None
    assert found[0].object is not None and found[0].object.kind == "Gateway"


def test_disabled_or_unread_grants_raise_nothing() -> None:
    off = GatewaySettings(teams=TEAMS, disabled=frozenset({"PDA-RG-009"}))
    assert changes([grant()], [], settings=off) == []
    live = state(View.LIVE, *BASE, grant(), grants_read=False)
    git = state(View.GIT, *BASE, grants_read=False)
    assert check_grant_changes(live, git, settings=SETTINGS) == []


def test_evaluate_cluster_reports_a_narrowing_git_change_in_the_git_view() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "api", "namespace": "backend"},
    }
    live_bodies = (*BASE, grant(), service)
    narrowed = grant(to_name="db")
    desired = [KubeObject(key=key_of(narrowed), body=narrowed, origin=GIT_ORIGIN)]
    result = evaluate_cluster(
        live=LiveState(
            cluster="prod", objects=live_bodies, crds=(), observed=OBSERVED, served=OBSERVED
        ),
        desired=desired,
        teams=TEAMS,
        drift=DriftSettings(),
        disabled=frozenset(),
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert not [f for f in result.live if f.check == "PDA-RG-009"]
    broken = [f for f in result.git if f.check == "PDA-RG-009"]
    assert pairs(broken) == [("shop", "api"), ("web", "api")]
    assert {f.origin for f in broken} == {GIT_ORIGIN}


def test_evaluate_cluster_leaves_no_view_for_the_cyclic_collector() -> None:
    """The views' memoised indexes refer back to their state; evaluate_cluster drops them, so a
    finished view is freed by reference counting (the collector is paused during an audit)."""
    narrowed = grant(to_name="db")
    desired = [KubeObject(key=key_of(narrowed), body=narrowed, origin=GIT_ORIGIN)]
    assert (
        cyclic_garbage(
            lambda: evaluate_cluster(
                live=LiveState(
                    cluster="prod",
                    objects=(*BASE, grant()),
                    crds=(),
                    observed=OBSERVED,
                    served=OBSERVED,
                ),
                desired=desired,
                teams=TEAMS,
                drift=DriftSettings(),
                disabled=frozenset(),
                now=datetime(2026, 1, 1, tzinfo=UTC),
            ),
            ClusterState,
        )
        == []
    )
