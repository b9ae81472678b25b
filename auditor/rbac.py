"""The Kubernetes RBAC the auditor needs, derived from the kinds it reads (``auditor deploy rbac``).

One source of truth: the cluster source lists every kind of the catalogue (plus config extras,
minus excludes), Namespaces and Services, the CRDs of the served groups for their schemas, and,
only with ``kinds.secret_metadata``, Secrets as metadata. It only ever *lists* (never gets one
object of a listed kind, never watches), so each rule grants ``list`` alone; objects read one
by one by name (the mesh markers) get ``get`` with ``resourceNames``. The Lease Role of
``auditor serve`` is the one write and lives in its own namespace (``LEASE_RULES``).

RBAC speaks resources (plurals), the code speaks kinds: ``plural()`` applies the rule the API
server applies to CRDs without an explicit plural, with the irregular built-ins spelled out.

Stdlib only; the CLI renders the rules as YAML.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from auditor.keys import GroupKind
from auditor.kinds import (
    CONFIGMAP,
    CRD,
    MESH_MARKERS,
    NAMESPACE,
    SECRET,
    SERVICE,
    default_catalogue,
)

READ_VERBS: tuple[str, ...] = ("list",)
"""What the cluster source does with a kind: paginated lists, nothing else."""

NAMED_VERBS: tuple[str, ...] = ("get",)
"""What it does with an object it reads by name (RBAC ``resourceNames`` restricts ``get``)."""

LEASE_GROUP = "coordination.k8s.io"
LEASE_VERBS: tuple[str, ...] = ("create", "get", "update")

_IRREGULAR: dict[str, str] = {"endpoints": "endpoints"}
"""Lowercased kinds whose plural is not the regular English one."""


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class PolicyRule:
    """One rule of a (Cluster)Role, in the field order Kubernetes prints them."""

    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    resource_names: tuple[str, ...] = ()

    def as_manifest(self) -> dict[str, list[str]]:
        doc = {
            "apiGroups": list(self.api_groups),
            "resources": list(self.resources),
            "verbs": list(self.verbs),
        }
        if self.resource_names:
            doc["resourceNames"] = list(self.resource_names)
        return doc


@dataclass(frozen=True, slots=True, kw_only=True)
class NamedRead:
    """An object the code reads by name only (e.g. a mesh's marker ConfigMap)."""

    kind: GroupKind
    name: str


LEASE_RULES: tuple[PolicyRule, ...] = (
    PolicyRule(api_groups=(LEASE_GROUP,), resources=("leases",), verbs=LEASE_VERBS),
)
"""The Role of ``auditor serve`` in its own namespace: one Lease per audited cluster."""


def plural(kind: str) -> str:
    """The resource name of a kind: lowercase, then ``-ies``/``-es``/``-s`` as the API server
    pluralizes CRD kinds (``BackendTLSPolicy`` -> ``backendtlspolicies``)."""
    lower = kind.lower()
    if lower in _IRREGULAR:
        return _IRREGULAR[lower]
    if lower.endswith("y") and lower[-2:-1] not in {"a", "e", "i", "o", "u"}:
        return lower[:-1] + "ies"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return lower + "es"
    return lower + "s"


def read_kinds(
    *, extra: Sequence[GroupKind] = (), exclude: Sequence[GroupKind] = ()
) -> tuple[GroupKind, ...]:
    """The kinds the cluster source lists: the catalogue (with extra, without exclude) plus the
    Namespaces and Services it always adds; never Secrets (see ``secret_rules``)."""
    kinds = [*default_catalogue(extra=tuple(extra), exclude=tuple(exclude)), NAMESPACE, SERVICE]
    return tuple(gk for gk in dict.fromkeys(kinds) if gk != SECRET)


def marker_reads(kinds: Sequence[GroupKind]) -> tuple[NamedRead, ...]:
    """The mesh marker ConfigMaps the cluster source gets by name: one per mesh with a kind
    among ``kinds`` (a mesh none of whose kinds is read is never asked about)."""
    groups = {gk.group for gk in kinds}
    return tuple(
        NamedRead(kind=CONFIGMAP, name=marker.name)
        for marker in MESH_MARKERS
        if groups.intersection(marker.groups)
    )


def _by_group(kinds: Iterable[GroupKind], verbs: tuple[str, ...]) -> list[PolicyRule]:
    groups: dict[str, set[str]] = {}
    for gk in kinds:
        groups.setdefault(gk.group, set()).add(plural(gk.kind))
    return [
        PolicyRule(api_groups=(group,), resources=tuple(sorted(resources)), verbs=verbs)
        for group, resources in sorted(groups.items())
    ]


def _named_rules(named: Iterable[NamedRead]) -> list[PolicyRule]:
    names: dict[tuple[str, str], set[str]] = {}
    for read in named:
        names.setdefault((read.kind.group, plural(read.kind.kind)), set()).add(read.name)
    return [
        PolicyRule(
            api_groups=(group,),
            resources=(resource,),
            verbs=NAMED_VERBS,
            resource_names=tuple(sorted(found)),
        )
        for (group, resource), found in sorted(names.items())
    ]


def cluster_rules(
    *,
    extra: Sequence[GroupKind] = (),
    exclude: Sequence[GroupKind] = (),
    named: Iterable[NamedRead] = (),
) -> tuple[PolicyRule, ...]:
    """The ClusterRole of the auditor: ``list`` on every kind it reads, per API group, ``list``
    on CRDs when it reads any custom group (their schemas), ``get`` by name on the mesh markers
    of the meshes it reads and on ``named``."""
    kinds = read_kinds(extra=extra, exclude=exclude)
    by_name = (*marker_reads(kinds), *named)
    if any(gk.group for gk in kinds):
        kinds = (*kinds, CRD)
    return (*_by_group(kinds, READ_VERBS), *_named_rules(by_name))


def secret_rules(*, secret_metadata: bool) -> tuple[PolicyRule, ...]:
    """The opt-in rule for ``kinds.secret_metadata``: list Secrets. The code asks for metadata
    only (``PartialObjectMetadataList``), but RBAC cannot restrict a list to metadata, so this
    rule lives in its own ClusterRole that an operator grants deliberately."""
    return tuple(_by_group([SECRET], READ_VERBS)) if secret_metadata else ()
