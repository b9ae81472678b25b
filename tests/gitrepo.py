"""Real Git repositories for tests: a bare "remote" in a temp dir and a working clone to commit with.

    remote = GitRemote.create(tmp_path / "gitops")
    sha = remote.commit({"clusters/prod/route.yaml": ROUTE}, message="add route")
    remote.tag("v1")                       # lightweight; annotated=True for an annotated tag
    remote.branch("feature")               # create + switch; remote.switch("main") to go back
    RepoSpec(name="gitops", url=remote.url, ref="main")

Commits are pushed to the bare remote at once (``remote.url`` is its ``file://`` URL). Git runs with
an isolated configuration (no global/system config), a fixed identity and ``main`` as the branch.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_TERMINAL_PROMPT": "0",
}


def git(*args: str, cwd: Path) -> str:
    """Run git in ``cwd`` with the isolated test environment; return stdout (stripped)."""
    env = {**os.environ, **_ENV}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


@dataclass(frozen=True, slots=True)
class GitRemote:
    """A bare repository (the remote) plus a working clone that pushes to it."""

    bare: Path
    work: Path

    @classmethod
    def create(cls, root: Path) -> GitRemote:
        root.mkdir(parents=True, exist_ok=True)
        bare, work = root / "remote.git", root / "work"
        git("init", "--quiet", "--bare", "--initial-branch=main", str(bare), cwd=root)
        git("init", "--quiet", "--initial-branch=main", str(work), cwd=root)
        git("remote", "add", "origin", str(bare), cwd=work)
        return cls(bare=bare, work=work)

    @property
    def url(self) -> str:
        return self.bare.as_uri()

    def write(self, files: Mapping[str, str | bytes]) -> None:
        """Write files (relative paths) into the working clone, creating directories."""
        for rel, content in files.items():
            path = self.work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")

    def symlink(self, rel: str, target: str) -> None:
        """Create a symlink ``rel`` -> ``target`` (target as written, usually relative)."""
        path = self.work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)

    def remove(self, rel: str) -> None:
        git("rm", "-r", "--quiet", rel, cwd=self.work)

    def gitlink(self, rel: str, sha: str) -> None:
        """Stage a submodule entry (mode 160000) at ``rel`` pointing at ``sha``."""
        git("update-index", "--add", "--cacheinfo", f"160000,{sha},{rel}", cwd=self.work)

    def commit(
        self,
        files: Mapping[str, str | bytes] | None = None,
        *,
        message: str = "change",
        stage: bool = True,
    ) -> str:
        """Write ``files``, commit the work tree (all of it unless ``stage=False``: then only what
        is already staged), push the branch; return the SHA."""
        self.write(files or {})
        if stage:
            git("add", "--all", cwd=self.work)
        git("commit", "--quiet", "--allow-empty", "-m", message, cwd=self.work)
        git("push", "--quiet", "origin", "HEAD", cwd=self.work)
        return self.head()

    def head(self) -> str:
        return git("rev-parse", "HEAD", cwd=self.work)

    def tag(self, name: str, *, annotated: bool = False) -> None:
        args = ["tag", "-a", name, "-m", name] if annotated else ["tag", name]
        git(*args, cwd=self.work)
        git("push", "--quiet", "origin", f"refs/tags/{name}", cwd=self.work)

    def branch(self, name: str) -> None:
        """Create branch ``name`` at HEAD and switch to it (commits then go to it)."""
        git("switch", "--quiet", "-c", name, cwd=self.work)

    def switch(self, name: str) -> None:
        git("switch", "--quiet", name, cwd=self.work)
