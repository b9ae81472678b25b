"""GitSource against real repositories: a bare remote in tmp, fetched over file:// (and HTTP/SSH seams)."""

from __future__ import annotations

import base64
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from auditor.errors import GitError
from auditor.keys import GroupKind, ResourceKey
from auditor.sources.git import GitRead, GitSource, RepoSpec
from tests.gitrepo import GitRemote, git

GW = "gateway.networking.k8s.io"
PATTERNS = ["clusters/prod/payments/**/*.yaml"]


def route(name: str, namespace: str | None = None) -> str:
    ns = f"  namespace: {namespace}\n" if namespace else ""
    return (
        f"apiVersion: {GW}/v1\nkind: HTTPRoute\nmetadata:\n  name: {name}\n{ns}"
        "spec:\n  hostnames: [a.example.com]\n"
    )


def bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [{','.join(['*' + prev] * 9)}]")
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n" + "".join(
        f"  {line}\n" for line in lines
    )


def source(remote: GitRemote, tmp: Path, *, ref: str = "main", **kw: object) -> GitSource:
    environ = kw.pop("environ", {"PATH": os.environ["PATH"]})
    spec = RepoSpec(name="gitops", url=remote.url, ref=ref, **kw)
    return GitSource(spec, cache_dir=tmp / "cache", environ=environ, timeout=20)


def key(
    name: str, namespace: str = "payments", kind: str = "HTTPRoute", group: str = GW
) -> ResourceKey:
    return ResourceKey(group, kind, namespace, name)


# -- fetch: refs, cache, failures -------------------------------------------------------------


@pytest.fixture
def remote(tmp_path: Path) -> GitRemote:
    return GitRemote.create(tmp_path / "gitops")


def test_ref_resolves_as_branch_tag_or_commit(remote: GitRemote, tmp_path: Path) -> None:
    first = remote.commit({"a.yaml": route("a")})
    remote.tag("v1", annotated=True)
    remote.tag("light")
    second = remote.commit({"b.yaml": route("b")})
    remote.branch("feature")
    third = remote.commit({"c.yaml": route("c")})

    assert source(remote, tmp_path).fetch() == second
    assert source(remote, tmp_path, ref="v1").fetch() == first
    assert source(remote, tmp_path, ref="light").fetch() == first
    assert source(remote, tmp_path, ref="feature").fetch() == third
    assert source(remote, tmp_path, ref=first).fetch() == first
    assert source(remote, tmp_path, ref=first[:10]).fetch() == first
    assert source(remote, tmp_path, ref="refs/heads/feature").fetch() == third


def test_next_fetch_sees_new_commit_and_reuses_the_cache(remote: GitRemote, tmp_path: Path) -> None:
    first = remote.commit({"clusters/prod/payments/a.yaml": route("a")})
    src = source(remote, tmp_path)
    assert src.fetch() == first
    marker = src.path / "auditor-test-marker"
    marker.write_text("kept")
    inode = src.path.stat().st_ino

    second = remote.commit({"clusters/prod/payments/b.yaml": route("b")})
    again = source(remote, tmp_path)  # a new instance (a new run) over the same cache_dir
    assert again.path == src.path
    assert again.fetch() == second
    assert marker.read_text() == "kept"
    assert src.path.stat().st_ino == inode
    names = {
        o.key.name for o in again.read(second, patterns=PATTERNS, default_namespace=None).objects
    }
    assert names == {"a", "b"}
    old = {o.key.name for o in again.read(first, patterns=PATTERNS, default_namespace=None).objects}
    assert old == {"a"}


def test_unknown_ref_is_a_clear_git_error(remote: GitRemote, tmp_path: Path) -> None:
    remote.commit({"a.yaml": route("a")})
    with pytest.raises(GitError) as caught:
        source(remote, tmp_path, ref="no-such-branch").fetch()
    assert "ref 'no-such-branch' is not a branch, tag or commit" in str(caught.value)
    assert caught.value.subject == "repository gitops"


