"""Defensive accessors for Kubernetes JSON bodies.

Bodies come from Git or a cluster and may be malformed; every accessor returns an empty or
``None`` value instead of raising, so one bad object never crashes the analysis.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

EMPTY: Mapping[str, Any] = {}


def as_map(value: object) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty mapping (a plain dict, as every JSON
    object is, skips the slower abstract-class check)."""
    return value if type(value) is dict or isinstance(value, Mapping) else EMPTY


def as_list(value: object) -> list[Any]:
    """``value`` when it is a list, else an empty list."""
    return value if isinstance(value, list) else []


def as_str(value: object) -> str | None:
    """``value`` when it is a string, else None."""
    return value if isinstance(value, str) else None


def as_int(value: object) -> int | None:
    """``value`` when it is an integer (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def path(body: Mapping[str, Any], *keys: str) -> Any:
    """Nested lookup through mappings: ``path(body, "spec", "tls")``; None when any step is missing."""
    current: Any = body
    for key in keys:
        if type(current) is not dict and not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


def spec(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``spec`` of a body (empty when absent or malformed)."""
    return as_map(body.get("spec"))


def labels_of(body: Mapping[str, Any]) -> dict[str, str]:
    """``metadata.labels`` as a str→str dict."""
    raw = as_map(path(body, "metadata", "labels"))
    return {str(k): str(v) for k, v in raw.items()}
