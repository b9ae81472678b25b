"""Identity of Kubernetes objects and kinds: ``GroupKind``, ``ResourceKey`` and ``key_of``.

Stdlib only. Named tuples: the audit of a large cluster makes, hashes and compares hundreds of
thousands of them, which tuples do in C (a frozen dataclass does it in Python, 3-5x slower).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple


class GroupKind(NamedTuple):
    """A kind without version: ``GroupKind("gateway.networking.k8s.io", "HTTPRoute")``.

    The core group is the empty string. A named tuple, like ``ResourceKey`` (see the module).
    """

    group: str
    kind: str

    def __str__(self) -> str:
        return f"{self.group}/{self.kind}" if self.group else self.kind

    @classmethod
    def from_api_version(cls, api_version: str, kind: str) -> GroupKind:
        return _group_kind(_group_of(api_version), kind)


_GROUP_KINDS: dict[tuple[str, str], GroupKind] = {}
"""Every GroupKind a key was made with, made once (a cluster has a few dozen kinds)."""
_GROUP_KINDS_MAX = 4096
"""Past this many distinct kinds (hostile input), kinds are no longer interned."""


def _group_of(api_version: str) -> str:
    """``gateway.networking.k8s.io/v1`` → ``gateway.networking.k8s.io``; ``v1`` → ``""``."""
    return api_version.rpartition("/")[0]


def _group_kind(group: str, kind: str) -> GroupKind:
    found = _GROUP_KINDS.get((group, kind))
    if found is None:
        found = GroupKind(group, kind)
        if len(_GROUP_KINDS) < _GROUP_KINDS_MAX:
            _GROUP_KINDS[found] = found
    return found


class _KeyFields(NamedTuple):
    group: str
    kind: str
    namespace: str
    name: str
    group_kind: GroupKind
    """``GroupKind(group, kind)``, made with the key: the checks ask every key for it many
    times. It follows from ``group`` and ``kind``, so it changes neither equality nor order."""


class ResourceKey(_KeyFields):
    """Version-insensitive identity of an object. Cluster-scoped objects have namespace ``""``.

    ``ResourceKey(group, kind, namespace, name)``; ordered by those four, as a tuple.
    """

    __slots__ = ()

    def __new__(cls, group: str, kind: str, namespace: str, name: str) -> ResourceKey:
        return tuple.__new__(cls, (group, kind, namespace, name, _group_kind(group, kind)))

    def __getnewargs__(self) -> tuple[str, str, str, str]:
        """Copies and pickles pass the four fields ``__new__`` takes."""
        return (self.group, self.kind, self.namespace, self.name)

    def __repr__(self) -> str:
        return (
            f"ResourceKey(group={self.group!r}, kind={self.kind!r}, "
            f"namespace={self.namespace!r}, name={self.name!r})"
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "group": self.group,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }

    def __str__(self) -> str:
        """``HTTPRoute payments/checkout``; kinds outside the core and Gateway API groups are
        qualified kubectl-style: ``AuthorizationPolicy.security.istio.io payments/deny``."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        plain = self.group in ("", "gateway.networking.k8s.io")
        return f"{self.kind if plain else f'{self.kind}.{self.group}'} {where}"


def key_of(body: Mapping[str, Any], *, default_namespace: str = "") -> ResourceKey:
    """The ResourceKey of a Kubernetes object body (``default_namespace`` when it names none)."""
    meta = body.get("metadata") or {}
    group = _group_of(str(body.get("apiVersion", "")))
    namespace = str(meta.get("namespace") or default_namespace)
    return ResourceKey(group, str(body.get("kind", "")), namespace, str(meta.get("name", "")))
