"""File selection in a Git tree: globs with **, kustomize directories, symlinks (pure)."""

from __future__ import annotations

import time

import pytest

from auditor.sources.tree import Entry, could_match_below, glob_regex, select


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("clusters/prod/**/*.yaml", "clusters/prod/a.yaml", True),
        ("clusters/prod/**/*.yaml", "clusters/prod/x/y/a.yaml", True),
        ("clusters/prod/**/*.yaml", "clusters/prod-2/a.yaml", False),
        ("clusters/*/a.yaml", "clusters/prod/a.yaml", True),
        ("clusters/*/a.yaml", "clusters/prod/x/a.yaml", False),
        ("**/*.yml", "a/b/c.yml", True),
        ("**/*.yml", "c.yml", True),
        ("apps/**", "apps/x/y.yaml", True),
        ("apps/**", "apps", False),
        ("a/?.yaml", "a/b.yaml", True),
        ("a/?.yaml", "a/bc.yaml", False),
        ("a/[!x]*.yaml", "a/b.yaml", True),
        ("a/[!x]*.yaml", "a/xb.yaml", False),
        ("a/[ab].yaml", "a/b.yaml", True),
        ("./a/*.yaml", "a/b.yaml", True),
        ("a.b/*.yaml", "aXb/c.yaml", False),
        ("/a/*.yaml", "a/c.yaml", True),
    ],
)
def test_glob(pattern: str, path: str, expected: bool) -> None:
    assert bool(glob_regex(pattern).fullmatch(path)) is expected


@pytest.mark.parametrize(
    ("pattern", "directory", "expected"),
    [
        ("a/**/*.yaml", "a/b", True),
        ("a/*.yaml", "a", True),
        ("a/*.yaml", "a/b", False),
        ("a/*.yaml", "b", False),
        ("**", "x/y", True),
        ("a/b.yaml", "a/b.yaml", False),
    ],
)
def test_could_match_below(pattern: str, directory: str, expected: bool) -> None:
    assert could_match_below(pattern, directory) is expected


def blob(path: str) -> Entry:
    return Entry(path=path, mode="100644", sha=f"sha-{path}", size=10)


def link(path: str, target: str) -> Entry:
    return Entry(path=path, mode="120000", sha=f"link:{target}", size=len(target))


def read_link(entry: Entry) -> str:
    return entry.sha.removeprefix("link:")


def test_selected_kustomize_directory_hides_its_files_and_nested_ones() -> None:
    entries = [
        blob("apps/web/kustomization.yaml"),
        blob("apps/web/deploy.yaml"),
        blob("apps/web/overlays/prod/kustomization.yml"),
        blob("apps/web/overlays/prod/patch.yaml"),
        blob("apps/api/Kustomization"),
        blob("apps/api/deploy.yaml"),
        blob("apps/plain.yaml"),
        blob("apps/README.md"),
    ]
    chosen = select(entries, ["apps/**/*.yaml"], read_link=read_link)
    assert chosen.kustomizations == ["apps/web/kustomization.yaml"]
    # apps/api is a kustomize directory the glob does not select (its file has no .yaml suffix):
    assert [p for p, _ in chosen.files] == ["apps/api/deploy.yaml", "apps/plain.yaml"]
    chosen = select(entries, ["apps/*"], read_link=read_link)
    assert chosen.kustomizations == ["apps/api/Kustomization", "apps/web/kustomization.yaml"]
    assert [p for p, _ in chosen.files] == ["apps/plain.yaml"]


