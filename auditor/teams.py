"""Ownership: which team owns a namespace (or a cluster-scoped object). Pure, stdlib only."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence

from auditor.keys import ResourceKey
from auditor.model import TeamPolicy

NamespaceLabels = Mapping[str, Mapping[str, str]]
"""Live (or declared) Namespace labels by namespace name."""


def namespace_matches(team: TeamPolicy, namespace: str, labels: NamespaceLabels) -> bool:
    """True when ``namespace`` is one of ``team``'s (by name, glob, or namespace_selector)."""
    if any(fnmatch.fnmatchcase(namespace, pattern) for pattern in team.namespaces):
        return True
    if team.namespace_selector:
        ns_labels = labels.get(namespace)
        if ns_labels is not None:
            return all(ns_labels.get(k) == v for k, v in team.namespace_selector.items())
    return False


def team_of_namespace(
    namespace: str, teams: Sequence[TeamPolicy], labels: NamespaceLabels
) -> TeamPolicy | None:
    """The team owning ``namespace``; None when no team does. Config validation ensures one at most.

    Memoised per (teams, labels) pair by identity: checks ask for the owner of every object and
    finding, and scanning every team each time made a fleet of hundreds of teams quadratic. Only
    an immutable ``teams`` tuple is memoised; ``labels`` must not change while in use.
    """
    global _memo
    if type(teams) is not tuple:
        return _scan(namespace, teams, labels)
    memo = _memo
    if memo[0] is not teams or memo[1] is not labels:
        matcher = memo[2] if memo[0] is teams else _Matcher(teams)
        memo = _memo = (teams, labels, matcher, {})  # one rebinding: callers never share
    owners = memo[3]
    if namespace not in owners:
        owners[namespace] = memo[2].owner(namespace, labels)
    return owners[namespace]


class _Matcher:
    """``_scan`` over a fixed tuple of teams, with exact namespace names looked up in a dict:
    most teams list plain names, and fnmatch over every pattern of every team for every new
    namespace was the bulk of ownership on a fleet (hundreds of teams, thousands of namespaces)."""

    def __init__(self, teams: tuple[TeamPolicy, ...]) -> None:
        self.teams = teams
        self.exact: dict[str, int] = {}
        self.globs: list[tuple[int, str]] = []
        for i, team in enumerate(teams):
            for pattern in team.namespaces:
                if any(c in pattern for c in "*?["):
                    self.globs.append((i, pattern))
                else:
                    self.exact.setdefault(pattern, i)
        self.selectors = [(i, t) for i, t in enumerate(teams) if t.namespace_selector]

    def owner(self, namespace: str, labels: NamespaceLabels) -> TeamPolicy | None:
        best = self.exact.get(namespace, len(self.teams))
        for i, pattern in self.globs:
            if i >= best:
                break
            if fnmatch.fnmatchcase(namespace, pattern):
                best = i
                break
        for i, team in self.selectors:
            if i >= best:
                break
            if namespace_matches(team, namespace, labels):
                best = i
                break
        return self.teams[best] if best < len(self.teams) else None


_memo: tuple[object, object, _Matcher, dict[str, TeamPolicy | None]] = (
    None,
    None,
    _Matcher(()),
    {},
)


def _scan(
    namespace: str, teams: Sequence[TeamPolicy], labels: NamespaceLabels
) -> TeamPolicy | None:
    for team in teams:
        if namespace_matches(team, namespace, labels):
            return team
    return None


def team_of(
    key: ResourceKey, teams: Sequence[TeamPolicy], labels: NamespaceLabels
) -> TeamPolicy | None:
    """The team owning the object ``key``: by its namespace, or the ``cluster_scoped`` team."""
    if key.namespace:
        return team_of_namespace(key.namespace, teams, labels)
    if key.kind == "Namespace" and key.group == "":
        owner = team_of_namespace(key.name, teams, labels)
        if owner is not None:
            return owner
    return next((t for t in teams if t.cluster_scoped), None)


def namespace_labels(objects: Sequence[Mapping[str, object]]) -> dict[str, dict[str, str]]:
    """Labels of every Namespace body in ``objects``, with the implicit metadata.name label."""
    out: dict[str, dict[str, str]] = {}
    for body in objects:
        if body.get("kind") != "Namespace" or str(body.get("apiVersion", "")) != "v1":
            continue
        meta = body.get("metadata")
        if not isinstance(meta, Mapping):
            continue
        name = str(meta.get("name", ""))
        labels = meta.get("labels") or {}
        merged = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}
        merged["kubernetes.io/metadata.name"] = name  # the API server enforces it
        out[name] = merged
    return out


def teams_from_label(labels: NamespaceLabels, label: str) -> tuple[TeamPolicy, ...]:
    """Ownership without a config (``analyze``): a Namespace labelled ``<label>: X`` belongs to
    team X (MESH_SEMANTICS §4). One team per distinct value, matched by that label."""
    names = sorted({ns_labels[label] for ns_labels in labels.values() if ns_labels.get(label)})
    return tuple(TeamPolicy(name=name, namespace_selector={label: name}) for name in names)
