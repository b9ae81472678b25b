"""The one YAML parser for manifests: documents with their lines, limits, and what is not an object.

YAML 1.1 as kubectl reads it (``auditor.sources.yamldialect``).
Input whose first character is ``{`` or ``[`` is read as JSON (one or more concatenated values)
when it is valid JSON, so JSON numbers keep JSON semantics.

Guards: a document that uses aliases and expands past ``max_nodes`` nodes (billion laughs), or
whose aliases are recursive, is refused with PDA-SRC-002. Alias-free documents are bounded by the
callers' byte limits instead, so a large ``kubectl get -o yaml`` List is never refused for size.

``kind: *List`` documents with an ``items`` list are unwrapped (items keep their own lines; items
of a typed list such as ``HTTPRouteList`` that lack apiVersion/kind get them from the list).
Core ``v1`` Secrets lose ``data``, ``stringData`` and the last-applied annotation as they load.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from auditor.checkids import SRC_001, SRC_002
from auditor.defaults import MAX_YAML_NODES, YAML_NODES_KEY
from auditor.sources.yamldialect import Loader as _Loader
from auditor.sources.yamlguard import MAX_DEPTH, expanded_size, too_deep, unshare
from auditor.sources.yamlsplit import ListSplit, split_list

__all__ = ["INVALID_YAML", "MAX_DEPTH", "OVER_LIMITS", "Document", "Problem", "load_documents"]

logger = logging.getLogger(__name__)

INVALID_YAML = SRC_001
OVER_LIMITS = SRC_002
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
"""Deepest nesting of maps and lists a document may have (real objects, CRDs included, stay far
below); deeper ones are refused so that no later recursive step can overflow the stack."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """One Kubernetes object as loaded, with the 1-based first line of its document (or item)."""

    body: dict[str, Any]
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """Why (part of) a text was not loaded: PDA-SRC-001 invalid YAML, PDA-SRC-002 over limits."""

    check: str
    line: int | None
    message: str


@dataclass(slots=True)
class _Result:
    path: str
    documents: list[Document]
    problems: list[Problem]
    ignored: int = 0

    def problem(self, check: str, line: int | None, what: str) -> None:
        where = f"{self.path}:{line}" if line else self.path
        self.problems.append(Problem(check=check, line=line, message=f"{where}: {what}"))
        logger.debug("%s: %s", where, what, extra={"action": "yaml-load", "resource": self.path})


def load_documents(
    text: str, *, path: str, max_nodes: int = MAX_YAML_NODES
) -> tuple[list[Document], list[Problem], int]:
    """Parse ``text`` (multi-document YAML or JSON) into Kubernetes objects.

    Returns the objects, the problems (documents before a syntax error are kept), and how many
    documents were not Kubernetes objects (no apiVersion/kind, scalars, lists). Empty documents
    (a trailing ``---``) are not counted.
    """
    result = _Result(path=path, documents=[], problems=[])
    if text.startswith("\ufeff"):
        text = text[1:]
    if not (text.lstrip()[:1] in ("{", "[") and _load_json(text, result)):
        _load_yaml(text, result, max_nodes)
    return result.documents, result.problems, result.ignored


def _load_json(text: str, result: _Result) -> bool:
    """Read ``text`` as concatenated JSON values; False (nothing recorded) when it is not JSON."""
    decoder = json.JSONDecoder()
    values: list[tuple[Any, int]] = []
    index, line = 0, 1
    try:
        while (start := _skip_space(text, index)) < len(text):
            line += text.count("\n", index, start)
            value, index = decoder.raw_decode(text, start)
            values.append((value, line))
            line += text.count("\n", start, index)
    except json.JSONDecodeError:
        return False
    except RecursionError:  # kept: the values before it; refused: this one and the rest
        for value, value_line in values:
            _classify(value, value_line, None, result, depth=None)
        result.problem(INVALID_YAML, line, "invalid JSON: nesting too deep")
        return True
    for value, value_line in values:
        _classify(value, value_line, None, result, depth=None)
    return True


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


SPLIT_FROM = 4 * 1024 * 1024
"""Texts from this size on that hold one ``kind: List`` document are parsed a batch of items at a
time (:mod:`yamlsplit`): the same objects, lines and Secret scrubbing, without the whole List's
node tree in memory. Smaller texts, and any text the batches do not explain, take the whole path."""


def _load_yaml(text: str, result: _Result, max_nodes: int) -> None:
    if len(text) >= SPLIT_FROM and (split := split_list(text)) is not None:
        trial = _Result(path=result.path, documents=[], problems=[])
        if _load_split(split, trial):
            result.documents += trial.documents
            result.problems += trial.problems
            result.ignored += trial.ignored
            return
        logger.debug("%s: List not in kubectl's layout; parsed whole", result.path)
    loader = _Loader(text)
    try:
        while True:
            try:
                if not loader.check_node():
                    return
                node = loader.get_node()
            except yaml.YAMLError as e:
                result.problem(INVALID_YAML, _error_line(e, text), f"invalid YAML: {_describe(e)}")
                return
            if node is not None:
                _load_node(loader, node, result, max_nodes)
    finally:
        loader.dispose()


def _load_node(loader: _Loader, node: Node, result: _Result, max_nodes: int) -> None:
    """Construct one document. Construction is memoised per node, so an aliased document costs
    as much as its text; only when it did reach a node twice is its expansion counted (and
    refused past ``max_nodes``, or when recursive) before anything walks the shared data."""
    line = node.start_mark.line + 1
    loader.aliased = False
    try:
        data = loader.construct_document(node)
    except (yaml.YAMLError, RecursionError, ValueError, KeyError, TypeError, OverflowError) as e:
        _reset(loader)
        result.problem(INVALID_YAML, _error_line(e, None) or line, f"invalid YAML: {_describe(e)}")
        return
    depth: int | None = loader.depth
    if loader.aliased:
        expanded, unique = expanded_size(node)
        if expanded is None:
            result.problem(OVER_LIMITS, line, "document refused: recursive YAML alias")
            return
        if expanded > max_nodes and expanded > unique:
            what = (
                f"document refused: its aliases expand past the limit of {max_nodes} YAML nodes"
                f" (raise {YAML_NODES_KEY} if this is intended)"
            )
            result.problem(OVER_LIMITS, line, what)
            return
        data, depth = unshare(data), None
    _classify(data, line, node, result, depth=depth)


def _load_split(split: ListSplit, result: _Result) -> bool:
    """Load a List a batch of items at a time; False (result unusable) at anything unexpected:
    a parse error, an alias (the guard needs the whole document), a header that is not a List,
    nesting past the limit (refused by the whole parse, at the List's line)."""
    header, depth = _single(split.header)
    if not (_is_object(header) and str(header["kind"]).endswith("List")):
        return False
    if header.get("items") != []:
        return False
    items: list[Any] = []
    lines: list[int] = []
    item_depth = 0
    for batch in split.batches:
        loader = _Loader(batch.text)
        try:
            node = loader.get_single_node()
            if not isinstance(node, SequenceNode):
                return False
            for item in node.value:
                loader.aliased = False
                items.append(loader.construct_document(item))
                lines.append(batch.line + item.start_mark.line)
                if loader.aliased:
                    return False
                item_depth = max(item_depth, loader.depth)
        except (yaml.YAMLError, RecursionError, ValueError, KeyError, TypeError, OverflowError):
            return False
        finally:
            loader.dispose()
    # An item is two levels down (the List, its ``items``). A List nested too deep, or with an
    # aliased header, is left to the whole parse, which refuses it at the List's own line.
    if depth is None or (depth := max(depth, 2 + item_depth)) > MAX_DEPTH:
        return False
    header["items"] = items
    _classify(header, lines[0] if lines else 1, None, result, depth=depth, item_lines=lines)
    return True


def _single(text: str) -> tuple[Any, int | None]:
    """The one document in ``text`` (None when it is empty or invalid) and its depth (None
    when unknown: the document uses an alias)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, 0
        loader.aliased = False
        data = loader.construct_document(node)
        return data, None if loader.aliased else loader.depth
    except (yaml.YAMLError, RecursionError, ValueError, KeyError, TypeError, OverflowError):
        return None, 0
    finally:
        loader.dispose()


def _reset(loader: _Loader) -> None:
    """Forget a half-constructed document so the next one starts clean."""
    loader.constructed_objects = {}
    loader.recursive_objects = {}
    loader.state_generators = []
    loader.deep_construct = False


def _error_line(error: BaseException, text: str | None) -> int | None:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    position = getattr(error, "position", None)
    if text is not None and isinstance(position, int):
        return text.count("\n", 0, position) + 1
    return None


def _describe(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "nesting too deep"
    if not isinstance(error, yaml.YAMLError):  # never quote the value: it may be a Secret's
        return f"a value does not fit its tag ({type(error).__name__})"
    problem = getattr(error, "problem", None)
    context = getattr(error, "context", None)
    if isinstance(error, yaml.reader.ReaderError):
        char = error.character
        code = char if isinstance(char, int) else ord(char)
        return f"unacceptable character #x{code:04x}: {error.reason}"
    if problem and context:
        return f"{problem} ({context})"
    return str(problem or context or error).splitlines()[0]


def _is_object(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("apiVersion"), str)
        and isinstance(data.get("kind"), str)
        and bool(data["apiVersion"])
        and bool(data["kind"])
    )


def _classify(
    data: Any,
    line: int,
    node: Node | None,
    result: _Result,
    *,
    depth: int | None,
    item_lines: list[int] | None = None,
) -> None:
    """Keep ``data`` as objects (a List's items), count it as ignored, or refuse it as nested too
    deep: ``depth`` as the loader measured it, or None to walk ``data`` for it."""
    if data is None:
        return
    if not _is_object(data):
        result.ignored += 1
        return
    if too_deep(data) if depth is None else depth > MAX_DEPTH:
        what = f"document refused: nested deeper than {MAX_DEPTH} levels"
        result.problem(OVER_LIMITS, line, what)
        return
    kind: str = data["kind"]
    if kind.endswith("List") and isinstance(data.get("items"), list):
        _unwrap(data, line, node, result, item_lines)
        return
    result.documents.append(Document(body=_scrub_secret(data), line=line))


def _unwrap(
    data: dict[str, Any],
    line: int,
    node: Node | None,
    result: _Result,
    item_lines: list[int] | None = None,
) -> None:
    items: list[Any] = data["items"]
    lines = _item_lines(node) if item_lines is None else item_lines
    if len(lines) != len(items):
        lines = [line] * len(items)
    item_kind = data["kind"][: -len("List")]
    for item, item_line in zip(items, lines, strict=True):
        if isinstance(item, dict) and item_kind and "kind" not in item and "apiVersion" not in item:
            item = {"apiVersion": data["apiVersion"], "kind": item_kind, **item}
        if _is_object(item):
            result.documents.append(Document(body=_scrub_secret(item), line=item_line))
        elif item is not None:
            result.ignored += 1


def _item_lines(node: Node | None) -> list[int]:
    if not isinstance(node, MappingNode):
        return []
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.value == "items" and isinstance(value, SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _scrub_secret(body: dict[str, Any]) -> dict[str, Any]:
    """Drop a core Secret's values (data, stringData, and the last-applied copy of them).

    Core means no API group: ``v1``, and also a mistyped ``V1`` or ``v2``, which still key as the
    core Secret kind (``GroupKind("", "Secret")``) and so must never carry values further."""
    if body.get("kind") == "Secret" and "/" not in body["apiVersion"]:
        body.pop("data", None)
        body.pop("stringData", None)
        metadata = body.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        if isinstance(annotations, dict):
            annotations.pop(LAST_APPLIED, None)
    return body
