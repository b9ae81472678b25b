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
from auditor.model import ClusterState, Finding

logger = logging.getLogger(__name__)

ViewCheck = Callable[[ClusterState, PolicySettings], list[Finding]]
"""Findings of one view (live, git or manifests)."""
ChangeCheck = Callable[[ClusterState, ClusterState, PolicySettings], list[Finding]]
"""Findings of a Git change: (live view, git view) → findings on the git view."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckFamily:
    name: str
    check: ViewCheck
    changes: ChangeCheck | None = None


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


FAMILIES: tuple[CheckFamily, ...] = (
    CheckFamily(name="gateway", check=_gateway, changes=_gateway_changes),
)


def check_policies(state: ClusterState, settings: PolicySettings) -> list[Finding]:
    """Every family's findings for one view."""
    return [f for family in FAMILIES for f in family.check(state, settings)]


def check_changes(live: ClusterState, git: ClusterState, settings: PolicySettings) -> list[Finding]:
    """Every family's findings about what the Git view changes relative to the live view."""
    return [f for family in FAMILIES if family.changes for f in family.changes(live, git, settings)]
