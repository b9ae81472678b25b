"""Which files of a Git tree a team source reads: globs, symlinks and kustomize directories.

Pure (the caller lists the tree and reads symlink targets). Rules, documented for users:

* Patterns are matched against repository paths (``/``-separated, no leading ``/``). ``*``, ``?``
  and ``[...]`` match within one path segment; a ``**`` segment matches zero or more segments
  (``a/**/*.yaml`` matches ``a/x.yaml`` and ``a/b/c/x.yaml``; ``a/**`` matches everything in ``a``).
* Only files ending in ``.yaml``, ``.yml`` or ``.json`` are read.
* A directory holding ``kustomization.yaml``, ``kustomization.yml`` or ``Kustomization`` is a
  kustomize directory. It is *selected* when a pattern matches that file or the directory itself;
  a selected directory is rendered as a whole, and no file inside it (or below it) is read on its
  own. A selected directory inside another selected one is not rendered separately.
* Symlinks are followed when their target stays inside the repository (to a file or a directory,
  up to a few levels). A symlink leaving it is reported (PDA-SRC-003) when a pattern selects it or
  could select something below it. Submodules are not read and are reported the same way.
"""

from __future__ import annotations

import bisect
import itertools
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

YAML_SUFFIXES = (".yaml", ".yml", ".json")
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MODE_SYMLINK = "120000"
MODE_SUBMODULE = "160000"
_MAX_LINK_HOPS = 8
_LOOP = "\0loop"  # not a path: Git paths cannot hold NUL
_MAX_DIR_LINK_ROUNDS = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One ``git ls-tree -r -l`` row: a blob, symlink (mode 120000) or submodule (160000)."""

    path: str
    mode: str
    sha: str
    size: int | None


@dataclass(slots=True, kw_only=True)
class Selection:
    """What to read: files (path as selected -> the blob holding its content) in path order,
    the kustomization files of the kustomize directories to render, and the escaping symlinks
    (path, target) and submodules that the patterns select. ``loops`` names the escaping
    symlinks that do not leave the repository but never reach a file (a cycle of links)."""

    files: list[tuple[str, Entry]] = field(default_factory=list)
    kustomizations: list[str] = field(default_factory=list)
    escaping: list[tuple[str, str]] = field(default_factory=list)
    submodules: list[str] = field(default_factory=list)
    loops: set[str] = field(default_factory=set)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a path glob (see module doc) into a full-match regular expression."""
    segments = pattern.strip("/").removeprefix("./").split("/")
    out: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            out.append(".+" if last else "(?:[^/]+/)*")
        else:
            out.append(_segment_regex(segment) + ("" if last else "/"))
    return re.compile("".join(out))


