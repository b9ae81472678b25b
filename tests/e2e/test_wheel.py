"""The built wheel works on its own (issue 9, scope 0): build it, install it into a fresh venv,
and from a directory outside the checkout run ``auditor demo``, ``auditor db upgrade`` and a
stored ``auditor audit`` on SQLite.

Offline by construction: the wheel is installed with ``--no-index --no-deps``; its dependencies
come from the test run's own environment through a path line in a ``.pth`` file of the new venv
(a path added that way is not itself scanned for ``.pth`` files, so the checkout's editable
install does not leak in). Building the wheel needs the build backend (setuptools), which pip
takes from the configured index, as CI does for ``pip install``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_audit_snapshot import ROUTE, snapshot
from tests.gitrepo import GitRemote

CHECKOUT = Path(__file__).resolve().parents[2]
SKIP = (".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis")


def _run(*args: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ``bin`` directory of a fresh venv holding only the built wheel (plus deps by path)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # a clean copy: no stale build/ of the checkout ends up in the wheel
    shutil.copytree(CHECKOUT, source, ignore=shutil.ignore_patterns(*SKIP))
    dist = root / "dist"
    built = _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source, cwd=root
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("gitops_policy_auditor-*.whl")
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=root)
    (Path(site.stdout.strip()) / "zz_test_deps.pth").write_text(
        sysconfig.get_path("purelib") + "\n"
    )
    pip = _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "-q",
        "--no-index",
        "--no-deps",
        wheel,
        cwd=root,
    )
    assert pip.returncode == 0, pip.stderr
    yield env_dir / "bin"


def test_wheel_carries_the_package_and_its_migrations(installed: Path, tmp_path: Path) -> None:
    probe = _run(
        installed / "python",
        "-c",
        "import auditor, auditor.store.migrate as m; print(auditor.__file__); print(m.migrations_dir())",
        cwd=tmp_path,
    )
    assert probe.returncode == 0, probe.stderr
    package, migrations = probe.stdout.split()
    assert Path(package).is_relative_to(installed.parent), (
        "imported from the venv, not the checkout"
    )
    assert Path(migrations).is_relative_to(installed.parent)
    assert (Path(migrations) / "versions" / "0001_initial.py").is_file()


def test_demo_upgrade_and_stored_audit_from_outside_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    auditor = installed / "auditor"
    work = tmp_path / "elsewhere"
    work.mkdir()

    demo = _run(auditor, "demo", cwd=work)
    assert demo.returncode == 0, demo.stderr
    assert "PDA-DR-003" in demo.stdout

    db = f"sqlite:///{work / 'history.db'}"
    upgraded = _run(auditor, "db", "upgrade", "--db", db, cwd=work)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "0002" in upgraded.stdout + upgraded.stderr

    remote = GitRemote.create(tmp_path / "repo")
    remote.commit({"prod/web.yaml": ROUTE})
    (work / "live.yaml").write_text(snapshot(7))
    (work / "auditor.yaml").write_text(
        f"""
database: {{url: "{db}"}}
git: {{cache_dir: {work / "cache"}}}
clusters: [{{name: prod, snapshot: live.yaml}}]
repositories: [{{name: r, url: "{remote.url}"}}]
teams:
  - name: shop
    namespace_selector: {{owner: shop}}
    sources: [{{repository: r, paths: ["{{cluster}}/*.yaml"]}}]
"""
    )
    audited = _run(auditor, "audit", "--config", "auditor.yaml", "--format", "json", cwd=work)
    assert audited.returncode == 1, audited.stderr
    assert "1 opened" in audited.stderr
    assert '"PDA-DR-003"' in audited.stdout
    runs = _run(auditor, "runs", "--config", "auditor.yaml", cwd=work)
    assert runs.returncode == 0, runs.stderr
    assert "complete" in runs.stdout
