"""Live state from a dump file instead of an API server (``clusters[].snapshot``, ``--live-snapshot``).

Accepts one object, a ``List`` (``kubectl get -o yaml``/``-o json``), or multi-document YAML/JSON of
these. CustomResourceDefinitions go to ``crds`` only (they are schemas, not audited objects).
What the snapshot *observed* (DESIGN §3): the built-in kinds, every kind whose CRD it contains, and
every kind it holds an object of; it *serves* the same kinds. Scopes come from the CRDs, from the
built-in table, and otherwise from the objects themselves (a kind with a namespaced object is
namespaced). Secret values are dropped as the file is loaded. Any unreadable or invalid content is a
``SnapshotError``: a partial snapshot would make absent objects look deleted. Invalid includes a
document (or List item) that is not a mapping, lacks ``apiVersion``/``kind``, or whose
``metadata.name`` (or namespace) is not a string (:func:`check_documents`); such a document is
never dropped silently, since its object would then be reported as deleted from the cluster.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from auditor import kinds
from auditor.errors import SnapshotError
from auditor.model import Body, GroupKind, LiveState, ResourceKey
from auditor.sources.manifests import crd_scopes, group_kind, is_crd
from auditor.sources.yamlload import Document, load_documents

logger = logging.getLogger(__name__)

_SPACE = re.compile(r"\s*")

BUILTIN_SCOPES: dict[GroupKind, bool] = {
    kinds.NAMESPACE: False,
    kinds.CRD: False,
    kinds.SERVICE: True,
    kinds.SECRET: True,
    kinds.CONFIGMAP: True,
}


def load_snapshot(
    path: Path, *, cluster: str, max_nodes: int = 1_000_000, max_bytes: int = 64 * 1024 * 1024
) -> LiveState:
    """Read the live state of ``cluster`` from the dump at ``path``."""
    subject = f"cluster {cluster}: snapshot {path}"
    text = _read_text(path, max_bytes=max_bytes, subject=subject)
    documents, problems, ignored = load_documents(text, path=str(path), max_nodes=max_nodes)
    if problems:
        raise SnapshotError(problems[0].message, subject=subject)
    check_documents(documents, ignored, text=text, path=path, subject=subject)
    crds = [d.body for d in documents if is_crd(d.body)]
    objects = _unique(d.body for d in documents if not is_crd(d.body))
    observed = kinds.BUILTIN_KINDS | set(crd_scopes(crds)) | {group_kind(b) for b in objects}
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
        scopes=_scopes(observed, crds, objects),
    )


def _read_text(path: Path, *, max_bytes: int, subject: str) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as e:
        raise SnapshotError(f"{path}: cannot read: {e.strerror}", subject=subject) from e
    if len(data) > max_bytes:
        raise SnapshotError(f"{path}: over the limit of {max_bytes} bytes", subject=subject)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise SnapshotError(f"{path}:{line}: not UTF-8 text", subject=subject) from e


def check_documents(
    documents: Sequence[Document], ignored: int, *, text: str, path: Path, subject: str
) -> None:
    """Refuse a snapshot with a document that is not a Kubernetes object (``ignored`` of them, as
    counted by the loader) or an object without a string ``metadata.name``: a SnapshotError
    naming the file, the document's index and its line, as ``analyze`` does for the same input."""
    for doc in documents:
        meta = doc.body.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        namespace = meta.get("namespace") if isinstance(meta, dict) else None
        if not isinstance(name, str) or not name or not isinstance(namespace, str | None):
            what = (
                "metadata.name" if not isinstance(name, str) or not name else "metadata.namespace"
            )
            raise SnapshotError(
                f"{path}:{doc.line}: {doc.body['kind']} whose {what} is not a non-empty string "
                "cannot be identified; the snapshot is not used",
                subject=subject,
            )
    if ignored:
        where = next(_not_objects(text), None)
        at = f" (the first: {where})" if where else ""
        raise SnapshotError(
            f"{path}: {ignored} document(s) are not Kubernetes objects (not a mapping, or without "
            f"an apiVersion and kind){at}; the snapshot is not used",
            subject=subject,
        )


