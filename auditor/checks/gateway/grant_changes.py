"""RG-009: a Git change that removes or narrows a ReferenceGrant live references still depend on.

Compares two views of one cluster (DESIGN §3): ``live`` and ``git``. For every cross-namespace
(referrer, target) the ``live`` state holds that needs a grant (the references of ``grants``: route
backends of non-mesh routes with a known backend kind, Gateway/ListenerSet certificate and CA refs,
policy references), RG-009 fires when some live ReferenceGrant permits it (§3.2) and no grant of
the ``git`` state does, provided the referrer in the ``git`` state still makes that reference (a
Git change that drops the reference together with its grant breaks nothing).

The finding is in the ``git`` view, about the referrer, ``ref`` = the target, reason
``RefNotPermitted`` (what a conformant controller would report once Git is applied), ``other_team``
= the owner of the target namespace, and ``origin`` = the Git location of the first (by key) live
grant that Git changed, or null when none of them has a Git version (the grant is absent from the
Git view). Nothing is raised when either state did not observe ReferenceGrants.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping

from auditor.checkids import RG_009
from auditor.checks.gateway.context import Context
from auditor.checks.gateway.grants import TargetRefs, grouped_references, needs_grant
from auditor.checks.gateway.index import REFERENCEGRANT, Grant, Index, build_index
from auditor.checks.gateway.refs import matching_grants
from auditor.checks.gateway.settings import GatewaySettings
from auditor.keys import ResourceKey
from auditor.model import ClusterState, Finding, KubeObject, Origin

logger = logging.getLogger(__name__)

CHECK = RG_009


def check_grant_changes(
    live: ClusterState, git: ClusterState, *, settings: GatewaySettings
) -> list[Finding]:
    """One RG-009 per live-permitted reference that the ``git`` state's grants would refuse."""
    if CHECK in settings.disabled:
        return []
    live_index, git_index = build_index(live), build_index(git)
    if not (live_index.observed(REFERENCEGRANT) and git_index.observed(REFERENCEGRANT)):
        return []
    ctx = Context.of(git_index, settings)
    kept = _needing_grant(git_index)
    found: list[Finding] = []
    for target in _needing_grant(live_index).values():
        reference = target.first
        if (reference.referrer.key, reference.target) not in kept:
            continue
        permitted = matching_grants(live_index, reference)
        if not permitted or matching_grants(git_index, reference):
            continue
        finding = _finding(ctx, target, permitted)
        if finding is not None:
            found.append(finding)
    logger.debug(
        "grant changes compared",
        extra={"action": "check_grant_changes", "resource": git.cluster, "findings": len(found)},
    )
    return sorted(found, key=lambda f: (str(f.object), repr(f.ref)))


def _needing_grant(index: Index) -> dict[tuple[ResourceKey, ResourceKey], TargetRefs]:
    """(referrer, target) → references, for the references only a grant can permit."""
    return {
        (target.first.referrer.key, target.first.target): target
        for target, mesh_only in grouped_references(index)
        if needs_grant(target, mesh_only=mesh_only)
    }


def _finding(ctx: Context, target: TargetRefs, permitted: tuple[Grant, ...]) -> Finding | None:
    reference = target.first
    src, dst = reference.referrer.key, reference.target
    git_objects = ctx.index.state.objects
    grants = sorted(permitted, key=lambda g: g.key)
    fates = [
        f"{g.key.namespace}/{g.key.name} ({'changed' if g.key in git_objects else 'absent'} in Git)"
        for g in grants
    ]
    listeners = target.where
    message = (
        f"{src}{listeners} references {dst.group_kind} {dst.namespace}/{dst.name}, which the live "
        f"cluster permits through ReferenceGrant {', '.join(fates)}; with Git applied no "
        f"ReferenceGrant in namespace {dst.namespace} permits it, so the controller would refuse "
        f"it (RefNotPermitted)."
    )
    referrer = git_objects.get(src, reference.referrer)
    found = ctx.finding(
        CHECK,
        referrer,
        message,
        ref=reference.ref,
        reason="RefNotPermitted",
        listener=target.listeners[0] if target.listeners else None,
        other_namespace=dst.namespace,
    )
    if found is None:
        return None
    return dataclasses.replace(found, origin=_changed_origin(grants, git_objects))


def _changed_origin(
    grants: list[Grant], git_objects: Mapping[ResourceKey, KubeObject]
) -> Origin | None:
    """The Git origin of the first live grant whose Git version exists (the narrowed one)."""
    for grant in grants:
        obj = git_objects.get(grant.key)
        if obj is not None and obj.origin is not None:
            return obj.origin
    return None
