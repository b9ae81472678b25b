"""Reading one commit of a Git repository into objects, problems and skipped subjects.

Independent of GitPython: ``sources/git.py`` supplies the tree, the blobs and an export of the
commit through the narrow ``TreeAccess`` protocol. File selection is ``sources/tree.py``; parsing
is ``sources/yamlload.py``; identity and duplicates are ``sources/manifests.py``.
"""

from __future__ import annotations

import logging
import posixpath
import tempfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from auditor.defaults import FILE_BYTES_KEY
from auditor.keys import GroupKind
from auditor.model import KubeObject, Origin, Skipped
from auditor.sources import kustomize, manifests, tree
from auditor.sources.manifests import Located, SourceProblem
from auditor.sources.yamlload import INVALID_YAML, OVER_LIMITS, load_documents

logger = logging.getLogger(__name__)


class TreeAccess(Protocol):
    """What reading needs from a repository."""

    def tree_of(self, commit: str) -> tree.Tree:
        """The commit's tree, listed recursively and prepared for selection."""
        ...

    def blobs(self, shas: Sequence[str]) -> dict[str, bytes]:
        """The content of several blobs, by SHA."""
        ...

    def export(self, commit: str, target: Path) -> None:
        """Write the commit's files below ``target``; raises ``kustomize.RenderError``."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class GitRead:
    """What one team source read from one commit."""

    repository: str
    commit: str
    objects: list[KubeObject]
    problems: list[SourceProblem]
    skipped: list[Skipped]
    ignored: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadSettings:
    """Limits and tools for one read."""

    max_file_bytes: int
    max_yaml_nodes: int
    timeout: float
    search_path: str | None


def read_commit(
    access: TreeAccess,
    *,
    repository: str,
    commit: str,
    patterns: Sequence[str],
    default_namespace: str | None,
    cluster_scoped: Collection[GroupKind],
    settings: ReadSettings,
) -> GitRead:
    """Read the files ``patterns`` select from ``commit`` (see ``sources/tree.py``)."""
    reader = _Reader(access=access, repository=repository, commit=commit, settings=settings)
    reader.read(patterns)
    objects, duplicates, ignored = manifests.assemble(
        reader.documents, default_namespace=default_namespace, cluster_scoped=cluster_scoped
    )
    logger.debug(
        "read %d objects from %s at %s",
        len(objects),
        repository,
        commit[:12],
        extra={"action": "git-read", "resource": f"repository {repository}"},
    )
    return GitRead(
        repository=repository,
        commit=commit,
        objects=objects,
        problems=reader.problems + duplicates,
        skipped=reader.skipped,
        ignored=reader.ignored + ignored,
    )


@dataclass(slots=True, kw_only=True)
class _Reader:
    access: TreeAccess
    repository: str
    commit: str
    settings: ReadSettings
    documents: list[Located] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    ignored: int = 0

    def origin(self, path: str, line: int | None = None) -> Origin:
        return Origin(repository=self.repository, commit=self.commit, path=path, line=line)

    def problem(self, check: str, path: str, line: int | None, what: str) -> None:
        where = f"{path}:{line}" if line else path
        origin = self.origin(path, line)
        self.problems.append(SourceProblem(check=check, origin=origin, message=f"{where}: {what}"))

    def read(self, patterns: Sequence[str]) -> None:
        selection = self.access.tree_of(self.commit).select(patterns)
        for batch in _batches(selection.files, self.settings.max_file_bytes):
            contents = self.access.blobs([e.sha for _, e in batch if _within(e, self.settings)])
            for path, entry in batch:
                self._read_file(path, entry, contents)
        if selection.kustomizations:
            self._render_all(selection.kustomizations)
        for path, target in selection.escaping:
            what = (
                f"symlink to {target!r} is a symlink loop (it never reaches a file); not followed"
                if path in selection.loops
                else f"symlink to {target!r} leads outside the repository; not followed"
            )
            self.problem(manifests.UNSAFE_SYMLINK, path, None, what)
        self.skipped += [
            Skipped(subject=self._subject(path, "submodule"), reason="submodules are not read")
            for path in selection.submodules
        ]

    def _subject(self, path: str, what: str) -> str:
        return f"repository {self.repository}: {path or '.'} ({what})"

    def _read_file(self, path: str, entry: tree.Entry, contents: Mapping[str, bytes]) -> None:
        limit = self.settings.max_file_bytes
        if not _within(entry, self.settings):
            what = (
                f"file of {entry.size} bytes is over the limit of {limit} bytes"
                f" ({FILE_BYTES_KEY}); not read"
            )
            self.problem(OVER_LIMITS, path, None, what)
            return
        data = contents[entry.sha]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            self.problem(INVALID_YAML, path, data.count(b"\n", 0, e.start) + 1, "not UTF-8 text")
            return
        self._load(text, path, path, lines=True)

    def _load(self, text: str, path: str, label: str, *, lines: bool) -> None:
        max_nodes = self.settings.max_yaml_nodes
        docs, problems, ignored = load_documents(text, path=label, max_nodes=max_nodes)
        self.documents += [
            Located(body=d.body, origin=self.origin(path, d.line if lines else None)) for d in docs
        ]
        origin = self.origin(path)
        self.problems += [
            manifests.located_problem(p, origin)
            if lines
            else SourceProblem(check=p.check, origin=origin, message=p.message)
            for p in problems
        ]
        self.ignored += ignored

    def _render_all(self, kustomizations: list[str]) -> None:
        """Render every selected kustomize directory from one export of the commit."""
        command = kustomize.find_renderer(self.settings.search_path)
        if command is None:
            for kustomization in kustomizations:
                self._skip_render(kustomization, kustomize.NOT_FOUND)
            return
        with tempfile.TemporaryDirectory(prefix="auditor-kustomize-") as tmp:
            try:
                self.access.export(self.commit, Path(tmp))
            except kustomize.RenderError as e:
                for kustomization in kustomizations:
                    self._skip_render(kustomization, str(e))
                return
            for kustomization in kustomizations:
                self._render(command, Path(tmp), kustomization)

    def _skip_render(self, kustomization: str, reason: str) -> None:
        subject = self._subject(posixpath.dirname(kustomization), "kustomize")
        self.skipped.append(Skipped(subject=subject, reason=reason))

    def _render(self, command: list[str], root: Path, kustomization: str) -> None:
        try:
            text = kustomize.render(
                command,
                root / posixpath.dirname(kustomization),
                timeout=self.settings.timeout,
                max_bytes=self.settings.max_file_bytes,
            )
        except kustomize.RenderError as e:
            self._skip_render(kustomization, str(e))
            return
        self._load(text, kustomization, f"{kustomization} (rendered)", lines=False)


BATCH_BYTES = 32 * 1024 * 1024
"""Blobs are fetched in batches of about this many bytes: one git process per batch instead of
a round trip per file, without holding every file of a large source at once."""


def _within(entry: tree.Entry, settings: ReadSettings) -> bool:
    return entry.size is None or entry.size <= settings.max_file_bytes


def _batches(
    files: list[tuple[str, tree.Entry]], max_file_bytes: int
) -> Iterator[list[tuple[str, tree.Entry]]]:
    """``files`` in consecutive batches of at most ``BATCH_BYTES`` (counting files over the
    limit as nothing: they are not read)."""
    batch: list[tuple[str, tree.Entry]] = []
    size = 0
    for path, entry in files:
        cost = entry.size if entry.size is not None and entry.size <= max_file_bytes else 0
        if batch and size + cost > BATCH_BYTES:
            yield batch
            batch, size = [], 0
        batch.append((path, entry))
        size += cost
    if batch:
        yield batch
