"""Findings of a cluster or team that left the config are resolved once, as ``out of scope``
(issue 9, 4b), on SQLite and PostgreSQL; and ``auditor runs`` says so once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor import cli
from auditor.model import RunStatus
from auditor.store import EventType, RunScope, Store
from tests.e2e.test_audit_snapshot import ROUTE, snapshot
from tests.gitrepo import GitRemote
from tests.integration.db_fixtures import audit_run, coverage, finding

BOTH = frozenset({"prod", "lab"})


def scope(clusters: frozenset[str], teams: frozenset[str]) -> RunScope:
    return RunScope(
        clusters=frozenset({"prod"}), configured_clusters=clusters, configured_teams=teams
    )


def test_removed_cluster_and_team_resolve_once(store: Store) -> None:
    prod_shop = finding("a", cluster="prod", team="shop")
    lab_shop = finding("b", cluster="lab", team="shop")
    prod_pay = finding("c", cluster="prod", team="payments")
    unowned = finding("d", cluster="prod", team=None)
    teams = frozenset({"shop", "payments"})
    store.record_run(
        audit_run("r1", "2026-11-01T10:00:00", [prod_shop, lab_shop, prod_pay, unowned]),
        scope=RunScope(clusters=BOTH, configured_clusters=BOTH, configured_teams=teams),
    )

    second = store.record_run(
        audit_run(
            "r2",
            "2026-11-02T10:00:00",
            [prod_shop, prod_pay, unowned],
            status=RunStatus.PARTIAL,
            cover=[coverage("prod", "shop", git_ok=False), coverage("prod", "payments")],
        ),
        scope=scope(frozenset({"prod"}), frozenset({"shop"})),
    )
    assert sorted(second.ids(EventType.RESOLVED)) == sorted([lab_shop.id, prod_pay.id])
    by_id = {e.finding_id: e.finding["resolution"] for e in second.events}
    assert by_id[lab_shop.id] == "out of scope: cluster lab is no longer configured"
    assert by_id[prod_pay.id] == "out of scope: team payments is no longer configured"
    stored = store.get(prod_pay.id)
    assert stored is not None and stored.status == "resolved"
    assert stored.events[-1].detail["resolution"].startswith("out of scope")
    (run,) = [r for r in store.runs() if r.id == "r2"]
    assert {s.reason for s in run.skipped if s.subject == "out of scope"} == {
        "cluster lab is no longer configured: 1 open finding(s) resolved",
        "team payments is no longer configured: 1 open finding(s) resolved",
    }
    assert run.counts.resolved == 2
    assert store.get(unowned.id).status == "open", "no team is not an unconfigured team"  # type: ignore[union-attr]

    third = store.record_run(
        audit_run("r3", "2026-11-03T10:00:00", [prod_shop, unowned]),
        scope=scope(frozenset({"prod"}), frozenset({"shop"})),
    )
    assert third.events == ()
    (run,) = [r for r in store.runs() if r.id == "r3"]
    assert not [s for s in run.skipped if s.subject == "out of scope"], "said once"


def test_without_the_configured_sets_nothing_is_out_of_scope(store: Store) -> None:
    lab = finding("b", cluster="lab", team="shop")
    store.record_run(audit_run("r1", "2026-11-01T10:00:00", [lab]), scope=RunScope(clusters=BOTH))
    result = store.record_run(
        audit_run("r2", "2026-11-02T10:00:00", []), scope=RunScope(clusters=frozenset({"prod"}))
    )
    assert result.events == ()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_auditor_runs_says_so_after_a_cluster_leaves_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str
) -> None:
    remote = GitRemote.create(tmp_path / "repo")
    remote.commit({"prod/web.yaml": ROUTE, "lab/web.yaml": ROUTE})
    (tmp_path / "live.yaml").write_text(snapshot(7))
    config = tmp_path / "auditor.yaml"

    def write(clusters: str) -> None:
        config.write_text(
            f"""
database: {{url: "sqlite:///{tmp_path / "h.db"}"}}
git: {{cache_dir: {tmp_path / "cache"}}}
clusters: {clusters}
repositories: [{{name: r, url: "{remote.url}"}}]
teams:
  - name: shop
    namespace_selector: {{owner: shop}}
    sources: [{{repository: r, paths: ["{{cluster}}/*.yaml"]}}]
"""
        )

    write("[{name: prod, snapshot: live.yaml}, {name: lab, snapshot: live.yaml}]")
    assert cli.main(["audit", "--config", str(config)]) == 1
    write("[{name: prod, snapshot: live.yaml}]")
    assert cli.main(["audit", "--config", str(config)]) == 1
    capsys.readouterr()
    assert cli.main(["runs", "--config", str(config)]) == 0
    assert capsys.readouterr().out.count("out of scope") == 1, "in full, once (the cell wraps)"
    assert cli.main(["runs", "--config", str(config), "--format", "json"]) == 0
    notes = [
        s
        for run in json.loads(capsys.readouterr().out)["runs"]
        for s in run["skipped"]
        if s["subject"] == "out of scope"
    ]
    assert [n["reason"] for n in notes] == [
        "cluster lab is no longer configured: 1 open finding(s) resolved"
    ]
