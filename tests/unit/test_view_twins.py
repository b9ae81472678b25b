"""A Git object that drift found the same as its live twin shares the twin's per-object parses
in the git view (``overlay_state(same=...)``): computed once, with the same findings."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from auditor.checks.drift import DriftSettings, check_drift
from auditor.checks.evaluate import build_state, overlay_state
from auditor.checks.gateway import GatewaySettings, check_gateway
from auditor.checks.gateway.refs import route_parent_refs
from auditor.keys import ResourceKey, key_of
from auditor.model import Body, ClusterState, KubeObject, Origin, View
from auditor.normalize import DefaultedViews
from tests.unit.test_drift_checks import standard

GW = "gateway.networking.k8s.io"


def route(name: str, *, port: Any = 443, api: str = f"{GW}/v1", **extra: Any) -> Body:
    return {
        "apiVersion": api,
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {
            "parentRefs": [{"name": "public", "namespace": "infra", "port": port}],
            "hostnames": ["shop.example.com"],
            "rules": [{"backendRefs": [{"name": "web", "port": 8080}]}],
            **extra,
        },
    }


def as_live(body: Body) -> Body:
    """What an API server returns for ``body``: server metadata and status added."""
    out = copy.deepcopy(body)
    out["metadata"].update(uid=f"uid-{body['metadata']['name']}", resourceVersion="7")
    out["status"] = {"parents": []}
    return out


GATEWAY: Body = {
    "apiVersion": f"{GW}/v1",
    "kind": "Gateway",
    "metadata": {"name": "public", "namespace": "infra"},
    "spec": {
        "gatewayClassName": "public",
        "listeners": [
            {
                "name": "https",
                "port": 443,
                "protocol": "HTTPS",
                "allowedRoutes": {"namespaces": {"from": "All"}},
            }
        ],
    },
}


def views_of(
    desired: list[Body], live: list[Body], *, share: bool = True
) -> tuple[ClusterState, ClusterState, dict[ResourceKey, Body]]:
    origin = Origin(repository="gitops", commit="c", path="apps/shop.yaml", line=1)
    wanted = [KubeObject(key=key_of(b), body=b, origin=origin) for b in desired]
    current = [KubeObject(key=key_of(b), body=b) for b in live]
    schemas, views = standard(), DefaultedViews()
    observed = frozenset(o.key.group_kind for o in (*wanted, *current))
    same: dict[ResourceKey, Body] = {}
    check_drift(
        cluster="prod",
        desired=wanted,
        live=current,
        observed=observed,
        schemas=schemas,
        settings=DriftSettings(),
        views=views,
        same=same,
    )
    live_view = build_state("prod", View.LIVE, current, (), schemas, observed, views=views)
    shared = same if share else None
    git_view = overlay_state(live_view, View.GIT, wanted, schemas, views=views, same=shared)
    return live_view, git_view, same


def key(name: str) -> ResourceKey:
    return ResourceKey(GW, "HTTPRoute", "shop", name)


def test_a_route_unchanged_in_git_shares_its_parses_with_its_live_twin() -> None:
    desired = [route("same"), route("changed", port=8443)]
    live_view, git_view, same = views_of(
        desired, [as_live(route("same")), as_live(route("changed"))]
    )
    assert set(same) == {key("same")}
    twin, mine = live_view.objects[key("same")], git_view.objects[key("same")]
    assert mine.parsed is twin.parsed
    assert mine.origin is not None and twin.origin is None  # the git view keeps Git's origin
    assert route_parent_refs(twin) is route_parent_refs(mine)  # parsed once
    other = git_view.objects[key("changed")]
    assert other.parsed is not live_view.objects[key("changed")].parsed
    assert [p.port for p in route_parent_refs(other)] == [8443]


def test_what_drift_compares_differently_from_the_views_is_never_a_twin() -> None:
    desired = [
        route("typed", port=443.0),  # equal to 443 in Python, not in JSON
        route("versioned", api=f"{GW}/v1beta1"),
        route("pruned", unknownField=True),  # the CRD schema prunes it: drift compares without
    ]
    live = [as_live(route("typed")), as_live(route("versioned")), as_live(route("pruned"))]
    _, _, same = views_of(desired, live)
    assert same == {}


def test_a_key_declared_twice_shares_only_with_the_body_drift_compared() -> None:
    first, second = route("dup"), route("dup", port=8443)
    live_view, git_view, same = views_of([second, first], [as_live(route("dup"))])
    assert same == {}  # drift compares the first declaration (port 8443): drifted
    live_view, git_view, same = views_of([first, second], [as_live(route("dup"))])
    assert same[key("dup")] is first
    shown = git_view.objects[key("dup")]  # the git view applies the last declaration
    assert shown.parsed is not live_view.objects[key("dup")].parsed
    assert [p.port for p in route_parent_refs(shown)] == [8443]


def test_sharing_changes_no_finding() -> None:
    desired = [route(f"r{i}", port=443 if i % 2 else 80) for i in range(6)]
    live = [GATEWAY, *(as_live(route(f"r{i}")) for i in range(6))]
    settings = GatewaySettings(teams=(), disabled=frozenset(), now=datetime(2026, 1, 1, tzinfo=UTC))
    found = []
    for share in (True, False):
        live_view, git_view, same = views_of(desired, live, share=share)
        assert len(same) == 3
        check_gateway(live_view, settings=settings)  # the live view parses first, as in an audit
        found.append(check_gateway(git_view, settings=settings))
    assert found[0] == found[1]
    assert found[0]  # the port-80 routes find no listener