def test_symlinks_are_followed_inside_and_reported_outside() -> None:
    entries = [
        blob("shared/r.yaml"),
        blob("shared/sub/s.yaml"),
        link("c/file.yaml", "../shared/r.yaml"),
        link("c/chain.yaml", "file.yaml"),
        link("c/dir", "../shared"),
        link("c/out.yaml", "../../etc/passwd"),
        link("c/abs.yaml", "/etc/passwd"),
        link("c/loop.yaml", "loop.yaml"),
        link("c/ping.yaml", "pong.yaml"),
        link("c/pong.yaml", "ping.yaml"),
        link("other/out.yaml", "/etc/passwd"),
        Entry(path="c/vendor", mode="160000", sha="abc", size=None),
    ]
    chosen = select(entries, ["c/**/*.yaml"], read_link=read_link)
    assert [(p, e.path) for p, e in chosen.files] == [
        ("c/chain.yaml", "shared/r.yaml"),
        ("c/dir/r.yaml", "shared/r.yaml"),
        ("c/dir/sub/s.yaml", "shared/sub/s.yaml"),
        ("c/file.yaml", "shared/r.yaml"),
    ]
    assert chosen.escaping == [
        ("c/abs.yaml", "/etc/passwd"),
        ("c/loop.yaml", "loop.yaml"),
        ("c/out.yaml", "../../etc/passwd"),
        ("c/ping.yaml", "pong.yaml"),
        ("c/pong.yaml", "ping.yaml"),
    ]
    assert chosen.loops == {"c/loop.yaml", "c/ping.yaml", "c/pong.yaml"}  # named as loops
    assert chosen.submodules == ["c/vendor"]


def test_symlink_to_the_repository_root_is_bounded() -> None:
    entries = [blob("a.yaml"), link("d/root", "..")]
    chosen = select(entries, ["**/*.yaml"], read_link=read_link)
    paths = [p for p, _ in chosen.files]
    assert paths[:2] == ["a.yaml", "d/root/a.yaml"]
    assert len(paths) <= 4


def test_selection_is_linear_in_files_and_kustomize_directories() -> None:
    """Each file is checked against its own ancestors, not against every kustomize directory
    (2,000 directories and 15,000 files took seconds when that was a nested loop)."""
    entries: list[Entry] = []
    for d in range(2000):
        entries += [blob(f"apps/a{d}/kustomization.yaml")]
        entries += [blob(f"apps/a{d}/f{f}.yaml") for f in range(5)]
        entries += [blob(f"apps/a{d}/sub/kustomization.yaml")]
    entries += [blob(f"plain/f{f}.yaml") for f in range(5000)]
    started = time.perf_counter()
    chosen = select(entries, ["apps/**", "plain/*.yaml"], read_link=read_link)
    elapsed = time.perf_counter() - started
    assert len(chosen.kustomizations) == 2000  # the nested sub/ directories are not separate
    assert len(chosen.files) == 5000
    assert elapsed < 2.0, f"select took {elapsed:.2f}s"


def test_selection_by_literal_directory_equals_matching_every_path() -> None:
    """Looking only below a pattern's literal directories finds exactly what matching every
    path of the tree finds (the files, in path order)."""
    from hypothesis import given
    from hypothesis import strategies as st

    segment = st.sampled_from(["a", "a0", "a.b", "ab", "b", "x-y", "[a]", "_"])
    paths = st.lists(
        st.lists(segment, min_size=1, max_size=4).map(lambda s: "/".join(s) + ".yaml"),
        max_size=12,
        unique=True,
    )
    glob_segment = st.sampled_from(["a", "a*", "*", "?", "**", "[ab]", "a.b", "b", "x-y"])
    pattern = st.lists(glob_segment, min_size=1, max_size=4).map(lambda s: "/".join(s) + ".yaml")

    @given(paths=paths, patterns=st.lists(pattern, min_size=1, max_size=3))
    def agree(paths: list[str], patterns: list[str]) -> None:
        entries = [
            Entry(path=p, mode="100644", sha=f"{i:040x}", size=1) for i, p in enumerate(paths)
        ]
        chosen = [path for path, _ in select(entries, patterns, read_link=_no_links).files]
        regexes = [glob_regex(p) for p in patterns]
        assert chosen == [p for p in sorted(paths) if any(r.fullmatch(p) for r in regexes)]

    agree()


def _no_links(entry: Entry) -> str:
    raise AssertionError(entry)
