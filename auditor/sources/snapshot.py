"""Live state from a dump file instead of an API server (``clusters[].snapshot``, ``--live-snapshot``).

Accepts one object, a ``List`` (``kubectl get -o yaml``/``-o json``), or multi-document YAML/JSON of
these. CustomResourceDefinitions go to ``crds`` only (they are schemas, not audited objects).
What the snapshot *observed* (DESIGN §3): the built-in kinds, every kind whose CRD it contains, and
every kind it holds an object of; it *serves* the same kinds. Scopes come from the CRDs, from the
built-in table, and otherwise from the objects themselves (a kind with a namespaced object is
namespaced). Secret values are dropped as the file is loaded; Pods and workloads are reduced to what
the mesh checks read, as the cluster path lists them (``apidocs.reduced_input``). Any unreadable or invalid content is a
``SnapshotError``: a partial snapshot would make absent objects look deleted. Invalid includes a
document (or List item) that is not a mapping, lacks ``apiVersion``/``kind``, or whose
``metadata.name`` (or namespace) is not a string (:func:`check_documents`); such a document is
never dropped silently, since its object would then be reported as deleted from the cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from auditor import kinds
from auditor.defaults import MAX_SNAPSHOT_BYTES, MAX_YAML_NODES, SNAPSHOT_BYTES_KEY
from auditor.errors import SnapshotError
from auditor.keys import GroupKind, ResourceKey
from auditor.model import Body, LiveState
from auditor.sources.apidocs import reduced_input
from auditor.sources.managedfields import SharedFields
from auditor.sources.manifests import crd_scopes, group_kind
from auditor.sources.snapshotcheck import check_documents
from auditor.sources.yamlload import load_documents

logger = logging.getLogger(__name__)

BUILTIN_SCOPES: dict[GroupKind, bool] = {
    kinds.NAMESPACE: False,
    kinds.CRD: False,
    kinds.SERVICE: True,
    kinds.SECRET: True,
    kinds.CONFIGMAP: True,
}


def load_snapshot(
    path: Path,
    *,
    cluster: str,
    max_nodes: int = MAX_YAML_NODES,
    max_bytes: int = MAX_SNAPSHOT_BYTES,
) -> LiveState:
    """Read the live state of ``cluster`` from the dump at ``path``."""
    subject = f"cluster {cluster}: snapshot {path}"
    text = _read_text(path, max_bytes=max_bytes, subject=subject)
    documents, problems, ignored = load_documents(text, path=str(path), max_nodes=max_nodes)
    if problems:
        raise SnapshotError(problems[0].message, subject=subject)
    check_documents(documents, ignored, text=text, path=path, subject=subject)
    crds, objects, namespaced = _sort_out(d.body for d in documents)
    observed = kinds.BUILTIN_KINDS | set(crd_scopes(crds)) | set(namespaced)
    logger.info(
        "snapshot %s: %d objects, %d CRDs, %d other documents ignored",
        path,
        len(objects),
        len(crds),
        ignored,
        extra={"action": "snapshot-load", "resource": subject},
    )
    return LiveState(
        cluster=cluster,
        objects=tuple(objects),
        crds=tuple(crds),
        observed=frozenset(observed),
        served=frozenset(observed),
        scopes=_scopes(observed, crds, namespaced),
    )


def _read_text(path: Path, *, max_bytes: int, subject: str) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as e:
        raise SnapshotError(f"{path}: cannot read: {e.strerror}", subject=subject) from e
    if len(data) > max_bytes:
        raise SnapshotError(over_limit(path, max_bytes), subject=subject)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise SnapshotError(f"{path}:{line}: not UTF-8 text", subject=subject) from e


def over_limit(path: Path, max_bytes: int) -> str:
    """Going over the snapshot size limit: the file, the limit and the key that raises it."""
    return (
        f"{path}: snapshot is over the limit of {max_bytes} bytes; nothing read "
        f"(raise {SNAPSHOT_BYTES_KEY} to read it)"
    )


def _sort_out(bodies: Iterable[Body]) -> tuple[list[Body], list[Body], dict[GroupKind, bool]]:
    """The CRDs; one object per key (a dump may list an object twice, e.g. under two versions:
    the first is kept); and the kinds of the objects, True for a kind with a namespaced object.
    Each kept object's managedFields are shared with its like (:class:`SharedFields`).

    One pass, each body's GroupKind taken once (it was taken five times per object). Every body
    has a string ``metadata.name`` (:func:`check_documents` ran first)."""
    crds: list[Body] = []
    seen: dict[ResourceKey, Body] = {}
    shared = SharedFields()
    namespaced: dict[GroupKind, bool] = {}
    for body in bodies:
        gk = group_kind(body)
        if gk == kinds.CRD:
            crds.append(body)
            continue
        meta = body["metadata"]
        namespace = meta.get("namespace")
        key = ResourceKey(gk.group, gk.kind, str(namespace or ""), str(meta["name"]))
        if key in seen:
            logger.debug("duplicate %s in the snapshot; the first is kept", key)
            continue
        seen[key] = shared.compact(reduced_input(body, gk))
        if not namespaced.get(gk):
            namespaced[gk] = bool(namespace)
    return crds, list(seen.values()), namespaced


def _scopes(
    observed: Iterable[GroupKind], crds: Iterable[Body], namespaced: dict[GroupKind, bool]
) -> dict[GroupKind, bool]:
    scopes = {gk: namespaced.get(gk, False) and gk not in kinds.CLUSTER_SCOPED for gk in observed}
    scopes.update({gk: False for gk in kinds.CLUSTER_SCOPED if gk in scopes})
    scopes.update(crd_scopes(crds))
    scopes.update(BUILTIN_SCOPES)
    return scopes
