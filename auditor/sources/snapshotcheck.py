"""Validation of a live snapshot's documents (``sources/snapshot.py``): nothing invalid is dropped.

A snapshot document that is not a Kubernetes object (not a mapping, no ``apiVersion``/``kind``),
or an object whose ``metadata.name`` or namespace is not a string, would otherwise disappear and
its object be reported as deleted from the cluster (PDA-DR-001) and its twin as undeclared. So the
whole snapshot becomes a ``SnapshotError`` naming the file, the document's index (and List item)
and its line, the way ``analyze`` rejects the same input. Kept apart from the loader so that the
check stays one call in ``load_snapshot``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from auditor.errors import SnapshotError
from auditor.sources.yamlload import Document

__all__ = ["check_documents"]

_SPACE = re.compile(r"\s*")


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
