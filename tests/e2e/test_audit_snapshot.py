"""``audit`` against snapshot files: the configured snapshot, ``--live-snapshot`` overrides, a
broken snapshot (partial run naming the file), ownership by namespace_selector, and --team."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor import cli
from tests.gitrepo import GitRemote

ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: web}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: web}
spec:
  gatewayClassName: x
  listeners: [{name: http, port: 80, protocol: HTTP}]
"""


def snapshot(weight: int, *, extra: str = "") -> str:
    return f"""\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Namespace
    metadata: {{name: web, labels: {{owner: shop}}}}
  - apiVersion: v1
    kind: Service
    metadata: {{name: web, namespace: web}}
    spec: {{ports: [{{port: 80}}]}}
  - apiVersion: gateway.networking.k8s.io/v1
    kind: Gateway
    metadata: {{name: gw, namespace: web}}
    spec:
      gatewayClassName: x
      listeners: [{{name: http, port: 80, protocol: HTTP, allowedRoutes: {{namespaces: {{from: Same}}}}}}]
  - apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata: {{name: web, namespace: web}}
    spec:
      parentRefs: [{{group: gateway.networking.k8s.io, kind: Gateway, name: gw}}]
      rules:
        - matches: [{{path: {{type: PathPrefix, value: /}}}}]
          backendRefs: [{{group: "", kind: Service, name: web, port: 80, weight: {weight}}}]
{extra}"""


def write_config(root: Path, remote: GitRemote) -> str:
    config = root / "auditor.yaml"
    config.write_text(
        f"""
git: {{cache_dir: {root / "cache"}}}
clusters: [{{name: prod, snapshot: live.yaml}}, {{name: lab, snapshot: live.yaml}}]
repositories: [{{name: r, url: "{remote.url}"}}]
teams:
  - name: shop
    namespace_selector: {{owner: shop}}
    sources: [{{repository: r, paths: ["{{cluster}}/*.yaml"]}}]
  - name: other
    namespaces: [other]
    sources: [{{repository: r, paths: ["shared/*.yaml"]}}]
"""
    )
    return str(config)


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Any]:
    remote = GitRemote.create(tmp_path / "repo")
    remote.commit({"prod/web.yaml": ROUTE})
    (tmp_path / "live.yaml").write_text(snapshot(1))
    (tmp_path / "drifted.yaml").write_text(snapshot(7))
    return {"config": write_config(tmp_path, remote), "dir": tmp_path, "remote": remote}


def audit(
    capsys: pytest.CaptureFixture[str], config: str, *args: str
) -> tuple[int, dict[str, Any], str]:
    code = cli.main(["audit", "--config", config, "--no-store", "--format", "json", *args])
    out = capsys.readouterr()
    return code, json.loads(out.out) if out.out.strip() else {}, out.err


