"""Server-owned and tool-injected fields, dropped from live bodies (DRIFT_RULES C1–C4, C11).

:func:`strip` removes what the API server and GitOps tools add and Git never declares:
server metadata, ``status``, owner references and finalizers, tool annotations and labels
(each kept when the Git body declares it), and empty label/annotation maps.
:func:`redact_secret` replaces Secret values by digests so that no plaintext travels further.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor import defaults
from auditor.model import Body
from auditor.normalize.values import copy_json

logger = logging.getLogger(__name__)

DEFAULT_IGNORE_ANNOTATIONS = defaults.IGNORE_ANNOTATIONS

DEFAULT_IGNORE_LABELS = defaults.IGNORE_LABELS

SERVER_METADATA: tuple[str, ...] = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
    "managedFields",
)
"""DRIFT_RULES C1: metadata the API server owns."""

_DECLARED_ONLY = ("ownerReferences", "finalizers")
SECRET_MASK = "***"


@dataclass(frozen=True, slots=True, kw_only=True)
class NormalizeRules:
    """Which tool annotations/labels to ignore when Git does not declare them.

    Entries are exact keys or ``fnmatch`` patterns (``*.fluxcd.io/*``).
    """

    ignore_annotations: tuple[str, ...] = DEFAULT_IGNORE_ANNOTATIONS
    ignore_labels: tuple[str, ...] = DEFAULT_IGNORE_LABELS


def _ignored(key: str, patterns: tuple[str, ...]) -> bool:
    return any(key == p or ("*" in p and fnmatch.fnmatchcase(key, p)) for p in patterns)


def _filter_map(live: Any, declared: Any, patterns: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(live, dict):
        return {}
    keep = declared if isinstance(declared, dict) else {}
    return {k: v for k, v in live.items() if k in keep or not _ignored(k, patterns)}


def _strip_metadata(
    meta: dict[str, Any],
    declared: dict[str, Any],
    rules: NormalizeRules,
    keep: Callable[[Any], Any],
) -> dict[str, Any]:
    out = {k: keep(v) for k, v in meta.items() if k not in SERVER_METADATA}
    for key in _DECLARED_ONLY:
        if key not in declared:
            out.pop(key, None)
    for key, patterns in (
        ("annotations", rules.ignore_annotations),
        ("labels", rules.ignore_labels),
    ):
        kept = _filter_map(out.get(key), declared.get(key), patterns)
        if kept:
            out[key] = kept
        else:
            out.pop(key, None)
    return out


def strip(
    body: Body, *, rules: NormalizeRules, declared: Body | None = None, copy: bool = True
) -> Body:
    """A new body without server-owned and tool-injected fields (the input is not changed).

    ``declared`` is the Git body of the same object: what it declares is kept. ``copy=False``
    shares the kept values with ``body`` (only the top level, ``metadata`` and its label and
    annotation maps are new): for a comparison that only reads.
    """
    declared_meta = (declared or {}).get("metadata")
    declared_meta = declared_meta if isinstance(declared_meta, dict) else {}
    keep = copy_json if copy else _same
    out = {k: keep(v) for k, v in body.items() if k not in ("status", "metadata")}
    meta = body.get("metadata")
    if isinstance(meta, dict):
        out["metadata"] = _strip_metadata(meta, declared_meta, rules, keep)
    return out


def _same(value: Any) -> Any:
    return value


def _digest(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _decoded(value: Any) -> bytes:
    text = "" if value is None else str(value)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text.encode()


def redact_secret(body: Body) -> Body:
    """A copy of a core Secret with ``data``/``stringData`` merged into ``data`` as value digests.

    ``stringData`` counts as the base64 ``data`` it becomes (C8); an empty value equals a missing
    one. The digests let drift compare values without ever holding plaintext.
    """
    out = {k: v for k, v in body.items() if k not in ("data", "stringData")}
    merged: dict[str, str] = {}
    data, string_data = body.get("data"), body.get("stringData")
    if isinstance(data, dict):
        merged.update({k: _digest(_decoded(v)) for k, v in data.items() if v not in (None, "")})
    if isinstance(string_data, dict):
        merged.update(
            {k: _digest(str(v).encode()) for k, v in string_data.items() if v not in (None, "")}
        )
    if merged:
        out["data"] = merged
    return out
