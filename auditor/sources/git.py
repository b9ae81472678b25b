"""Git source: fetch a repository into a local cache and read manifests from a commit's tree.

The only module importing GitPython. A repository is kept as a bare mirror-like clone in
``cache_dir/<name>-<hash of url>``: created once, then only fetched (branches and tags, pruned).
Files are read as blobs from the commit's tree (no checkout); only kustomize directories are
exported to a temporary directory to be rendered. File selection rules are in ``sources/tree.py``.

Credentials never appear in URLs, argv, logs or errors: a token (``token_env``) is sent as an
``Authorization: Basic`` header (user ``x-access-token``) through ``GIT_CONFIG_*`` environment
variables of the git process, an SSH key through ``GIT_SSH_COMMAND``; prompts are disabled, and every
message taken from git is scrubbed of the token before it is raised or logged.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import logging
import re
import shlex
import tarfile
import tempfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import git

from auditor import kinds
from auditor.defaults import MAX_FILE_BYTES, MAX_YAML_NODES
from auditor.errors import GitError
from auditor.keys import GroupKind
from auditor.redact import mask_secrets_in, mask_url
from auditor.sources import kustomize, tree
from auditor.sources.gitread import GitRead, ReadSettings, read_commit
from auditor.sources.manifests import SourceProblem

__all__ = ["GitRead", "GitSource", "RepoSpec", "SourceProblem"]

logger = logging.getLogger(__name__)

_SHA = re.compile(r"[0-9a-fA-F]{4,40}")
_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
_AUTH_HINTS = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "returned error: 401",
    "returned error: 403",
    "permission denied (publickey",
    "host key verification failed",
)
_REACH_HINTS = (
    "could not resolve host",
    "connection refused",
    "failed to connect",
    "does not appear to be a git repository",
    "repository not found",
    "not found",
    "unable to access",
    "no route to host",
    "connection timed out",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RepoSpec:
    """One configured repository (``repositories[]``)."""

    name: str
    url: str
    ref: str
    token_env: str | None = None
    ssh_key_file: str | None = None


class GitSource:
    """One repository: ``fetch()`` it, then ``read()`` a commit as often as needed."""

    def __init__(
        self,
        spec: RepoSpec,
        *,
        cache_dir: Path,
        timeout: float = 120.0,
        environ: Mapping[str, str],
    ) -> None:
        self._spec = spec
        digest = hashlib.sha256(spec.url.encode()).hexdigest()[:12]
        self.path = cache_dir / f"{spec.name}-{digest}"
        self._timeout = timeout
        self._environ = environ
        self._subject = f"repository {spec.name}"
        self._secrets: list[str] = _url_secrets(spec.url)
        # A commit's tree never changes: listed and prepared once per source object (i.e. per
        # audit), not once per team that reads from it (hundreds of teams made that
        # O(teams x files)); a commit is verified once too.
        self._trees: dict[str, tree.Tree] = {}
        self._verified: dict[str, str] = {}
        self._reading: git.Repo | None = None

    def fetch(self) -> str:
        """Clone (first time) or fetch the repository and return the commit SHA of ``ref``."""
        env = self._git_env()
        with self._locked(), self._open(create=True) as repo:
            self._fetch(repo, "--prune", "--force", "--", self._spec.url, *_REFSPECS, env=env)
            sha = self._resolve(repo, env)
        extra = {"action": "git-fetch", "resource": self._subject}
        logger.info("fetched %s at %s", self._subject, sha[:12], extra=extra)
        return sha

    def read(
        self,
        commit: str,
        *,
        patterns: Sequence[str],
        default_namespace: str | None,
        cluster_scoped: Collection[GroupKind] = kinds.CLUSTER_SCOPED,
        max_file_bytes: int = MAX_FILE_BYTES,
        max_yaml_nodes: int = MAX_YAML_NODES,
    ) -> GitRead:
        """Read the manifests that ``patterns`` select from ``commit`` (see ``sources/tree.py``)."""
        settings = ReadSettings(
            max_file_bytes=max_file_bytes,
            max_yaml_nodes=max_yaml_nodes,
            timeout=self._timeout,
            search_path=self._environ.get("PATH"),
        )
        repo = self._reading or self._open(create=False)
        self._reading = repo  # one repository (and one cat-file process) for every read
        sha = self._verified.get(commit) or self._verify_commit(repo, commit)
        self._verified[commit] = sha
        try:
            return read_commit(
                _RepoTree(repo, timeout=self._timeout, trees=self._trees),
                repository=self._spec.name,
                commit=sha,
                patterns=patterns,
                default_namespace=default_namespace,
                cluster_scoped=cluster_scoped,
                settings=settings,
            )
        except (git.GitCommandError, git.BadObject, git.BadName, ValueError) as e:
            # a corrupt or vanished cache, a timeout
            detail = self._scrub(str(getattr(e, "stderr", "") or getattr(e, "stdout", "") or e))
            raise GitError(
                f"{self._subject}: reading commit {sha[:12]}: {detail.strip()[:300]}",
                subject=self._subject,
            ) from None

    def close(self) -> None:
        """End the reads: the repository opened for them and its ``cat-file`` process."""
        if self._reading is not None:
            self._reading.close()
            self._reading = None

    # -- git plumbing ---------------------------------------------------------------------------

    def _git_env(self) -> dict[str, str]:
        env = {"GIT_TERMINAL_PROMPT": "0"}
        spec = self._spec
        if spec.token_env:
            token = self._environ.get(spec.token_env, "")
            if not token:
                raise GitError(
                    f"{self._subject}: environment variable {spec.token_env} (its token) is "
                    "not set or empty",
                    subject=self._subject,
                )
            basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
            self._secrets = [token, basic, *_url_secrets(spec.url)]
            env |= {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "http.extraHeader",
                "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
            }
        if spec.ssh_key_file:
            if not Path(spec.ssh_key_file).is_file():
                raise GitError(
                    f"{self._subject}: SSH key file {spec.ssh_key_file} does not exist",
                    subject=self._subject,
                )
            key = shlex.quote(spec.ssh_key_file)
            env["GIT_SSH_COMMAND"] = f"ssh -i {key} -o IdentitiesOnly=yes -o BatchMode=yes"
        return env

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One fetch at a time per cache directory, across threads and processes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{self.path}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _open(self, *, create: bool) -> git.Repo:
        path = self.path
        fresh = not path.exists() or (path.is_dir() and not any(path.iterdir()))
        if create and fresh:
            return git.Repo.init(path, bare=True, mkdir=True)
        if fresh:
            raise GitError(f"{self._subject}: not fetched yet", subject=self._subject)
        try:
            return git.Repo(path)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as e:
            raise GitError(
                f"{self._subject}: cache {path} is not a git repository; remove it",
                subject=self._subject,
            ) from e

    def _fetch(self, repo: git.Repo, *args: str, env: Mapping[str, str]) -> None:
        try:
            repo.git.fetch(*args, env=dict(env), kill_after_timeout=self._timeout)
        except git.GitCommandNotFound as e:
            raise GitError(f"{self._subject}: git is not installed", subject=self._subject) from e
        except git.GitCommandError as e:
            raise self._failure(e) from None

    def _failure(self, error: git.GitCommandError) -> GitError:
        detail = self._scrub(str(error.stderr or error.stdout or ""))
        last = [line.strip() for line in detail.strip(" '\n").splitlines() if line.strip()]
        said = last[-1][:300] if last else f"git exited {error.status}"
        lowered = detail.lower()
        transient = False
        if "did not complete in" in lowered:
            reason, transient = f"timed out after {self._timeout:g}s", True
        elif any(hint in lowered for hint in _AUTH_HINTS):
            reason = f"authentication failed ({self._credential_hint()})"
        elif any(hint in lowered for hint in _REACH_HINTS):
            reason, transient = "repository unreachable or not found", True
        else:
            reason = "git failed"
        url = self._scrub(mask_url(self._spec.url))
        message = f"{self._subject}: fetch from {url}: {reason}: {said}"
        logger.debug(message, extra={"action": "git-error", "resource": self._subject})
        return GitError(message, subject=self._subject, transient=transient)

    def _credential_hint(self) -> str:
        if self._spec.token_env:
            return f"the server refused the token from {self._spec.token_env}"
        if self._spec.ssh_key_file:
            return f"the server refused the SSH key {self._spec.ssh_key_file}"
        return "the repository needs credentials: set auth.token_env or auth.ssh_key_file"

    def _scrub(self, text: str) -> str:
        """Every URL in ``text`` masked, and the known secrets (token, URL user info) removed."""
        text = mask_secrets_in(text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def _rev_parse(self, repo: git.Repo, spec: str) -> str | None:
        out = repo.git.rev_parse("--verify", "--quiet", spec, with_exceptions=False)
        return str(out).strip() or None

    def _resolve(self, repo: git.Repo, env: Mapping[str, str]) -> str:
        ref = self._spec.ref
        names = [f"refs/heads/{ref}", f"refs/tags/{ref}"]
        if ref.startswith("refs/"):
            names.insert(0, ref)
        for name in names:
            if sha := self._rev_parse(repo, f"{name}^{{commit}}"):
                return sha
        if _SHA.fullmatch(ref):
            if sha := self._rev_parse(repo, f"{ref}^{{commit}}"):
                return sha
            with contextlib.suppress(GitError):  # an unadvertised commit: ask for it by SHA
                self._fetch(repo, "--", self._spec.url, ref, env=env)
                if sha := self._rev_parse(repo, f"{ref}^{{commit}}"):
                    return sha
        raise GitError(
            f"{self._subject}: ref {ref!r} is not a branch, tag or commit of "
            f"{self._scrub(mask_url(self._spec.url))}",
            subject=self._subject,
        )

    def _verify_commit(self, repo: git.Repo, commit: str) -> str:
        sha = self._rev_parse(repo, f"{commit}^{{commit}}") if _SHA.fullmatch(commit) else None
        if sha is None:
            raise GitError(
                f"{self._subject}: commit {commit!r} is not in the cache (fetch first)",
                subject=self._subject,
            )
        return sha


def _url_secrets(url: str) -> list[str]:
    """The credentials written into ``url`` (as written and percent-decoded), to scrub from git's
    messages in any form git may echo them: the password, or an HTTP(S) user name when it is the
    token itself (``https://ghp_xxx@host/repo.git``). SSH user names (``git@``) are not secrets."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return []
    user, has_password, password = rest[: rest.rindex("@")].partition(":")
    found = [password] if has_password else []
    if scheme.lower() in ("http", "https") and not has_password:
        found.append(user)
    found += [unquote(s) for s in found]
    return [s for s in found if len(s) >= 3]


class _RepoTree:
    """``gitread.TreeAccess`` over a GitPython repository."""

    def __init__(
        self,
        repo: git.Repo,
        *,
        timeout: float,
        trees: dict[str, tree.Tree] | None = None,
    ) -> None:
        self._repo = repo
        self._timeout = timeout
        self._trees = {} if trees is None else trees

    def tree_of(self, commit: str) -> tree.Tree:
        if commit not in self._trees:
            raw = self._repo.git.ls_tree(
                "-r", "-l", "-z", "--full-tree", commit, stdout_as_string=False
            )
            entries = [_entry(r) for r in bytes(raw).split(b"\0") if r]
            self._trees[commit] = tree.Tree.of(entries, self._link_target)
        return self._trees[commit]

    def _link_target(self, entry: tree.Entry) -> str:
        return self.blob(entry.sha).decode("utf-8", "surrogateescape")

    def blob(self, sha: str) -> bytes:
        data: bytes = self._repo.odb.stream(bytes.fromhex(sha)).read()
        return data

    def blobs(self, shas: Sequence[str]) -> dict[str, bytes]:
        """Several blobs from the repository's persistent ``git cat-file --batch`` process (one
        per source, kept for every team's read): a request and a reply per blob on a pipe, not
        a process per call (a ``cat-file`` run per team cost 3 ms each, 0.3 s per audit for 100
        teams). A missing object or one that is not a blob is a ValueError (a corrupt cache)."""
        out: dict[str, bytes] = {}
        for sha in dict.fromkeys(shas):
            stream = self._repo.odb.stream(bytes.fromhex(sha))
            if stream.type != b"blob":
                raise ValueError(f"object {sha} is a {stream.type.decode()}, not a blob")
            out[sha] = stream.read()
        return out

    def export(self, commit: str, target: Path) -> None:
        """Write the commit's tree to ``target``; symlinks leaving it are left out."""
        try:
            with tempfile.TemporaryFile() as archive:
                self._repo.git.archive(
                    "--format=tar", commit, output_stream=archive, kill_after_timeout=self._timeout
                )
                archive.seek(0)
                with tarfile.open(fileobj=archive) as tar:
                    tar.extractall(target, filter=_safe_member)
        except (git.GitCommandError, tarfile.TarError, OSError) as e:
            message = f"could not export the commit for kustomize: {type(e).__name__}"
            raise kustomize.RenderError(message) from e


def _entry(record: bytes) -> tree.Entry:
    """One ``ls-tree -l -z`` record: ``<mode> <type> <sha> <size>\\t<path>``."""
    meta, _, path = record.partition(b"\t")
    mode, _kind, sha, size = meta.split()
    return tree.Entry(
        path=path.decode("utf-8", "surrogateescape"),
        mode=mode.decode(),
        sha=sha.decode(),
        size=int(size) if size.isdigit() else None,
    )


def _safe_member(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None