def test_configured_snapshot_is_clean_and_owned_by_selector(
    setup: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, result, _ = audit(capsys, setup["config"], "--cluster", "prod")
    assert result["run"]["status"] == "complete"
    assert [f["check"] for f in result["findings"]] == []
    assert code == 0


def test_live_snapshot_override_forms(
    setup: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    drifted = str(setup["dir"] / "drifted.yaml")
    code, result, _ = audit(capsys, setup["config"], "--live-snapshot", f"prod={drifted}")
    by_cluster = {(f["cluster"], f["check"]) for f in result["findings"]}
    assert ("prod", "PDA-DR-003") in by_cluster and ("lab", "PDA-DR-003") not in by_cluster
    drift = next(f for f in result["findings"] if f["check"] == "PDA-DR-003")
    assert drift["team"] == "shop", "owned through namespace_selector on the live Namespace labels"
    assert code == 1
    code, result, _ = audit(capsys, setup["config"], "--cluster", "lab", "--live-snapshot", drifted)
    assert {f["cluster"] for f in result["findings"]} == {"lab"}
    code, _, err = audit(capsys, setup["config"], "--live-snapshot", drifted)
    assert code == 2 and "needs exactly one selected cluster" in err


def test_team_filter(setup: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    drifted = str(setup["dir"] / "drifted.yaml")
    _, result, _ = audit(
        capsys, setup["config"], "--cluster", "prod", "--live-snapshot", drifted, "--team", "other"
    )
    assert result["findings"] == []


def test_broken_snapshot_is_a_partial_run_naming_the_file(
    setup: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    broken = setup["dir"] / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: List\nitems:\n  - {bad\n")
    code, result, _ = audit(
        capsys, setup["config"], "--cluster", "prod", "--live-snapshot", str(broken)
    )
    assert code == 3
    assert result["run"]["status"] == "partial"
    (skipped,) = [s for s in result["run"]["skipped"] if s["subject"].startswith("cluster prod")]
    assert "broken.yaml" in skipped["subject"] + skipped["reason"]
    assert not [f for f in result["findings"] if f["check"].startswith("PDA-DR")]


def test_unparsable_team_file_makes_the_run_partial(
    setup: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """DESIGN §3: a team file that could not be parsed is a partial run (exit 3), named once."""
    setup["remote"].commit({"prod/broken.yaml": "kind: [unclosed\n"}, message="broken")
    code, result, _ = audit(capsys, setup["config"], "--cluster", "prod")
    assert result["run"]["status"] == "partial"
    assert code == 3
    (skipped,) = [s for s in result["run"]["skipped"] if "prod/broken.yaml" in s["subject"]]
    assert skipped["subject"] == "team shop: repository r: prod/broken.yaml"
    assert [f["check"] for f in result["findings"]] == ["PDA-SRC-001"]
    assert audit(capsys, setup["config"], "--cluster", "prod", "--allow-partial")[0] == 1


STANDARD_CRDS = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "crds"
    / "gateway-api"
    / "v1.6.1"
    / "standard.yaml"
)


def test_snapshot_crds_give_schemas_and_pruned_git_fields_are_st006(
    setup: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Experimental ``retry`` against the standard CRD: ST-006, not drift, not builtin-schema."""
    experimental = ROUTE.replace(
        "  rules: [{backendRefs: [{name: web, port: 80}]}]",
        "  rules: [{backendRefs: [{name: web, port: 80}], retry: {attempts: 3}}]",
    )
    setup["remote"].commit({"prod/web.yaml": experimental}, message="experimental retry")
    live = tmp_path / "with-crds.yaml"
    live.write_text(STANDARD_CRDS.read_text() + "\n---\n" + snapshot(1))
    code, result, _ = audit(
        capsys, setup["config"], "--cluster", "prod", "--live-snapshot", str(live)
    )
    assert not [s for s in result["run"]["skipped"] if s["reason"] == "builtin-schema"]
    checks = {f["check"]: f for f in result["findings"]}
    assert set(checks) == {"PDA-ST-006"}, [(f["check"], f["message"]) for f in result["findings"]]
    assert [c["path"] for c in checks["PDA-ST-006"]["changes"]] == ["spec.rules[0].retry"]
    assert code == 1


def test_an_object_declared_by_another_team_is_not_unmanaged(
    setup: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """DR-002 means "in nobody's Git": the Gateway moves to team other's source, and an audit
    of team shop alone still knows it is declared."""
    route, gateway = ROUTE.split("---\n")
    setup["remote"].commit({"prod/web.yaml": route, "shared/gw.yaml": gateway}, message="move gw")
    _, result, _ = audit(capsys, setup["config"], "--cluster", "prod", "--team", "shop")
    assert result["run"]["status"] == "complete"
    assert [f["check"] for f in result["findings"]] == []


def test_an_unreachable_repository_is_named_once_in_the_skipped_entry(
    setup: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """QA: the reason repeated the subject (``team shop: repository r`` /
    ``repository r: fetch from …``), in `auditor runs`, JSON and the stored row."""
    shutil.rmtree(setup["dir"] / "repo")
    code, result, _ = audit(capsys, setup["config"], "--cluster", "prod")
    assert code == 3
    (skipped,) = [s for s in result["run"]["skipped"] if s["subject"].startswith("team shop")]
    assert skipped["subject"] == "team shop: repository r"
    assert skipped["reason"].startswith("fetch from "), skipped["reason"]
