"""The rendered pod, run as a local process: the init container's and the main container's command
lines (the image's ENTRYPOINT plus the rendered args), the image's ENV overlaid with the rendered
env, the config from the rendered ConfigMap, every volume a directory of its own. /readyz must
answer 200, /metrics must offer every metric the Grafana dashboard queries, SIGTERM must exit 0,
and nothing may be written outside the pod's writable volumes (the read-only root filesystem, as
far as a process running as root here can check).

What a pod gets from Kubernetes is stood in for: the API server (in-cluster config) by the
emulator through KUBECONFIG and AUDITOR_LEASE_KUBECONFIG, the Git host by a local repository;
of the ConfigMap only the repository URL, the listen port (a free one) and the interval (2s, so a
tick runs during the test) are replaced.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser

from tests.deploy.paths import KUSTOMIZE, ROOT, kustomize, one
from tests.deploy.test_grafana import METRIC, dashboard, queries, sample_names
from tests.e2e.test_serve import free_port, get
from tests.gitrepo import GitRemote
from tests.integration.db_fixtures import DatabasePool, _database_url

if TYPE_CHECKING:
    from tests.integration.conftest_k8s import K8sApiFactory

POD_NAMESPACE = "platform-auditor"
SECRETS = {("policy-drift-auditor-git", "token"): "test-git-token"}  # Slack's stays absent


class Pod:
    """The rendered pod spec mapped onto directories under ``root``."""

    def __init__(self, objects: list[dict[str, Any]], root: Path) -> None:
        self.spec: dict[str, Any] = one(objects, "Deployment")["spec"]["template"]["spec"]
        self.config_map = one(objects, "ConfigMap")
        self.root = root
        root.mkdir()
        self.rootfs = root / "rootfs"  # the working directory: the image's read-only root
        self.rootfs.mkdir()
        self.volumes = {v["name"]: root / "volumes" / v["name"] for v in self.spec["volumes"]}
        for path in self.volumes.values():
            path.mkdir(parents=True)

    def mounts(self, container: dict[str, Any]) -> dict[str, Path]:
        """mountPath -> local directory, longest first (nested mounts win)."""
        pairs = {m["mountPath"]: self.volumes[m["name"]] for m in container["volumeMounts"]}
        return dict(sorted(pairs.items(), key=lambda kv: -len(kv[0])))

    def writable(self, container: dict[str, Any]) -> set[Path]:
        return {self.volumes[m["name"]] for m in container["volumeMounts"] if not m.get("readOnly")}

    def local(self, container: dict[str, Any], path: str) -> str:
        """A path inside the container as the local path of its volume."""
        for mount, directory in self.mounts(container).items():
            if path == mount or path.startswith(mount.rstrip("/") + "/"):
                return str(directory / path[len(mount) :].lstrip("/"))
        return path

    def env(self, container: dict[str, Any], secrets: dict[tuple[str, str], str]) -> dict[str, str]:
        """The image's ENV, then the container's env (fieldRefs and secretKeyRefs resolved;
        optional Secrets absent), with in-container paths mapped to their volumes."""
        image_env = DockerfileParser(path=str(ROOT / "Dockerfile")).envs
        env = {"PATH": os.environ["PATH"], **image_env}
        fields = {"metadata.name": "policy-drift-auditor-0", "metadata.namespace": POD_NAMESPACE}
        for var in container["env"]:
            if "value" in var:
                env[var["name"]] = var["value"]
                continue
            source = var["valueFrom"]
            if "fieldRef" in source:
                env[var["name"]] = fields[source["fieldRef"]["fieldPath"]]
            else:
                ref = source["secretKeyRef"]
                key = (ref["name"], ref["key"])
                if key in secrets:
                    env[var["name"]] = secrets[key]
                else:
                    assert ref.get("optional"), f"Secret {key} is required"
        for name, value in env.items():
            if value.startswith("/"):
                env[name] = self.local(container, value)
            elif value.startswith("sqlite:////"):
                env[name] = "sqlite:///" + self.local(container, value.removeprefix("sqlite:///"))
        return env

    def command(self, container: dict[str, Any]) -> list[str]:
        """ENTRYPOINT ["auditor"] plus the container's args (the venv's auditor)."""
        entrypoint = json.loads(
            next(
                i["value"]
                for i in DockerfileParser(path=str(ROOT / "Dockerfile")).structure
                if i["instruction"] == "ENTRYPOINT"
            )
        )
        assert entrypoint == ["auditor"] and "command" not in container
        return [str(Path(sys.executable).parent / "auditor"), *container["args"]]

    def files(self) -> set[Path]:
        return {p for p in self.root.rglob("*") if p.is_file()}


def runs_recorded(exposition: str) -> bool:
    """At least one complete audit run according to /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    return any(
        sample.value > 0
        for family in text_string_to_metric_families(exposition)
        if family.name == "auditor_runs"
        for sample in family.samples
        if sample.name == "auditor_runs_total" and sample.labels["status"] == "complete"
    )


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def running(
    request: pytest.FixtureRequest, tmp_path: Path, k8s_api: K8sApiFactory
) -> Iterator[tuple[Pod, subprocess.Popen[str], str, set[Path]]]:
    overlay: str = request.param
    secrets = dict(SECRETS)
    if overlay == "postgres":  # the Secret policy-drift-auditor-db: an empty database
        pool: DatabasePool = request.getfixturevalue("pg_empty_pool")
        name = pool.take()
        request.addfinalizer(lambda: pool.give_back(name))
        secrets["policy-drift-auditor-db", "url"] = _database_url(name)
    objects = kustomize(KUSTOMIZE / "overlays" / overlay)
    pod = Pod(objects, tmp_path / "pod")
    api = k8s_api(channel=None)
    remote = GitRemote.create(tmp_path / "remote")
    remote.commit({"README.md": "gitops\n"}, message="init")

    (init,) = pod.spec["initContainers"]
    (main,) = pod.spec["containers"]
    port = free_port()
    config = yaml.safe_load(pod.config_map["data"]["auditor.yaml"])
    config["serve"]["listen"] = f"127.0.0.1:{port}"
    config["repositories"][0]["url"] = remote.url
    config["schedule"] = {"interval": "2s"}  # a tick within the test, not in five minutes
    config_dir = next(
        pod.volumes[m["name"]] for m in main["volumeMounts"] if m["mountPath"] == "/etc/auditor"
    )
    (config_dir / "auditor.yaml").write_text(yaml.safe_dump(config))
    before = pod.files()
    stand_ins = {"KUBECONFIG": str(api.kubeconfig), "AUDITOR_LEASE_KUBECONFIG": str(api.kubeconfig)}

    done = subprocess.run(
        pod.command(init),
        env={**pod.env(init, secrets), **stand_ins},
        cwd=pod.rootfs,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    log = (tmp_path / "serve.log").open("w")  # the container's stdout, outside the pod
    process = subprocess.Popen(
        pod.command(main),
        env={**pod.env(main, secrets), **stand_ins},
        cwd=pod.rootfs,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield pod, process, f"http://127.0.0.1:{port}", before
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        log.close()


def test_rendered_pod_serves_readyz_metrics_and_stops_on_sigterm(
    running: tuple[Pod, subprocess.Popen[str], str, set[Path]],
) -> None:
    pod, process, url, before = running
    deadline = time.monotonic() + 60
    status = 0
    while time.monotonic() < deadline and process.poll() is None:
        status, _ = get(url + "/readyz")
        if status == 200:
            break
        time.sleep(0.2)
    log = (pod.root / "serve.log").read_text
    assert status == 200, f"/readyz answered {status}; exit {process.poll()}; log:\n{log()}"
    assert get(url + "/healthz")[0] == 200

    status, exposition = get(url + "/metrics")
    assert status == 200
    queried = {m for q in queries(dashboard()) for m in METRIC.findall(q)}
    missing = queried - sample_names(exposition)
    assert not missing, f"the dashboard queries metrics /metrics does not offer: {sorted(missing)}"

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not runs_recorded(get(url + "/metrics")[1]):
        time.sleep(0.5)
    assert runs_recorded(get(url + "/metrics")[1]), log()

    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0, log()

    (main,) = pod.spec["containers"]
    (init,) = pod.spec["initContainers"]
    writable = pod.writable(main) | pod.writable(init)
    written = pod.files() - before
    outside = sorted(str(p) for p in written if not any(p.is_relative_to(w) for w in writable))
    assert not outside, "written outside the pod's writable volumes"
    if "data" in pod.volumes:  # sqlite: the database on the PersistentVolumeClaim
        assert pod.volumes["data"] / "auditor.db" in written
    git_cache = pod.volumes["git-cache"]
    assert any(p.is_relative_to(git_cache) for p in written), "the tick's clone is on the emptyDir"
