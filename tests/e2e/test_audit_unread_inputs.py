"""A check whose inputs could not be read neither raises false findings nor resolves real ones:
ReferenceGrants that cannot be listed (403) leave RG-001 unknown, and open RG-001 findings stay open."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor import cli
from tests.gitrepo import GitRemote
from tests.integration.conftest_k8s import K8sApiFactory

GW = "gateway.networking.k8s.io"

GIT = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: granted}
spec:
  parentRefs: [{name: edge}]
  rules: [{backendRefs: [{name: api, namespace: backend, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ungranted}
spec:
  parentRefs: [{name: edge}]
  rules: [{backendRefs: [{name: db, namespace: backend, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  gatewayClassName: x
  listeners: [{name: http, port: 80, protocol: HTTP}]
"""


def route(name: str, backend: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{GW}/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": "app"},
        "spec": {
            "parentRefs": [{"group": GW, "kind": "Gateway", "name": "edge"}],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [
                        {
                            "group": "",
                            "kind": "Service",
                            "name": backend,
                            "namespace": "backend",
                            "port": 80,
                            "weight": 1,
                        }
                    ],
                }
            ],
        },
    }


@pytest.fixture
def config(tmp_path: Path, k8s_api: K8sApiFactory) -> tuple[Path, Any]:
    remote = GitRemote.create(tmp_path / "repo")
    remote.commit({"app/all.yaml": GIT})
    api = k8s_api(channel="standard", context="prod")
    emulator = api.emulator
    for ns in ("app", "backend"):
        emulator.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    for name in ("api", "db"):
        emulator.put(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": "backend"},
                "spec": {"ports": [{"port": 80}]},
            }
        )
    emulator.put(
        {
            "apiVersion": f"{GW}/v1",
            "kind": "Gateway",
            "metadata": {"name": "edge", "namespace": "app"},
            "spec": {
                "gatewayClassName": "x",
                "listeners": [
                    {
                        "name": "http",
                        "port": 80,
                        "protocol": "HTTP",
                        "allowedRoutes": {"namespaces": {"from": "Same"}},
                    }
                ],
            },
        }
    )
    emulator.put(route("granted", "api"))
    emulator.put(route("ungranted", "db"))
    emulator.put(
        {
            "apiVersion": f"{GW}/v1",
            "kind": "ReferenceGrant",
            "metadata": {"name": "api", "namespace": "backend"},
            "spec": {
                "from": [{"group": GW, "kind": "HTTPRoute", "namespace": "app"}],
                "to": [{"group": "", "kind": "Service", "name": "api"}],
            },
        }
    )
    path = tmp_path / "auditor.yaml"
    path.write_text(
        f"""
database: {{url: "sqlite:///{tmp_path / "a.db"}"}}
git: {{cache_dir: {tmp_path / "cache"}}}
clusters: [{{name: prod, kubeconfig: {api.kubeconfig}, context: prod}}]
repositories: [{{name: r, url: "{remote.url}"}}]
teams:
  - {{name: app, namespaces: [app], sources: [{{repository: r, paths: ["app/*.yaml"], default_namespace: app}}]}}
  - {{name: backend, namespaces: [backend]}}
"""
    )
    return path, emulator


def audit(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, dict[str, Any]]:
    code = cli.main(["audit", "--config", str(path), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def rg001(result: dict[str, Any]) -> set[str]:
    return {f["object"]["name"] for f in result["findings"] if f["check"] == "PDA-RG-001"}


def test_unlisted_grants_raise_nothing_and_resolve_nothing(
    config: tuple[Path, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path, emulator = config
    _, first = audit(capsys, path)
    assert first["run"]["status"] == "complete"
    assert rg001(first) == {"ungranted"}
    (finding,) = [f for f in first["findings"] if f["check"] == "PDA-RG-001"]
    assert finding["other_team"] == "backend"

    emulator.fail(GW, "referencegrants", status=403)
    code, second = audit(capsys, path)
    assert code == 3
    assert rg001(second) == set(), "without the grants, no reference can be judged"
    assert cli.main(["show", finding["id"], "--config", str(path), "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "open" and [e["type"] for e in shown["events"]] == ["opened"]
