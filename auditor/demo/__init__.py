"""``auditor demo``: a self-contained sample — a Git repository of three teams and a live snapshot
with realistic server fields and drift — built in a temporary directory. No network, no cluster.

The sample data lives in ``auditor/demo/data``; this module only lays it out and commits it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from auditor.errors import AuditorError

CONFIG_TEMPLATE = """\
# Written by `auditor demo`: a complete config for the sample repository and snapshot.
database:
  url: sqlite:///{root}/auditor.db
clusters:
  - name: demo
    snapshot: {root}/live.yaml
git:
  cache_dir: {root}/git-cache
repositories:
  - name: gitops
    url: file://{root}/remote.git
    ref: main
teams:
  - name: platform
    namespaces: [infra]
    cluster_scoped: true
    sources:
      - repository: gitops
        paths: ["clusters/{{cluster}}/platform/*.yaml"]
  - name: payments
    namespaces: [payments]
    slack_channel: "#payments-alerts"
    sources:
      - repository: gitops
        paths: ["clusters/{{cluster}}/payments/**/*.yaml"]
        default_namespace: payments
    allowed_parents:
      - gateway: infra/public
        sections: [https]
    hostnames: ["pay.example.com"]
  - name: shop
    namespaces: [shop]
    sources:
      - repository: gitops
        paths: ["clusters/{{cluster}}/shop/**/*.yaml"]
        default_namespace: shop
    allowed_parents:
      - gateway: infra/public
    hostnames: ["shop.example.com", "*.shop.example.com"]
notify:
  slack:
    # The demo never reads this variable: it shows its messages through the console notifier.
    token_env: AUDITOR_DEMO_SLACK_TOKEN
    default_channel: "#platform-drift"
    digest_threshold: 10
"""

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Demo Platform Team",
    "GIT_AUTHOR_EMAIL": "platform@example.com",
    "GIT_COMMITTER_NAME": "Demo Platform Team",
    "GIT_COMMITTER_EMAIL": "platform@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(*args: str, cwd: Path) -> None:
    env = {**os.environ, **_GIT_ENV}
    try:
        subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    except FileNotFoundError as e:
        raise AuditorError("the demo needs the `git` command on PATH") from e
    except subprocess.CalledProcessError as e:
        raise AuditorError(f"demo: git {' '.join(args)} failed: {e.stderr.strip()[:200]}") from e


def build_demo(root: Path) -> Path:
    """Lay out the sample in ``root`` (a bare remote, a snapshot, a config); return the config path."""
    data = resources.files("auditor.demo") / "data"
    work = root / "work"
    with resources.as_file(data) as data_dir:
        shutil.copytree(Path(data_dir) / "git", work, copy_function=shutil.copyfile)
        shutil.copyfile(Path(data_dir) / "live.yaml", root / "live.yaml")
    _git("init", "--quiet", "--bare", "--initial-branch=main", str(root / "remote.git"), cwd=root)
    _git("init", "--quiet", "--initial-branch=main", cwd=work)
    _git("add", "-A", cwd=work)
    _git("commit", "--quiet", "-m", "Platform, payments and shop manifests", cwd=work)
    _git("push", "--quiet", str(root / "remote.git"), "main", cwd=work)
    _git("remote", "add", "origin", str(root / "remote.git"), cwd=work)
    config = root / "auditor.yaml"
    config.write_text(CONFIG_TEMPLATE.format(root=root), encoding="utf-8")
    return config


FIX_MESSAGE = "payments: adopt the live 50/50 canary split and the debug route"


def commit_fix(root: Path) -> str:
    """The second act of the demo: the payments team fixes its drift in Git (and pushes)."""
    work = root / "work"
    with resources.as_file(resources.files("auditor.demo") / "data" / "fix") as fix_dir:
        # Fresh mtimes: a same-size file with a copied (old, identical) mtime looks unchanged
        # to git's stat check, and the fix would silently not be committed.
        shutil.copytree(Path(fix_dir), work, dirs_exist_ok=True, copy_function=shutil.copyfile)
    _git("add", "-A", cwd=work)
    _git("commit", "--quiet", "-m", FIX_MESSAGE, cwd=work)
    _git("push", "--quiet", "origin", "main", cwd=work)
    return FIX_MESSAGE