def _not_objects(text: str) -> Iterator[str]:
    """Where the documents that are not objects are: ``document N, line L`` (``item M`` of a
    List). Only called on the error path; the loader already refused alias bombs."""
    try:
        if text.lstrip()[:1] in ("{", "["):
            yield from _json_not_objects(text)
            return
        for index, node in enumerate(yaml.compose_all(text, Loader=yaml.SafeLoader), start=1):
            items = _node_items(node)
            line = node.start_mark.line + 1
            if items is None:
                if not _node_is_object(node):
                    yield f"document {index}, line {line}"
                continue
            typed = _scalar(node, "kind") not in ("List", None)
            for number, item in enumerate(items, start=1):
                bare = typed and isinstance(item, yaml.MappingNode) and not _has_type(item)
                if not bare and not _node_is_object(item):
                    yield f"document {index}, item {number}, line {item.start_mark.line + 1}"
    except (yaml.YAMLError, ValueError):
        return


def _json_not_objects(text: str) -> Iterator[str]:
    decoder, index, number = json.JSONDecoder(), 0, 0
    while (index := _SPACE.match(text, index).end()) < len(text):  # type: ignore[union-attr]
        value, index = decoder.raw_decode(text, index)
        number += 1
        if not _value_is_object(value):
            yield f"JSON value {number}"
        elif str(value["kind"]).endswith("List") and isinstance(value.get("items"), list):
            for item_number, item in enumerate(value["items"], start=1):
                typed = value["kind"] != "List"
                bare = typed and isinstance(item, dict) and not {"apiVersion", "kind"} & set(item)
                if item is not None and not bare and not _value_is_object(item):
                    yield f"JSON value {number}, item {item_number}"


def _value_is_object(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(value.get(k), str) and value[k] for k in ("apiVersion", "kind")
    )


def _scalar(node: yaml.Node, key: str) -> str | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value.value if isinstance(value, yaml.ScalarNode) else None
    return None


def _has_type(node: yaml.MappingNode) -> bool:
    return any(
        isinstance(k, yaml.ScalarNode) and k.value in ("apiVersion", "kind") for k, _ in node.value
    )


def _node_is_object(node: yaml.Node) -> bool:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return True  # an empty List item; the loader skips it too
    return bool(_scalar(node, "apiVersion")) and bool(_scalar(node, "kind"))


def _node_items(node: yaml.Node) -> list[yaml.Node] | None:
    """The items of a ``kind: *List`` document, or None for any other document."""
    if not str(_scalar(node, "kind") or "").endswith("List"):
        return None
    assert isinstance(node, yaml.MappingNode)
    for key_node, value in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == "items":
            return list(value.value) if isinstance(value, yaml.SequenceNode) else None
    return None


def _unique(bodies: Iterable[Body]) -> list[Body]:
    """One body per object key (a dump may list an object twice, e.g. under two versions).

    Every body has a string ``metadata.name`` (:func:`check_documents` ran first)."""
    seen: dict[ResourceKey, Body] = {}
    for body in bodies:
        meta = body["metadata"]
        gk = group_kind(body)
        key = ResourceKey(gk.group, gk.kind, str(meta.get("namespace") or ""), str(meta["name"]))
        if key in seen:
            logger.debug("duplicate %s in the snapshot; the first is kept", key)
            continue
        seen[key] = body
    return list(seen.values())


def _scopes(
    observed: Iterable[GroupKind], crds: Iterable[Body], objects: Iterable[Body]
) -> dict[GroupKind, bool]:
    namespaced_kinds = {
        group_kind(b) for b in objects if (b.get("metadata") or {}).get("namespace")
    }
    scopes = {gk: gk in namespaced_kinds and gk not in kinds.CLUSTER_SCOPED for gk in observed}
    scopes.update({gk: False for gk in kinds.CLUSTER_SCOPED if gk in scopes})
    scopes.update(crd_scopes(crds))
    scopes.update(BUILTIN_SCOPES)
    return scopes
