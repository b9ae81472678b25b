"""The one Finding factory of the policy checks, with the ownership lookups it needs.

Owns the construction of findings with the catalogue's category and default severity, the view
and cluster of the state, the referring object's origin, ``team`` and ``other_team``, and the
per-namespace team cache. Disabled checks produce nothing. A family's own context (for example
the Gateway one, which adds its index and settings) extends ``CheckContext``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.catalog import info
from auditor.keys import ResourceKey
from auditor.model import ClusterState, Finding, KubeObject, Ref, Severity, TeamPolicy
from auditor.teams import team_of, team_of_namespace

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckContext:
    """One analysis run of one view: the state, the org policy and a namespace→team cache.

    ``ns_labels`` are the Namespace labels of the state (ownership by label needs them).
    """

    state: ClusterState
    teams: Sequence[TeamPolicy]
    disabled: frozenset[str]
    ns_labels: Mapping[str, Mapping[str, str]]
    _teams: dict[str, TeamPolicy | None] = field(default_factory=dict)
    derived: dict[object, Any] = field(default_factory=dict, repr=False)
    """Lookups a check derives once per run (from the state and the teams) and reuses."""

    @property
    def has_teams(self) -> bool:
        return bool(self.teams)

    def enabled(self, check: str) -> bool:
        return check not in self.disabled

    def team_of_ns(self, namespace: str) -> TeamPolicy | None:
        """The team owning ``namespace`` (None without teams or when no team owns it)."""
        if namespace not in self._teams:
            self._teams[namespace] = team_of_namespace(namespace, self.teams, self.ns_labels)
        return self._teams[namespace]

    def team_of_key(self, key: ResourceKey) -> TeamPolicy | None:
        if key.namespace:
            return self.team_of_ns(key.namespace)
        return team_of(key, self.teams, self.ns_labels)

    def team_name(self, namespace: str) -> str | None:
        team = self.team_of_ns(namespace)
        return team.name if team else None

    def finding(
        self,
        check: str,
        obj: KubeObject,
        message: str,
        *,
        ref: Ref | None = None,
        reason: str | None = None,
        listener: str | None = None,
        other_namespace: str | None = None,
        severity: Severity | None = None,
    ) -> Finding | None:
        """A finding about ``obj`` (None when ``check`` is disabled)."""
        if not self.enabled(check):
            return None
        entry = info(check)
        team = self.team_of_key(obj.key)
        other = self.team_of_ns(other_namespace) if other_namespace is not None else None
        other_name = other.name if other is not None else None
        team_name = team.name if team is not None else None
        return Finding(
            check=check,
            category=entry.category,
            severity=severity or entry.severity,
            view=self.state.view,
            cluster=self.state.cluster,
            object=obj.key,
            message=message,
            team=team_name,
            other_team=other_name if other_name != team_name else None,
            ref=ref,
            listener=listener,
            reason=reason,
            origin=obj.origin,
        )
