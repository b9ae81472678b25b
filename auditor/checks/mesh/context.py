"""The evaluation context of the mesh check modules: the shared ``CheckContext`` (the Finding
factory and ownership lookups) plus the mesh index and settings.

A check produces nothing when one of its catalogue inputs (``auditor.checkinputs.inputs``) that it
reads wholesale — Namespaces, Pods and workloads, ServiceAccounts, the policies it looks for — was
not observed: it cannot tell "absent" from "not read". Kinds it only looks up by reference
(Services, ServiceEntries, Gateways…) are judged per reference instead: a kind no cluster serves
is never observed, and a reference to it is simply not judged.
"""

from __future__ import annotations

import fnmatch
import logging
from dataclasses import dataclass

from auditor.checkids import AZ_007, AZ_008, MT_003
from auditor.checkinputs import inputs
from auditor.checks.common.context import CheckContext
from auditor.checks.mesh.index import AUTHORIZATION_POLICY, PEER_AUTHENTICATION, MeshIndex
from auditor.checks.mesh.settings import MeshSettings
from auditor.keys import GroupKind
from auditor.kinds import NAMESPACE, POD, SERVICEACCOUNT, WORKLOAD_KINDS
from auditor.model import Finding, KubeObject, Ref, Severity

logger = logging.getLogger(__name__)

WHOLESALE: frozenset[GroupKind] = frozenset({NAMESPACE, POD, SERVICEACCOUNT, *WORKLOAD_KINDS})
"""Kinds whose absence a check reads as "there is none" (see the module docstring)."""
ABSENCE: dict[str, frozenset[GroupKind]] = {
    AZ_007: frozenset({AUTHORIZATION_POLICY}),
    AZ_008: frozenset({AUTHORIZATION_POLICY}),
    MT_003: frozenset({PEER_AUTHENTICATION}),
}
"""Policy kinds whose absence a check reports (no allow-nothing policy, no ztunnel guard, no
STRICT policy): the check needs them read."""

SYSTEM_NAMESPACES = ("kube-*", "istio-system", "linkerd*", "cilium*")
"""Never team namespaces (MESH_SEMANTICS §4), besides the Istio root namespace."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MeshContext(CheckContext):
    index: MeshIndex
    settings: MeshSettings

    @classmethod
    def of(cls, index: MeshIndex, settings: MeshSettings) -> MeshContext:
        return cls(
            state=index.state,
            teams=settings.teams,
            disabled=settings.disabled,
            ns_labels=index.ns_labels,
            index=index,
            settings=settings,
        )

    def evaluable(self, check: str) -> bool:
        needed = (inputs(check) & WHOLESALE) | ABSENCE.get(check, frozenset())
        return self.enabled(check) and needed <= self.state.observed

    def mesh_finding(
        self,
        check: str,
        obj: KubeObject,
        message: str,
        *,
        ref: Ref | None = None,
        severity: Severity | None = None,
    ) -> Finding | None:
        """A finding, or None when the check is disabled or its inputs were not observed."""
        if not self.evaluable(check):
            return None
        other = ref.namespace if ref is not None and ref.namespace else None
        return self.finding(check, obj, message, ref=ref, severity=severity, other_namespace=other)

    def team_namespace(self, namespace: str) -> bool:
        """Owned by a team and not a system namespace (MESH_SEMANTICS §4)."""
        if namespace == self.index.meshes.root_namespace:
            return False
        if any(fnmatch.fnmatchcase(namespace, p) for p in SYSTEM_NAMESPACES):
            return False
        return self.team_of_ns(namespace) is not None
