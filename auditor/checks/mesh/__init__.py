"""Mesh policy analysis: pure functions over one view of a cluster (MESH_SEMANTICS.md).

Entry points: ``check_mesh(state, settings=...)`` for the checks of one view — Istio
authorization (AZ-001…008), mTLS (MT-001…005), ambient enrollment and waypoints (AM-002…005,
AM-007), Cilium default deny (CI-002), Linkerd (LK-002, LK-004, LK-005) and policy attachment
(PA-001); ``check_mesh_changes(live, git, settings=...)`` for AM-001 (a namespace ambient in Git
whose live label says otherwise); ``mesh_notes(state)`` for the ``run.skipped`` notes of the meshes
that are not installed.

A mesh's checks run only when its marker ConfigMap is in the state (``auditor.kinds``
``MESH_MARKERS``); PA-001 judges Gateway API and vendor policies whatever is installed.
"""

from __future__ import annotations

import logging

from auditor.checks.common.unique import unique_findings
from auditor.checks.mesh.ambient import ambient_drift_findings, ambient_findings
from auditor.checks.mesh.attachment import attachment_findings
from auditor.checks.mesh.authz import authz_findings
from auditor.checks.mesh.cilium import cilium_findings
from auditor.checks.mesh.context import MeshContext
from auditor.checks.mesh.index import build_index
from auditor.checks.mesh.linkerd import linkerd_findings
from auditor.checks.mesh.mtls import mtls_findings
from auditor.checks.mesh.settings import MeshSettings
from auditor.kinds import CILIUM_MARKER, MESH_MARKERS
from auditor.model import ClusterState, Finding, Skipped

__all__ = ["MeshSettings", "check_mesh", "check_mesh_changes", "mesh_notes"]

logger = logging.getLogger(__name__)


def check_mesh(state: ClusterState, *, settings: MeshSettings) -> list[Finding]:
    """Every mesh finding for ``state``: one per (check, object, ref), sorted."""
    ctx = MeshContext.of(build_index(state), settings)
    meshes = ctx.index.meshes
    found: list[Finding | None] = [*attachment_findings(ctx)]
    if meshes.istio:
        found += [*authz_findings(ctx), *mtls_findings(ctx), *ambient_findings(ctx)]
    if meshes.cilium:
        found += cilium_findings(ctx)
    if meshes.linkerd:
        found += linkerd_findings(ctx)
    result = unique_findings(found)
    logger.debug(
        "mesh analysis done",
        extra={"action": "check_mesh", "resource": state.cluster, "findings": len(result)},
    )
    return result


def check_mesh_changes(
    live: ClusterState, git: ClusterState, *, settings: MeshSettings
) -> list[Finding]:
    """AM-001 on the git view: ambient in Git, not ambient live (Istio installed live)."""
    live_ctx = MeshContext.of(build_index(live), settings)
    if not live_ctx.index.meshes.istio:
        return []
    git_ctx = MeshContext.of(build_index(git), settings)
    return unique_findings(ambient_drift_findings(live_ctx, git_ctx))


def mesh_notes(state: ClusterState) -> list[Skipped]:
    """One note per mesh whose checks did not run (not installed, or Cilium enforcing nothing)."""
    present = {m.mesh for m in MESH_MARKERS if m.key in state.objects}
    notes = [
        Skipped(
            subject=f"cluster {state.cluster}: {m.mesh} checks",
            reason=f"mesh not installed (no ConfigMap {m.namespace}/{m.name})",
            partial=False,
        )
        for m in MESH_MARKERS
        if m.mesh not in present
    ]
    if CILIUM_MARKER.mesh in present and not build_index(state).meshes.cilium:
        notes.append(
            Skipped(
                subject=f"cluster {state.cluster}: cilium checks",
                reason="Cilium policy enforcement is off (enable-policy: never)",
                partial=False,
            )
        )
    return notes
