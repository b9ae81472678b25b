"""Pairing Git and live objects by their version-insensitive ResourceKey (DESIGN §3)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from auditor.keys import ResourceKey
from auditor.model import KubeObject

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pair:
    """The Git and the live version of one object."""

    desired: KubeObject
    live: KubeObject


@dataclass(frozen=True, slots=True, kw_only=True)
class Pairing:
    """Objects on both sides, only in Git, only live; each in input order."""

    pairs: tuple[Pair, ...]
    git_only: tuple[KubeObject, ...]
    live_only: tuple[KubeObject, ...]


def _by_key(objects: Iterable[KubeObject], side: str) -> dict[ResourceKey, KubeObject]:
    out: dict[ResourceKey, KubeObject] = {}
    for obj in objects:
        if obj.key in out:
            logger.debug(
                "duplicate %s object %s: keeping the first",
                side,
                obj.key,
                extra={"action": "pair", "resource": str(obj.key)},
            )
            continue
        out[obj.key] = obj
    return out


def pair_objects(desired: Iterable[KubeObject], live: Iterable[KubeObject]) -> Pairing:
    """Match Git and live objects by key: a Git ``v1`` and a live ``v1beta1`` object are one pair.

    A key repeated on one side keeps its first object (duplicates are a source finding elsewhere).
    """
    git = _by_key(desired, "git")
    cluster = _by_key(live, "live")
    return Pairing(
        pairs=tuple(
            Pair(desired=obj, live=cluster[key]) for key, obj in git.items() if key in cluster
        ),
        git_only=tuple(obj for key, obj in git.items() if key not in cluster),
        live_only=tuple(obj for key, obj in cluster.items() if key not in git),
    )