def _segment_regex(segment: str) -> str:
    out, i = [], 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := segment.find("]", i + 2)) != -1:
            body = segment[i + 1 : end]
            negate = body.startswith("!")
            body = re.sub(r"([\\\]^])", r"\\\1", body[1:] if negate else body)
            out.append(f"[{'^' if negate else ''}{body}]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def could_match_below(pattern: str, directory: str) -> bool:
    """True when ``pattern`` could match some path strictly below ``directory``."""
    pat = pattern.strip("/").removeprefix("./").split("/")
    parts = [p for p in directory.split("/") if p]
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if j == len(parts):
            if i < len(pat):
                return True
        elif i < len(pat) and pat[i] == "**":
            todo += [(i + 1, j), (i, j + 1)]
        elif i < len(pat) and fnmatchcase(parts[j], pat[i]):
            todo.append((i + 1, j + 1))
    return False


@dataclass(frozen=True, slots=True, kw_only=True)
class Tree:
    """A listed commit tree prepared for selection: built once per commit and shared by every
    team source that reads it (hundreds of teams reading one repository made selecting
    O(teams x files); now each selection looks only below its patterns' literal directories)."""

    entries: Sequence[Entry]
    table: dict[str, Entry]
    """Every readable path, symlinks resolved to their blob."""
    paths: list[str]
    """``table``'s paths, sorted."""
    escaping: list[tuple[str, str]]
    loops: set[str]
    kustomization_paths: list[str]
    """The paths of ``table`` named like a kustomization file, sorted."""
    submodules: list[str]

    @classmethod
    def of(cls, entries: Sequence[Entry], read_link: Callable[[Entry], str]) -> Tree:
        table, escaping, loops = _virtual_table(entries, read_link)
        paths = sorted(table)
        return cls(
            entries=entries,
            table=table,
            paths=paths,
            escaping=escaping,
            loops=loops,
            kustomization_paths=[p for p in paths if posixpath.basename(p) in KUSTOMIZATION_FILES],
            submodules=[e.path for e in entries if e.mode == MODE_SUBMODULE],
        )

    def under(self, directory: str) -> list[str]:
        """The sorted paths strictly below ``directory`` (all paths for ``""``)."""
        if not directory:
            return self.paths
        prefix = directory + "/"
        start = bisect.bisect_left(self.paths, prefix)
        end = bisect.bisect_left(self.paths, directory + "0")  # "0" follows "/" in ASCII
        return self.paths[start:end]

    def select(self, patterns: Sequence[str]) -> Selection:
        """Apply ``patterns`` (see module doc)."""
        regexes = [glob_regex(p) for p in patterns]

        def matches(path: str) -> bool:
            return any(r.fullmatch(path) for r in regexes)

        def below(directory: str) -> bool:
            return any(could_match_below(p, directory) for p in patterns)

        selection = Selection(loops=self.loops)
        selection.escaping = [(p, t) for p, t in self.escaping if matches(p) or below(p)]
        selection.submodules = [p for p in self.submodules if matches(p) or below(p)]
        selection.kustomizations = _kustomizations(self.kustomization_paths, matches)
        rendered = {posixpath.dirname(k) for k in selection.kustomizations}
        candidates = sorted({p for pattern in patterns for p in self.under(literal_dir(pattern))})
        for path in candidates:
            if path.endswith(YAML_SUFFIXES) and not _below_any(path, rendered) and matches(path):
                selection.files.append((path, self.table[path]))
        return selection


def literal_dir(pattern: str) -> str:
    """The leading directories of ``pattern`` that hold no wildcard: every path it matches lies
    below them (``teams/a/*.yaml`` → ``teams/a``; ``**/x.yaml`` → ``""``)."""
    segments = pattern.strip("/").removeprefix("./").split("/")[:-1]
    literal = itertools.takewhile(lambda seg: not any(c in seg for c in "*?["), segments)
    return "/".join(literal)


def select(
    entries: Sequence[Entry], patterns: Sequence[str], *, read_link: Callable[[Entry], str]
) -> Selection:
    """Apply ``patterns`` to a listed tree (see module doc)."""
    return Tree.of(entries, read_link).select(patterns)


def _inside(path: str, directory: str) -> bool:
    return directory == "" or path.startswith(directory + "/")


def _below_any(path: str, directories: set[str]) -> bool:
    """True when ``path`` lies below one of ``directories`` (cost: the path's depth)."""
    if not directories:
        return False
    parent = posixpath.dirname(path)
    while True:
        if parent in directories:
            return True
        if not parent:
            return False
        parent = posixpath.dirname(parent)


def _kustomizations(paths: list[str], matches: Callable[[str], bool]) -> list[str]:
    chosen: dict[str, str] = {}
    for path in paths:
        directory = posixpath.dirname(path)
        if matches(path) or (directory and matches(directory)):
            chosen.setdefault(directory, path)
    directories = set(chosen)
    return [
        kustomization
        for directory, kustomization in sorted(chosen.items())
        if not directory or not _below_any(directory, directories)
    ]


def _virtual_table(
    entries: Sequence[Entry], read_link: Callable[[Entry], str]
) -> tuple[dict[str, Entry], list[tuple[str, str]], set[str]]:
    """Every readable path (symlinks resolved to their blob), the symlinks that escape, and
    which of those are loops."""
    blobs = {e.path: e for e in entries if e.mode not in (MODE_SYMLINK, MODE_SUBMODULE)}
    links = {e.path: e for e in entries if e.mode == MODE_SYMLINK}
    table = dict(blobs)
    escaping: list[tuple[str, str]] = []
    loops: set[str] = set()
    dir_links: list[tuple[str, str]] = []
    for path, link in sorted(links.items()):
        target = read_link(link)
        resolved = _resolve(path, target, links, read_link)
        if resolved is None or resolved == _LOOP:
            escaping.append((path, target))
            if resolved == _LOOP:
                loops.add(path)
        elif resolved in blobs:
            table[path] = blobs[resolved]
        else:
            dir_links.append((path, resolved))
    for _ in range(_MAX_DIR_LINK_ROUNDS):
        new = {
            f"{link}/{path[len(target) :].lstrip('/')}": entry
            for link, target in dir_links
            for path, entry in table.items()
            if _inside(path, target)
        }
        new = {p: e for p, e in new.items() if p not in table}
        if not new:
            break
        table.update(new)
    return table, escaping, loops


def _resolve(
    path: str, target: str, links: dict[str, Entry], read_link: Callable[[Entry], str]
) -> str | None:
    """The in-repository path a symlink leads to (following chains), None when it leaves the
    repository, :data:`_LOOP` when the chain comes back to a link or is longer than
    ``_MAX_LINK_HOPS`` (as the kernel's ELOOP)."""
    seen = {path}
    for _ in range(_MAX_LINK_HOPS):
        if target.startswith("/"):
            return None
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        if resolved == ".." or resolved.startswith("../"):
            return None
        resolved = "" if resolved == "." else resolved
        if resolved not in links:
            return resolved
        if resolved in seen:
            return _LOOP
        seen.add(resolved)
        path, target = resolved, read_link(links[resolved])
    return _LOOP