@pytest.mark.parametrize(
    "url", ["file:///nonexistent/auditor/repo.git", "http://127.0.0.1:9/repo.git"]
)
def test_unreachable_repository_is_a_clear_git_error(url: str, tmp_path: Path) -> None:
    spec = RepoSpec(name="gitops", url=url, ref="main")
    src = GitSource(spec, cache_dir=tmp_path / "cache", environ={}, timeout=20)
    with pytest.raises(GitError) as caught:
        src.fetch()
    message = str(caught.value)
    assert message.startswith(
        f"repository gitops: fetch from {url}: repository unreachable or not found"
    )
    assert caught.value.transient


def test_read_before_fetch_and_bad_commit_are_git_errors(remote: GitRemote, tmp_path: Path) -> None:
    remote.commit({"a.yaml": route("a")})
    src = source(remote, tmp_path)
    with pytest.raises(GitError, match="not fetched yet"):
        src.read("0" * 40, patterns=["**"], default_namespace=None)
    src.fetch()
    with pytest.raises(
        GitError, match="commit '0000000000000000000000000000000000000000' is not in the cache"
    ):
        src.read("0" * 40, patterns=["**"], default_namespace=None)
    with pytest.raises(GitError, match="is not in the cache"):
        src.read("--output=/tmp/x", patterns=["**"], default_namespace=None)


def test_a_corrupt_cache_is_a_git_error_not_a_crash(remote: GitRemote, tmp_path: Path) -> None:
    remote.commit({"a.yaml": route("a")})
    src = source(remote, tmp_path)
    sha = src.fetch()
    # The blob of a.yaml vanishes from the cache while the commit and its tree are still there.
    blob = git("ls-tree", sha, "a.yaml", cwd=src.path).split()[2]
    (src.path / "objects" / blob[:2] / blob[2:]).unlink()
    with pytest.raises(GitError, match=f"reading commit {sha[:12]}"):
        src.read(sha, patterns=["**"], default_namespace=None)


def test_cache_dir_that_is_not_a_repository_is_refused(remote: GitRemote, tmp_path: Path) -> None:
    remote.commit({"a.yaml": route("a")})
    src = source(remote, tmp_path)
    src.path.mkdir(parents=True)
    (src.path / "junk").write_text("x")
    with pytest.raises(GitError, match="is not a git repository; remove it"):
        src.fetch()


# -- credentials ----------------------------------------------------------------------------------

TOKEN = "tok-5ecret-VALUE-0123456789"


class _Refuse401(BaseHTTPRequestHandler):
    seen: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("Authorization"))
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="git"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_401() -> Iterator[str]:
    _Refuse401.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refuse401)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/platform/gitops.git"
    finally:
        server.shutdown()
        server.server_close()


