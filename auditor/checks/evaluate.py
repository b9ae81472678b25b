"""Run every check over one cluster: drift on Git-vs-live pairs, policy checks on both views.

Pure: takes what the sources read, returns findings and notes. The views (DESIGN §3):
``live`` is the live objects as read (defaults applied, status kept); ``git`` is the cluster as
if every selected team's Git were applied (live objects replaced by their Git versions, Git-only
objects added, nothing pruned).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from auditor.checks.common.settings import PolicySettings
from auditor.checks.drift import DriftSettings, check_drift
from auditor.checks.families import check_changes, check_policies, policy_notes
from auditor.keys import GroupKind, ResourceKey, key_of
from auditor.kinds import GATEWAY_KINDS, MESH_MARKERS
from auditor.kinds import INPUT_KINDS as _INPUT_KINDS
from auditor.model import (
    Body,
    ClusterState,
    Finding,
    KubeObject,
    LiveState,
    Skipped,
    TeamPolicy,
    View,
)
from auditor.normalize import DefaultedViews, SchemaRegistry

INPUT_KINDS = frozenset(_INPUT_KINDS)
"""Read for the mesh checks only: drift is not computed for Pods, workloads or ServiceAccounts."""
MARKER_KEYS = frozenset(m.key for m in MESH_MARKERS)
"""Read by name, so kept although ConfigMaps as a kind are not observed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    live: list[Finding]
    git: list[Finding]
    notes: list[Skipped]


def evaluate_cluster(
    *,
    live: LiveState,
    desired: Sequence[KubeObject],
    teams: Sequence[TeamPolicy],
    drift: DriftSettings,
    disabled: frozenset[str],
    now: datetime,
    ambient_exceptions: tuple[str, ...] = (),
) -> Evaluation:
    """Drift plus policy findings of one cluster, per view, with schema notes."""
    schemas = SchemaRegistry.from_crds(live.crds)
    views = DefaultedViews()
    same: dict[ResourceKey, Body] = {}
    live_objects = [
        KubeObject(key=key_of(body), body=body)
        for body in live.objects
        if _kind(body) in live.observed or key_of(body) in MARKER_KEYS
    ]
    findings_live = check_drift(
        cluster=live.cluster,
        desired=[o for o in desired if o.key.group_kind not in INPUT_KINDS],
        live=[o for o in live_objects if o.key.group_kind not in INPUT_KINDS],
        observed=live.observed - INPUT_KINDS,
        schemas=schemas,
        settings=drift,
        views=views,
        same=same,
    )
    policy = PolicySettings(
        teams=teams, disabled=disabled, now=now, ambient_exceptions=ambient_exceptions
    )
    live_view = build_state(
        live.cluster, View.LIVE, live_objects, (), schemas, live.observed, views=views
    )
    git_view = overlay_state(live_view, View.GIT, desired, schemas, views=views, same=same)
    try:
        findings_live += check_policies(live_view, policy)
        findings_git = check_policies(git_view, policy)
        findings_git += check_changes(live_view, git_view, policy)
        notes = policy_notes(live_view)
    finally:
        live_view.forget()
        git_view.forget()
    return Evaluation(
        live=findings_live,
        git=findings_git,
        notes=[
            *builtin_schema_notes(schemas, live.cluster, (*live_objects, *desired)),
            *notes,
        ],
    )


def build_state(
    cluster: str,
    view: View,
    base: Iterable[KubeObject],
    overlay: Iterable[KubeObject],
    schemas: SchemaRegistry,
    observed: frozenset[GroupKind],
    *,
    views: DefaultedViews | None = None,
) -> ClusterState:
    """A view of a cluster: ``base`` objects, replaced/extended by ``overlay``, defaults applied."""
    views = views or DefaultedViews()
    objects: dict[ResourceKey, KubeObject] = {}
    for obj in (*base, *overlay):
        objects[obj.key] = _defaulted(obj, schemas, views)
    return ClusterState(cluster=cluster, view=view, objects=objects, observed=observed)


def overlay_state(
    base: ClusterState,
    view: View,
    overlay: Iterable[KubeObject],
    schemas: SchemaRegistry,
    *,
    views: DefaultedViews | None = None,
    same: Mapping[ResourceKey, Body] | None = None,
) -> ClusterState:
    """``build_state(base objects, overlay)`` reusing ``base``'s already defaulted objects: only
    the overlay is defaulted (the git view shares the live view's untouched objects).

    An overlay object whose body ``same`` holds (drift found it equal to its live twin in every
    field but ``metadata`` and ``status``, see :func:`check_drift`) shares the twin's
    :attr:`KubeObject.parsed`: what the checks parse from those fields is computed once for
    both views."""
    views = views or DefaultedViews()
    same = same or {}
    objects = dict(base.objects)
    for obj in overlay:
        made = _defaulted(obj, schemas, views)
        twin = base.objects.get(obj.key)
        if twin is not None and same.get(obj.key) is obj.body:
            made = KubeObject(key=made.key, body=made.body, origin=made.origin, parsed=twin.parsed)
        objects[obj.key] = made
    return ClusterState(cluster=base.cluster, view=view, objects=objects, observed=base.observed)


def _defaulted(obj: KubeObject, schemas: SchemaRegistry, views: DefaultedViews) -> KubeObject:
    schema = schemas.for_kind(obj.key.group_kind, _version(obj.body))
    return KubeObject(key=obj.key, body=views.of(obj.body, schema), origin=obj.origin)


def builtin_schema_notes(
    schemas: SchemaRegistry, cluster: str, objects: Iterable[KubeObject]
) -> list[Skipped]:
    """One note per Gateway API kind in use whose defaults came from the built-in table."""
    in_use = {o.key.group_kind for o in objects} & set(GATEWAY_KINDS)
    return [
        Skipped(subject=f"cluster {cluster}: {gk} schema", reason="builtin-schema", partial=False)
        for gk in sorted(in_use)
        if schemas.uses_builtin(gk)
    ]


def _kind(body: dict[str, object]) -> GroupKind:
    return GroupKind.from_api_version(str(body.get("apiVersion", "")), str(body.get("kind", "")))


def _version(body: dict[str, object]) -> str | None:
    api_version = str(body.get("apiVersion", ""))
    return api_version.rpartition("/")[2] or None
