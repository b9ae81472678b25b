"""Shape of the Gateway findings: catalogue fields, view, cluster, origin, teams, determinism."""

from __future__ import annotations

from typing import Any

from auditor.checks.gateway import GatewaySettings, check_gateway
from auditor.keys import key_of
from auditor.kinds import BUILTIN_KINDS, GATEWAY_KINDS
from auditor.model import Category, ClusterState, KubeObject, Origin, Severity, TeamPolicy, View

GATEWAY = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "Gateway",
    "metadata": {"name": "gw", "namespace": "infra"},
    "spec": {"listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]},
}
ROUTE = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "HTTPRoute",
    "metadata": {"name": "web", "namespace": "app"},
    "spec": {"parentRefs": [{"name": "gw", "namespace": "infra"}]},
}
ORIGIN = Origin(repository="gitops", commit="abc", path="app/route.yaml", line=1)


def state(*bodies: dict[str, Any], view: View = View.GIT) -> ClusterState:
    objects = {}
    for body in bodies:
        key = key_of(body)
        objects[key] = KubeObject(key=key, body=body, origin=ORIGIN if body is ROUTE else None)
    return ClusterState(
        cluster="prod",
        view=view,
        objects=objects,
        observed=frozenset(BUILTIN_KINDS | set(GATEWAY_KINDS)),
    )


def test_finding_fields_follow_catalogue_and_state() -> None:
    [finding] = check_gateway(state(GATEWAY, ROUTE), settings=GatewaySettings())
    assert finding.check == "PDA-RT-002"
    assert finding.category == Category.UNAUTHORIZED_ATTACHMENT
    assert finding.severity == Severity.MEDIUM
    assert (finding.view, finding.cluster, finding.origin) == (View.GIT, "prod", ORIGIN)
    assert finding.team is None and finding.other_team is None
    assert finding.ref is not None and finding.ref.as_dict() == {
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "namespace": "infra",
        "name": "gw",
    }
    assert "app" in finding.message and "http" in finding.message and "Same" in finding.message


def test_teams_and_other_team() -> None:
    teams = (
        TeamPolicy(name="apps", namespaces=("app",)),
        TeamPolicy(name="platform", namespaces=("infra",)),
    )
    [finding] = check_gateway(state(GATEWAY, ROUTE), settings=GatewaySettings(teams=teams))
    assert (finding.team, finding.other_team) == ("apps", "platform")


def test_deterministic_and_malformed_input_tolerated() -> None:
    broken = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "bad", "namespace": "app"},
        "spec": {"parentRefs": "nope", "rules": [None, {"backendRefs": [7]}]},
    }
    broken_gw = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "bad", "namespace": "infra"},
        "spec": {"listeners": None, "tls": 5},
    }
    grant = {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"name": "g", "namespace": "infra"},
        "spec": {"from": [{}], "to": None},
    }
    s = state(GATEWAY, ROUTE, broken, broken_gw, grant, view=View.LIVE)
    first = check_gateway(s, settings=GatewaySettings())
    second = check_gateway(s, settings=GatewaySettings())
    assert [f.id for f in first] == [f.id for f in second]
    assert {f.check for f in first} >= {"PDA-RT-002", "PDA-BE-001"}