def test_auth_failure_is_clear_and_never_shows_the_token(
    http_401: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    spec = RepoSpec(name="gitops", url=http_401, ref="main", token_env="GIT_TOKEN")
    src = GitSource(spec, cache_dir=tmp_path / "cache", environ={"GIT_TOKEN": TOKEN}, timeout=20)
    with pytest.raises(GitError) as caught:
        src.fetch()
    message = str(caught.value)
    assert "authentication failed (the server refused the token from GIT_TOKEN)" in message
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert _Refuse401.seen and _Refuse401.seen[0] == f"Basic {basic}"  # sent as a header
    for secret in (TOKEN, basic):
        assert secret not in message
        assert secret not in caplog.text
        assert secret not in repr(caught.value.__cause__)
    assert not (src.path / "config").read_text().count(TOKEN)  # never stored in the cache


def test_missing_token_variable_is_named_not_shown(remote: GitRemote, tmp_path: Path) -> None:
    remote.commit({"a.yaml": route("a")})
    with pytest.raises(GitError, match=r"environment variable GIT_TOKEN .* is not set"):
        source(remote, tmp_path, token_env="GIT_TOKEN", environ={"OTHER": TOKEN}).fetch()


def test_ssh_key_is_passed_to_ssh_in_batch_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir, args_file = tmp_path / "bin", tmp_path / "ssh-args"
    bin_dir.mkdir()
    fake = bin_dir / "ssh"
    fake.write_text(
        f'#!/bin/sh\necho "$@" > {args_file}\necho "Permission denied (publickey)." >&2\nexit 255\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    key_file = tmp_path / "id ed25519"
    key_file.write_text("not a real key")
    spec = RepoSpec(
        name="gitops",
        url="ssh://git@git.example.invalid/gitops.git",
        ref="main",
        ssh_key_file=str(key_file),
    )
    src = GitSource(spec, cache_dir=tmp_path / "cache", environ={}, timeout=20)
    with pytest.raises(GitError, match=r"authentication failed \(the server refused the SSH key"):
        src.fetch()
    assert f"-i {key_file} -o IdentitiesOnly=yes -o BatchMode=yes" in args_file.read_text()


def test_missing_ssh_key_file_is_a_git_error(tmp_path: Path) -> None:
    spec = RepoSpec(
        name="gitops", url="ssh://git@h/r.git", ref="main", ssh_key_file=str(tmp_path / "nope")
    )
    with pytest.raises(GitError, match=r"SSH key file .*nope does not exist"):
        GitSource(spec, cache_dir=tmp_path / "cache", environ={}).fetch()


def test_fetch_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text("#!/bin/sh\nexec sleep 30\n")
    (bin_dir / "ssh").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    spec = RepoSpec(name="gitops", url="ssh://git@git.example.invalid/gitops.git", ref="main")
    src = GitSource(spec, cache_dir=tmp_path / "cache", environ={}, timeout=0.5)
    with pytest.raises(GitError, match=r"timed out after 0\.5s") as caught:
        src.fetch()
    assert caught.value.transient


# -- reading a tree ---------------------------------------------------------------------------------

LIST = f"""apiVersion: v1
kind: List
items:
- apiVersion: {GW}/v1
  kind: HTTPRoute
  metadata: {{name: list-a}}
- apiVersion: {GW}/v1
  kind: HTTPRoute
  metadata: {{name: list-b}}
"""
SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: creds
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"password":"aHVudGVyMg=="}}'
type: Opaque
data: {password: aHVudGVyMg==}
stringData: {token: hunter2}
"""


@pytest.fixture(scope="module")
def tree_read(tmp_path_factory: pytest.TempPathFactory) -> GitRead:
    tmp = tmp_path_factory.mktemp("tree")
    remote = GitRemote.create(tmp / "gitops")
    base = "clusters/prod/payments"
    remote.write(
        {
            f"{base}/routes.yaml": "---\n" + route("checkout") + "---\n" + route("cart", "shop"),
            f"{base}/nested/deep/grant.yaml": f"apiVersion: {GW}/v1beta1\nkind: ReferenceGrant\nmetadata: {{name: grant}}\n",
            f"{base}/gatewayclass.yaml": f"apiVersion: {GW}/v1\nkind: GatewayClass\nmetadata: {{name: public, namespace: oops}}\n",
            f"{base}/values.yaml": "replicaCount: 2\nimage: {tag: v1}\n",
            f"{base}/bad.yaml": route("before-error")
            + "---\nkind: HTTPRoute\nmetadata: name: x\nspec: {}\n",
            f"{base}/big.yaml": route("big") + "# " + "x" * 3000 + "\n",
            f"{base}/bomb.yaml": bomb(),
            f"{base}/zz-dup.yaml": route("checkout", "payments"),
            f"{base}/secret.yaml": SECRET,
            f"{base}/list.yaml": LIST,
            f"{base}/yaml11.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: yaml11}\ndata: {on: yes, mode: 0755, date: 2024-01-02}\n",
            f"{base}/latin1.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n",
            f"{base}/nameless.yaml": f"apiVersion: {GW}/v1\nkind: HTTPRoute\nmetadata: {{namespace: payments}}\n",
            f"{base}/kustomization-free/notes.md": "not: [yaml",
            "shared/linked-route.yaml": route("linked"),
            "shared/dir/route.yaml": route("via-dir-link"),
            "clusters/staging/payments/route.yaml": route("staging-only"),
            "clusters/prod/payments-other/route.yaml": route("sibling"),
        }
    )
    remote.symlink(f"{base}/escape.yaml", "../../../../outside.yaml")
    remote.symlink(f"{base}/absolute.yaml", "/etc/hostname")
    remote.symlink(f"{base}/linked.yaml", "../../../shared/linked-route.yaml")
    remote.symlink(f"{base}/shared-dir", "../../../shared/dir")
    remote.commit(message="base")
    remote.gitlink(f"{base}/vendor", remote.head())
    sha = remote.commit(message="submodule", stage=False)
    src = GitSource(
        RepoSpec(name="gitops", url=remote.url, ref="main"),
        cache_dir=tmp / "cache",
        environ={"PATH": os.environ["PATH"]},
    )
    assert src.fetch() == sha
    return src.read(
        sha,
        patterns=PATTERNS,
        default_namespace="payments",
        max_file_bytes=2048,
        max_yaml_nodes=10_000,
    )


GOOD = {key("checkout"), key("cart", "shop"), key("grant", kind="ReferenceGrant")}


def problems_of(read: GitRead, check: str) -> dict[str, str]:
    return {p.origin.path: p.message for p in read.problems if p.check == check}


@pytest.mark.parametrize(
    ("check", "path", "fragment"),
    [
        (
            "PDA-SRC-001",
            "bad.yaml",
            "bad.yaml:9: invalid YAML: mapping values are not allowed in this context",
        ),
        ("PDA-SRC-001", "latin1.yaml", "latin1.yaml:3: not UTF-8 text"),
        ("PDA-SRC-001", "nameless.yaml", "HTTPRoute without a metadata.name"),
        ("PDA-SRC-002", "big.yaml", "is over the limit of 2048 bytes"),
        ("PDA-SRC-002", "bomb.yaml", "expand past the limit of 10000 YAML nodes"),
        (
            "PDA-SRC-003",
            "escape.yaml",
            "symlink to '../../../../outside.yaml' leads outside the repository",
        ),
        ("PDA-SRC-003", "absolute.yaml", "symlink to '/etc/hostname' leads outside the repository"),
        (
            "PDA-SRC-004",
            "zz-dup.yaml",
            "declared twice: at clusters/prod/payments/routes.yaml:2 and at clusters/prod/payments/zz-dup.yaml:1; the first is kept",
        ),
    ],
)
def test_each_bad_file_is_a_specific_problem_and_the_rest_is_read(
    tree_read: GitRead, check: str, path: str, fragment: str
) -> None:
    found = problems_of(tree_read, check)
    full = f"clusters/prod/payments/{path}"
    assert full in found, found
    assert fragment in found[full]
    assert {o.key for o in tree_read.objects} >= GOOD


def test_problem_origins_name_repository_commit_and_line(tree_read: GitRead) -> None:
    bad = next(p for p in tree_read.problems if p.origin.path.endswith("bad.yaml"))
    assert (bad.origin.repository, bad.origin.commit, bad.origin.line) == (
        "gitops",
        tree_read.commit,
        9,
    )
    dup = next(p for p in tree_read.problems if p.check == "PDA-SRC-004")
    assert dup.key == key("checkout")
    assert len(tree_read.problems) == 8


def test_documents_before_a_syntax_error_are_kept(tree_read: GitRead) -> None:
    assert key("before-error") in {o.key for o in tree_read.objects}


def test_globs_default_namespace_and_origins(tree_read: GitRead) -> None:
    by_key = {o.key: o for o in tree_read.objects}
    checkout = by_key[key("checkout")]
    assert checkout.body["metadata"]["namespace"] == "payments"
    assert checkout.origin is not None
    assert checkout.origin.as_dict() == {
        "repository": "gitops",
        "commit": tree_read.commit,
        "path": "clusters/prod/payments/routes.yaml",
        "line": 2,
    }
    assert by_key[key("cart", "shop")].origin.line == 9
    names = {k.name for k in by_key}
    assert "grant" in names  # ** matched two directories deep
    assert not {"staging-only", "sibling", "big"} & names


def test_cluster_scoped_kind_keeps_empty_namespace(tree_read: GitRead) -> None:
    gc = next(o for o in tree_read.objects if o.key.kind == "GatewayClass")
    assert gc.key == ResourceKey(GW, "GatewayClass", "", "public")
    assert "namespace" not in gc.body["metadata"]


def test_symlinks_inside_the_repository_are_followed(tree_read: GitRead) -> None:
    by_name = {o.key.name: o for o in tree_read.objects}
    assert by_name["linked"].origin.path == "clusters/prod/payments/linked.yaml"
    assert by_name["via-dir-link"].origin.path == "clusters/prod/payments/shared-dir/route.yaml"


def test_list_items_keep_their_lines(tree_read: GitRead) -> None:
    lines = {o.key.name: o.origin.line for o in tree_read.objects if o.key.name.startswith("list-")}
    assert lines == {"list-a": 4, "list-b": 7}


def test_secret_values_are_dropped(tree_read: GitRead) -> None:
    secret = next(o for o in tree_read.objects if o.key.kind == "Secret")
    assert secret.key == ResourceKey("", "Secret", "payments", "creds")
    assert "data" not in secret.body and "stringData" not in secret.body
    assert "aHVudGVyMg" not in repr(tree_read) and "hunter2" not in repr(tree_read)


def test_yaml_1_1_booleans_and_octal(tree_read: GitRead) -> None:
    cm = next(o for o in tree_read.objects if o.key.name == "yaml11")
    assert cm.body["data"] == {"true": True, "mode": 493, "date": "2024-01-02"}


def test_non_kubernetes_yaml_is_counted_and_submodules_skipped(tree_read: GitRead) -> None:
    assert tree_read.ignored == 1  # values.yaml (notes.md is not YAML by name and is not read)
    assert [s.as_dict() for s in tree_read.skipped] == [
        {
            "subject": "repository gitops: clusters/prod/payments/vendor (submodule)",
            "reason": "submodules are not read",
            "partial": True,
        },
    ]


def test_default_namespace_falls_back_to_default(remote: GitRemote, tmp_path: Path) -> None:
    sha = remote.commit({"r.yaml": route("r")})
    src = source(remote, tmp_path)
    src.fetch()
    read = src.read(
        sha,
        patterns=["*.yaml"],
        default_namespace=None,
        cluster_scoped={GroupKind(GW, "HTTPRoute")},
    )
    assert [o.key for o in read.objects] == [ResourceKey(GW, "HTTPRoute", "", "r")]
    read = src.read(sha, patterns=["*.yaml"], default_namespace=None)
    assert [o.key for o in read.objects] == [key("r", "default")]


# -- kustomize ----------------------------------------------------------------------------------


@pytest.fixture
def kustomized(remote: GitRemote, tmp_path: Path) -> str:
    """A fetched repository with one kustomize directory and one plain file; returns the commit."""
    sha = remote.commit(
        {
            "apps/web/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [route.yaml]\n",
            "apps/web/route.yaml": route("web"),
            "apps/plain.yaml": route("plain"),
        }
    )
    source(remote, tmp_path).fetch()
    return sha


def only_git_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    git_exe = shutil.which("git")
    assert git_exe
    (bin_dir / "git").symlink_to(git_exe)
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def test_kustomize_directory_is_skipped_without_a_renderer(
    kustomized: str, remote: GitRemote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = kustomized
    only_git_on_path(tmp_path, monkeypatch)
    src = source(remote, tmp_path, environ=os.environ)
    read = src.read(sha, patterns=["apps/**/*.yaml"], default_namespace="web")
    assert [s.as_dict() for s in read.skipped] == [
        {
            "subject": "repository gitops: apps/web (kustomize)",
            "reason": "kustomize directory, but neither kustomize nor kubectl is on PATH",
            "partial": True,
        }
    ]
    assert [o.key.name for o in read.objects] == ["plain"]  # route.yaml is a kustomize input
    assert read.problems == []


@pytest.mark.parametrize(("tool", "verb"), [("kustomize", "build"), ("kubectl", "kustomize")])
def test_kustomize_directory_is_rendered_by_the_tool_on_path(
    kustomized: str,
    remote: GitRemote,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tool: str,
    verb: str,
) -> None:
    sha = kustomized
    bin_dir = only_git_on_path(tmp_path, monkeypatch)
    fake = bin_dir / tool
    fake.write_text(f'#!/bin/sh\n[ "$1" = {verb} ] || exit 9\n/bin/cat "$2/route.yaml"\n')
    fake.chmod(0o755)
    src = source(remote, tmp_path, environ=os.environ)
    read = src.read(sha, patterns=["apps/**/*.yaml"], default_namespace="web")
    assert read.skipped == [] and read.problems == []
    origins = {o.key.name: o.origin.as_dict() for o in read.objects if o.origin}
    assert origins["web"] == {
        "repository": "gitops",
        "commit": sha,
        "path": "apps/web/kustomization.yaml",
        "line": None,
    }
    assert set(origins) == {"web", "plain"}
    assert read.objects[1].key == key("web", "web")


def test_failing_kustomize_is_skipped_with_its_error(
    kustomized: str, remote: GitRemote, tmp_path: Path
) -> None:
    sha = kustomized
    bin_dir = tmp_path / "kbin"
    bin_dir.mkdir()
    fake = bin_dir / "kustomize"
    fake.write_text("#!/bin/sh\necho 'Error: accumulating resources: missing.yaml' >&2\nexit 1\n")
    fake.chmod(0o755)
    src = source(remote, tmp_path, environ={"PATH": str(bin_dir)})
    read = src.read(sha, patterns=["apps/web/kustomization.yaml"], default_namespace=None)
    assert [s.reason for s in read.skipped] == [
        "kustomize exited 1: Error: accumulating resources: missing.yaml"
    ]
    assert read.objects == []


def test_kustomize_directories_share_one_export_of_the_commit(
    remote: GitRemote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit is exported once per read, not once per kustomize directory."""
    kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    sha = remote.commit(
        {
            "apps/web/kustomization.yaml": kustomization,
            "apps/web/route.yaml": route("web"),
            "apps/api/kustomization.yaml": kustomization,
            "apps/api/route.yaml": route("api"),
        }
    )
    source(remote, tmp_path).fetch()
    bin_dir = only_git_on_path(tmp_path, monkeypatch)
    log = tmp_path / "renders.log"
    fake = bin_dir / "kustomize"
    fake.write_text(f'#!/bin/sh\necho "$2" >> {log}\n/bin/cat "$2/route.yaml"\n')
    fake.chmod(0o755)
    read = source(remote, tmp_path, environ=os.environ).read(
        sha, patterns=["apps/**/*.yaml"], default_namespace="web"
    )
    assert read.skipped == [] and read.problems == []
    assert sorted(o.key.name for o in read.objects) == ["api", "web"]
    rendered = [Path(line) for line in log.read_text().splitlines()]
    assert [p.name for p in rendered] == ["api", "web"]
    assert len({p.parent.parent for p in rendered}) == 1  # one export root for both


def test_files_are_read_in_batches_with_their_own_contents(
    remote: GitRemote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blobs come from batched ``cat-file`` runs; every file keeps its own content and line
    numbers whatever the batch boundaries (here a few hundred bytes per batch)."""
    from auditor.sources import gitread

    monkeypatch.setattr(gitread, "BATCH_BYTES", 300)
    files = {
        f"apps/r{i:02}.yaml": "---\n".join([route(f"r{i:02}")] * (1 + i % 3)) for i in range(25)
    }
    files["apps/same.yaml"] = files["apps/r00.yaml"]  # one blob for two paths
    remote.commit(files)
    src = source(remote, tmp_path)
    read = src.read(src.fetch(), patterns=["apps/*.yaml"], default_namespace="ns")
    names = sorted({o.key.name for o in read.objects})
    assert names == [f"r{i:02}" for i in range(25)]
    assert {o.origin.path for o in read.objects if o.origin} == set(files) - {"apps/same.yaml"}
    assert any("apps/same.yaml" in p.message for p in read.problems)  # read, and a duplicate
    assert {o.origin.line for o in read.objects if o.origin} == {1}
