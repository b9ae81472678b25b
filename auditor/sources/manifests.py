"""From loaded documents to keyed objects, and the source problems (PDA-SRC-*) found on the way.

Shared by the Git reader (``sources/git.py``) and the manifest-file reader (``sources/files.py``):
identity (DESIGN §3: a namespaced object without a namespace takes the source's default namespace,
else ``default``; a cluster-scoped object has namespace ``""``, and a namespace set on one is
dropped), duplicates (PDA-SRC-004, the first document wins), and objects that cannot be identified
(``metadata`` without a ``name``: PDA-SRC-001; no ``metadata`` at all: not an object, ignored).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from auditor import kinds
from auditor.checkids import SRC_003, SRC_004
from auditor.keys import GroupKind, ResourceKey, key_of
from auditor.model import Body, KubeObject, Origin
from auditor.sources.yamlload import INVALID_YAML, Problem

logger = logging.getLogger(__name__)

UNSAFE_SYMLINK = SRC_003
DUPLICATE = SRC_004


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceProblem:
    """A PDA-SRC-* condition of one file (or document) of a source; becomes a ``source`` finding.

    ``message`` is a full sentence naming the file (and line); ``key`` is set when the problem is
    about an identified object (duplicates).
    """

    check: str
    origin: Origin
    message: str
    key: ResourceKey | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Located:
    """A loaded document body and where it was read."""

    body: Body
    origin: Origin


def located_problem(problem: Problem, origin: Origin) -> SourceProblem:
    """A loader problem of the file at ``origin`` as a SourceProblem at the problem's line."""
    return SourceProblem(
        check=problem.check, origin=replace(origin, line=problem.line), message=problem.message
    )


def where(origin: Origin) -> str:
    """``path:line`` (or ``path``) of an origin, for messages."""
    return f"{origin.path}:{origin.line}" if origin.line else origin.path


def group_kind(body: Body) -> GroupKind:
    """The GroupKind of a loaded object body."""
    return GroupKind.from_api_version(str(body.get("apiVersion", "")), str(body.get("kind", "")))


def is_crd(body: Body) -> bool:
    return group_kind(body) == kinds.CRD


def crd_scopes(bodies: Iterable[Body]) -> dict[GroupKind, bool]:
    """Kinds defined by the CRDs among ``bodies``, True when the kind is namespaced."""
    scopes: dict[GroupKind, bool] = {}
    for body in bodies:
        if not is_crd(body):
            continue
        spec = body.get("spec")
        names = spec.get("names") if isinstance(spec, dict) else None
        if isinstance(names, dict) and isinstance(spec, dict):
            gk = GroupKind(str(spec.get("group", "")), str(names.get("kind", "")))
            scopes[gk] = spec.get("scope") != "Cluster"
    return scopes


def assemble(
    documents: Sequence[Located],
    *,
    default_namespace: str | None,
    cluster_scoped: Collection[GroupKind],
    unknown_scope: Callable[[GroupKind], bool] | None = None,
    unnamed_notes: list[str] | None = None,
) -> tuple[list[KubeObject], list[SourceProblem], int]:
    """Key every document, fill in namespaces, and drop (and report) duplicates and nameless ones.

    Returns the objects, the problems, and how many documents have no ``metadata`` at all (tool
    configuration such as kustomization.yaml or a kubeconfig: counted as not Kubernetes objects).
    CRDs among the documents extend ``cluster_scoped`` with the scope they declare.

    ``unknown_scope`` (optional) names kinds whose scope is not known (no CRD, not built in): an
    object of such a kind without a namespace is given none rather than a guessed one.
    ``unnamed_notes`` (optional) collects, instead of reporting PDA-SRC-001, documents that
    cannot have a name yet (``generateName`` only) or are of a kind the checks never key on
    (``is_policy`` false): one sentence each, for notes that do not make a run partial.
    """
    scopes = crd_scopes(d.body for d in documents)
    scoped = {gk for gk in cluster_scoped if scopes.get(gk) is not True}
    scoped.update(gk for gk, namespaced in scopes.items() if not namespaced)
    unknown = (
        (lambda gk: gk not in scopes and unknown_scope(gk)) if unknown_scope is not None else None
    )
    objects: dict[ResourceKey, KubeObject] = {}
    problems: list[SourceProblem] = []
    ignored = 0
    for doc in documents:
        if unnamed_notes is not None and (note := _unnamed_note(doc)) is not None:
            unnamed_notes.append(note)
            continue
        found = _identify(doc, default_namespace or "default", scoped, unknown)
        if found is None:
            ignored += 1
        elif isinstance(found, SourceProblem):
            problems.append(found)
        elif (first := objects.get(found.key)) is not None:
            problems.append(_duplicate(first, found))
        else:
            objects[found.key] = found
    return list(objects.values()), problems, ignored


def _unnamed_note(doc: Located) -> str | None:
    """A note for a nameless document that is not an identity problem: ``generateName`` only
    (the API server names it on create), or a kind outside the policy catalogue."""
    metadata: Any = doc.body.get("metadata")
    if not isinstance(metadata, dict) or (
        isinstance(metadata.get("name"), str) and metadata["name"]
    ):
        return None
    kind = doc.body.get("kind")
    if isinstance(metadata.get("generateName"), str) and metadata["generateName"]:
        return f"{where(doc.origin)}: {kind} with generateName {metadata['generateName']!r} has no name until created; not analyzed"
    if group_kind(doc.body) not in kinds.POLICY_KINDS:
        return (
            f"{where(doc.origin)}: {kind} without metadata.name (not a policy kind); not analyzed"
        )
    return None


def _identify(
    doc: Located,
    default_namespace: str,
    cluster_scoped: Collection[GroupKind],
    unknown_scope: Callable[[GroupKind], bool] | None = None,
) -> KubeObject | SourceProblem | None:
    body = doc.body
    metadata: Any = body.get("metadata")
    if metadata is None:
        return None  # a tool's config file (kustomization.yaml, kubeconfig), not an object
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(metadata, dict) or not isinstance(name, str) or not name:
        what = f"{where(doc.origin)}: {body['kind']} without a metadata.name string cannot be identified"
        return SourceProblem(check=INVALID_YAML, origin=doc.origin, message=what)
    namespace = metadata.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        what = f"{where(doc.origin)}: {body['kind']} {name}: metadata.namespace is not a string"
        return SourceProblem(check=INVALID_YAML, origin=doc.origin, message=what)
    gk = group_kind(body)
    if gk in cluster_scoped:
        metadata.pop("namespace", None)
    elif not namespace and not (unknown_scope is not None and unknown_scope(gk)):
        metadata["namespace"] = default_namespace
    return KubeObject(key=key_of(body), body=body, origin=doc.origin)


def _duplicate(first: KubeObject, second: KubeObject) -> SourceProblem:
    assert first.origin is not None and second.origin is not None
    message = (
        f"{second.key} is declared twice: at {where(first.origin)} and at "
        f"{where(second.origin)}; the first is kept"
    )
    logger.debug(message, extra={"action": "duplicate", "resource": str(second.key)})
    return SourceProblem(check=DUPLICATE, origin=second.origin, message=message, key=second.key)
