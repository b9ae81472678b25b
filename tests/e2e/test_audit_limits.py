"""Size limits are config keys (``limits.*``), and going over one fails loudly; a cluster of which
nothing could be read makes a failed run (exit 3, "nothing read") that is never stored as a run of
zero findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor import cli, defaults
from auditor.config import load
from auditor.errors import ConfigError
from auditor.store import Store
from tests.e2e.test_audit_snapshot import ROUTE, snapshot
from tests.gitrepo import GitRemote
from tests.integration.conftest_k8s import K8sApiFactory
from tests.k8s_emulator_docs import BUILTIN_RESOURCES


def _config(root: Path, remote: GitRemote, *, limits: str = "{}", cluster: str = "") -> Path:
    config = root / "auditor.yaml"
    config.write_text(
        f"""
database: {{url: "sqlite:///{root / "history.db"}", auto_migrate: true}}
git: {{cache_dir: {root / "cache"}}}
limits: {limits}
clusters: [{cluster or "{name: prod, snapshot: live.yaml}"}]
repositories: [{{name: r, url: "{remote.url}"}}]
teams:
  - name: shop
    namespaces: [web]
    sources: [{{repository: r, paths: ["prod/*.yaml"]}}]
"""
    )
    return config


@pytest.fixture
def remote(tmp_path: Path) -> GitRemote:
    remote = GitRemote.create(tmp_path / "repo")
    remote.commit({"prod/web.yaml": ROUTE})
    (tmp_path / "live.yaml").write_text(snapshot(1))
    return remote


def _audit(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[int, dict[str, Any], str]:
    code = cli.main(["audit", "--config", str(config), "--format", "json"])
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


def _stored_runs(root: Path) -> int:
    with Store.open(f"sqlite:///{root / 'history.db'}", auto_migrate=True) as store:
        return len(store.runs())


def test_limits_default_once_and_refuse_non_positive(tmp_path: Path, remote: GitRemote) -> None:
    settings = load(_config(tmp_path, remote), environ={})
    assert settings.max_snapshot_bytes == defaults.MAX_SNAPSHOT_BYTES >= 512 * 1024 * 1024
    assert settings.max_file_bytes == defaults.MAX_FILE_BYTES
    assert settings.max_yaml_nodes == defaults.MAX_YAML_NODES
    with pytest.raises(ConfigError, match=r"limits\.max_snapshot_bytes"):
        load(_config(tmp_path, remote, limits="{max_snapshot_bytes: 0}"), environ={})


def test_snapshot_over_the_limit_names_limit_file_and_key_and_is_not_stored(
    tmp_path: Path, remote: GitRemote, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, remote, limits="{max_snapshot_bytes: 100}")
    code, result, err = _audit(capsys, config)
    assert code == 3
    assert result["run"]["status"] == "partial"
    assert result["findings"] == []
    (note,) = [s for s in result["run"]["skipped"] if s["subject"].startswith("cluster prod")]
    assert note["reason"].startswith("nothing read: ")
    assert str(tmp_path / "live.yaml") in note["reason"]
    assert "over the limit of 100 bytes" in note["reason"]
    assert "limits.max_snapshot_bytes" in note["reason"]
    assert "nothing read of cluster prod" in err and "(not stored)" in err
    assert _stored_runs(tmp_path) == 0

    code, result, _ = _audit(capsys, _config(tmp_path, remote, limits="{max_snapshot_bytes: 4096}"))
    assert result["run"]["status"] == "complete" and code == 0
    assert _stored_runs(tmp_path) == 1


def test_one_unread_cluster_of_two_is_stored_partial(
    tmp_path: Path, remote: GitRemote, capsys: pytest.CaptureFixture[str]
) -> None:
    clusters = "{name: prod, snapshot: live.yaml}, {name: lab, snapshot: missing.yaml}"
    code, result, err = _audit(capsys, _config(tmp_path, remote, cluster=clusters))
    assert code == 3 and result["run"]["status"] == "partial"
    assert "nothing read of cluster lab: snapshot" in err
    assert _stored_runs(tmp_path) == 1


def test_cluster_with_no_kind_listed_is_nothing_read(
    tmp_path: Path,
    remote: GitRemote,
    k8s_api: K8sApiFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    api = k8s_api(channel=None, context="prod")
    for resource in BUILTIN_RESOURCES:  # every list the auditor could make is forbidden
        api.emulator.fail(resource.group, resource.plural, status=403)
    cluster = f"{{name: prod, kubeconfig: {api.kubeconfig}, context: prod}}"
    code, result, err = _audit(capsys, _config(tmp_path, remote, cluster=cluster))
    assert code == 3
    assert "nothing read of cluster prod" in err
    reasons = [s["reason"] for s in result["run"]["skipped"] if s["subject"] == "cluster prod"]
    assert reasons == ["nothing read: no kind listed"]
    assert not [f for f in result["findings"] if f["check"].startswith("PDA-DR")]
    assert _stored_runs(tmp_path) == 0
