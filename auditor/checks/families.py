"""The registry of policy-check families: the one place a family is wired in.

``audit`` (via ``evaluate_cluster``) and ``analyze`` both run ``check_policies``, so a family
added to ``FAMILIES`` runs everywhere and cannot be wired into one command but forgotten in the
other. Drift is not a family: it compares Git with live rather than checking one view.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from auditor.checks.common.settings import PolicySettings
from auditor.checks.gateway import GatewaySettings, check_gateway, check_grant_changes
from auditor.checks.mesh import MeshSettings, check_mesh, check_mesh_changes, mesh_notes
from auditor.model import ClusterState, Finding, Skipped

logger = logging.getLogger(__name__)

ViewCheck = Callable[[ClusterState, PolicySettings], list[Finding]]
"""Findings of one view (live, git or manifests)."""
ChangeCheck = Callable[[ClusterState, ClusterState, PolicySettings], list[Finding]]
"""Findings of a Git change: (live view, git view) → findings on the git view."""
Notes = Callable[[ClusterState], list[Skipped]]
"""``run.skipped`` notes of one view (what the family did not check, and why)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckFamily:
    name: str
    check: ViewCheck
    changes: ChangeCheck | None = None
    notes: Notes | None = None


def _gateway_settings(settings: PolicySettings) -> GatewaySettings:
    return GatewaySettings(
        teams=settings.teams,
        disabled=settings.disabled,
        now=settings.now,
        assume_namespace_labels=settings.assume_namespace_labels,
    )


def _gateway(state: ClusterState, settings: PolicySettings) -> list[Finding]:
    return check_gateway(state, settings=_gateway_settings(settings))


def _gateway_changes(
    live: ClusterState, git: ClusterState, settings: PolicySettings
) -> list[Finding]:
    return check_grant_changes(live, git, settings=_gateway_settings(settings))


def _mesh_settings(settings: PolicySettings) -> MeshSettings:
    return MeshSettings(
        teams=settings.teams,
        disabled=settings.disabled,
        ambient_exceptions=settings.ambient_exceptions,
    )


def _mesh(state: ClusterState, settings: PolicySettings) -> list[Finding]:
    return check_mesh(state, settings=_mesh_settings(settings))


def _mesh_changes(live: ClusterState, git: ClusterState, settings: PolicySettings) -> list[Finding]:
    return check_mesh_changes(live, git, settings=_mesh_settings(settings))


FAMILIES: tuple[CheckFamily, ...] = (
    CheckFamily(name="gateway", check=_gateway, changes=_gateway_changes),
    CheckFamily(name="mesh", check=_mesh, changes=_mesh_changes, notes=mesh_notes),
)


def check_policies(state: ClusterState, settings: PolicySettings) -> list[Finding]:
    """Every family's findings for one view."""
    return [f for family in FAMILIES for f in family.check(state, settings)]


def check_changes(live: ClusterState, git: ClusterState, settings: PolicySettings) -> list[Finding]:
    """Every family's findings about what the Git view changes relative to the live view."""
    return [f for family in FAMILIES if family.changes for f in family.changes(live, git, settings)]


def policy_notes(state: ClusterState) -> list[Skipped]:
    """Every family's notes for one view."""
    return [n for family in FAMILIES if family.notes for n in family.notes(state)]
