"""Ownership (teams.py) and the pure post-processing of findings (findings.py)."""

from __future__ import annotations

import dataclasses

from auditor.findings import (
    apply_config,
    assign_teams,
    at_or_above,
    dedupe,
    merge_views,
    with_team_filter,
)
from auditor.keys import ResourceKey
from auditor.model import Category, Finding, Ref, Severity, TeamPolicy, View
from auditor.teams import namespace_labels, team_of, team_of_namespace

PAYMENTS = TeamPolicy(name="payments", namespaces=("payments", "payments-*"))
SHOP = TeamPolicy(name="shop", namespace_selector={"team": "shop"})
PLATFORM = TeamPolicy(name="platform", namespaces=("infra",), cluster_scoped=True)
TEAMS = (PAYMENTS, SHOP, PLATFORM)
LABELS = namespace_labels(
    [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "web", "labels": {"team": "shop"}},
        },
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ignored"}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": "broken"},
    ]
)


def key(
    namespace: str, kind: str = "HTTPRoute", group: str = "gateway.networking.k8s.io"
) -> ResourceKey:
    return ResourceKey(group, kind, namespace, "x")


def finding(
    obj: ResourceKey | None, *, check: str = "PDA-DR-003", view: View = View.LIVE, **kw: object
) -> Finding:
    return Finding(
        check=check,
        category=Category.DRIFT,
        severity=Severity.MEDIUM,
        view=view,
        cluster="prod",
        object=obj,
        message="m",
        **kw,  # type: ignore[arg-type]
    )


def test_namespace_labels_add_the_implicit_name_label() -> None:
    assert LABELS == {
        "web": {"team": "shop", "kubernetes.io/metadata.name": "web"},
        "other": {"kubernetes.io/metadata.name": "other"},
    }


def test_owner_by_name_glob_selector_and_cluster_scope() -> None:
    assert team_of_namespace("payments-eu", TEAMS, LABELS) is PAYMENTS
    assert team_of_namespace("web", TEAMS, LABELS) is SHOP
    assert team_of_namespace("other", TEAMS, LABELS) is None
    assert team_of_namespace("unknown-ns", TEAMS, LABELS) is None
    assert team_of(key("", "GatewayClass"), TEAMS, LABELS) is PLATFORM
    assert team_of(ResourceKey("", "Namespace", "", "payments"), TEAMS, LABELS) is PAYMENTS
    assert team_of(ResourceKey("", "Namespace", "", "other"), TEAMS, LABELS) is PLATFORM
    assert team_of(key("", "GatewayClass"), (PAYMENTS,), LABELS) is None


def test_assign_teams_drops_unowned_and_keeps_source_findings() -> None:
    owned = finding(key("payments"))
    unowned = finding(key("other"))
    source = finding(None, check="PDA-SRC-001", team="shop")
    orphan = finding(None, check="PDA-SRC-001")
    out = assign_teams([owned, unowned, source, orphan], teams=TEAMS, labels=LABELS)
    assert [(f.object, f.team) for f in out] == [(owned.object, "payments"), (None, "shop")]


def test_merge_views_reports_a_git_finding_only_when_live_does_not_show_it() -> None:
    ref = Ref(group="", kind="Service", namespace="a", name="b")
    live = finding(key("payments"), check="PDA-RG-001", ref=ref)
    same_in_git = dataclasses.replace(live, view=View.GIT)
    new_in_git = finding(key("shop"), check="PDA-RG-001", view=View.GIT, ref=ref)
    merged = merge_views([live], [same_in_git, new_in_git, new_in_git])
    assert merged == [live, new_in_git]


def test_config_overrides_filters_and_thresholds() -> None:
    a = finding(key("payments"), team="payments")
    b = finding(key("shop"), check="PDA-HN-005", team="shop", other_team="payments")
    c = finding(key("web"), check="PDA-RG-004", team="shop")
    out = apply_config(
        [a, b, c], disabled=frozenset({"PDA-HN-005"}), severities={"PDA-RG-004": Severity.INFO}
    )
    assert [(f.check, f.severity) for f in out] == [
        ("PDA-DR-003", Severity.MEDIUM),
        ("PDA-RG-004", Severity.INFO),
    ]
    assert at_or_above(out, Severity.LOW) == [a]
    assert with_team_filter([a, b, c], frozenset({"payments"})) == [a, b]
    assert with_team_filter([a, b], None) == [a, b]
    assert dedupe([a, a, b]) == [a, b]


def test_the_api_server_owns_the_metadata_name_label() -> None:
    labels = namespace_labels(
        [
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "a", "labels": {"kubernetes.io/metadata.name": "b"}},
            }
        ]
    )
    assert labels == {"a": {"kubernetes.io/metadata.name": "a"}}


def test_owner_memo_follows_the_teams_and_labels_it_was_built_for() -> None:
    from auditor.teams import team_of_namespace

    a = (TeamPolicy(name="a", namespaces=("web",)),)
    b = (TeamPolicy(name="b", namespaces=("web*",)),)
    sel = (TeamPolicy(name="s", namespace_selector={"owner": "s"}),)
    assert [team_of_namespace("web", t, {}) for t in (a, b, a)] == [a[0], b[0], a[0]]
    assert team_of_namespace("web", sel, {}) is None
    assert team_of_namespace("web", sel, {"web": {"owner": "s"}}) == sel[0]
    assert team_of_namespace("web", list(b), {}) == b[0]  # a list is not memoised


def test_owner_lookup_picks_the_first_team_in_config_order_like_a_scan() -> None:
    """Exact names, globs and selectors compete by team order, as the plain scan decides."""
    from hypothesis import given
    from hypothesis import strategies as st

    from auditor.teams import _scan

    names = st.sampled_from(["web", "web-1", "api", "w?b", "web*", "[wa]*", "*"])
    team = st.builds(
        lambda i, ns, sel: TeamPolicy(
            name=f"t{i}", namespaces=tuple(ns), namespace_selector={"o": "x"} if sel else {}
        ),
        st.integers(0, 99),
        st.lists(names, max_size=3),
        st.booleans(),
    )

    @given(
        teams=st.lists(team, max_size=5), namespace=st.sampled_from(["web", "web-1", "api", "z"])
    )
    def agree(teams: list[TeamPolicy], namespace: str) -> None:
        labels = {"api": {"o": "x"}, "z": {"o": "x"}}
        assert team_of_namespace(namespace, tuple(teams), labels) == _scan(namespace, teams, labels)

    agree()
