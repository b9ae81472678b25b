"""Manifest files for ``auditor analyze PATH...``: files, directories and ``-`` for stdin.

Directories are walked recursively for ``*.yaml``, ``*.yml`` and ``*.json`` in sorted order,
skipping hidden directories (``.git``, ``.github``); a file named explicitly is read whatever its
name. Objects get the origin ``repository=""``, ``commit=""``, the path as given (joined with the
path inside a given directory) and the document's line; stdin is ``<stdin>``. Namespaced objects
without a namespace are in ``default``; CRDs in the input go to ``crds`` and declare the scope of
their kinds. Bad content is a ``SourceProblem`` (PDA-SRC-001/002/004) and the rest is still read; a
path that does not exist or cannot be read is a ``ManifestError``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TextIO

from auditor import kinds
from auditor.defaults import FILE_BYTES_KEY, MAX_FILE_BYTES, MAX_YAML_NODES
from auditor.errors import ManifestError
from auditor.model import Body, KubeObject, Origin
from auditor.sources import manifests
from auditor.sources.manifests import Located, SourceProblem
from auditor.sources.yamlload import INVALID_YAML, OVER_LIMITS, load_documents

logger = logging.getLogger(__name__)

STDIN = "-"
STDIN_LABEL = "<stdin>"
SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestSet:
    """Everything read from the given paths, taken together as one cluster state."""

    objects: list[KubeObject]
    crds: list[Body]
    problems: list[SourceProblem]
    ignored: int
    unnamed: tuple[str, ...] = ()
    """Nameless documents that are notes, not problems (``manifests.assemble``)."""


def read_manifests(
    paths: Sequence[str],
    *,
    stdin: TextIO | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
    max_yaml_nodes: int = MAX_YAML_NODES,
) -> ManifestSet:
    """Read every manifest under ``paths`` (``-`` reads ``stdin``, default ``sys.stdin``)."""
    documents: list[Located] = []
    problems: list[SourceProblem] = []
    ignored = 0
    for label, text in _texts(paths, stdin=stdin, max_file_bytes=max_file_bytes):
        origin = Origin(repository="", commit="", path=label)
        if isinstance(text, SourceProblem):
            problems.append(text)
            continue
        docs, found, skipped = load_documents(text, path=label, max_nodes=max_yaml_nodes)
        documents += [Located(body=d.body, origin=replace(origin, line=d.line)) for d in docs]
        problems += [manifests.located_problem(p, origin) for p in found]
        ignored += skipped
    unnamed: list[str] = []
    objects, duplicates, nameless = manifests.assemble(
        documents,
        default_namespace=None,
        cluster_scoped=kinds.CLUSTER_SCOPED | kinds.BUILTIN_CLUSTER_SCOPED,
        unknown_scope=kinds.scope_unknown,
        unnamed_notes=unnamed,
    )
    return ManifestSet(
        objects=[o for o in objects if not manifests.is_crd(o.body)],
        crds=[o.body for o in objects if manifests.is_crd(o.body)],
        problems=problems + duplicates,
        ignored=ignored + nameless,
        unnamed=tuple(unnamed),
    )


def _texts(
    paths: Sequence[str], *, stdin: TextIO | None, max_file_bytes: int
) -> Iterator[tuple[str, str | SourceProblem]]:
    for given in paths:
        if given == STDIN:
            yield STDIN_LABEL, _read_stdin(stdin or sys.stdin, max_file_bytes)
        elif os.path.isdir(given):
            for path in _walk(given):
                yield path, _read_file(path, max_file_bytes)
        elif os.path.exists(given):
            yield given, _read_file(given, max_file_bytes)
        else:
            raise ManifestError("no such file or directory", path=given)


def _walk(directory: str) -> Iterator[str]:
    """YAML and JSON files below ``directory``, sorted, hidden directories skipped."""
    found: list[str] = []
    for root, dirs, files in os.walk(directory, onerror=_raise):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [os.path.join(root, f) for f in files if f.endswith(SUFFIXES)]
    yield from sorted(found)


def _raise(error: OSError) -> None:
    raise ManifestError(f"cannot read directory: {error.strerror}", path=str(error.filename))


def _read_file(path: str, max_file_bytes: int) -> str | SourceProblem:
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_file_bytes + 1)
    except OSError as e:
        raise ManifestError(f"cannot read: {e.strerror}", path=path) from e
    if len(data) > max_file_bytes:
        return _over_limit(path, max_file_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        origin = Origin(repository="", commit="", path=path, line=line)
        message = f"{path}:{line}: not UTF-8 text"
        return SourceProblem(check=INVALID_YAML, origin=origin, message=message)


def _read_stdin(stream: TextIO, max_file_bytes: int) -> str | SourceProblem:
    try:
        text = stream.read(max_file_bytes + 1)
    except UnicodeDecodeError:
        origin = Origin(repository="", commit="", path=STDIN_LABEL)
        message = f"{STDIN_LABEL}: not UTF-8 text"
        return SourceProblem(check=INVALID_YAML, origin=origin, message=message)
    if len(text.encode("utf-8", "surrogateescape")) > max_file_bytes:
        return _over_limit(STDIN_LABEL, max_file_bytes)
    return text


def _over_limit(path: str, limit: int) -> SourceProblem:
    message = f"{path}: file is over the limit of {limit} bytes ({FILE_BYTES_KEY}); not read"
    origin = Origin(repository="", commit="", path=path)
    return SourceProblem(check=OVER_LIMITS, origin=origin, message=message)
