"""``auditor analyze``: the policy checks on manifest files treated as one cluster state.

No Git, no database, no cluster. Anything absent from the input does not exist (DESIGN §3);
CRDs among the manifests (or from ``--crds``) provide schemas, the built-in Gateway API defaults
cover the rest.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from auditor import defaults
from auditor.app.reading import INCOMPLETE_GIT_CHECKS, source_finding
from auditor.checks.common.settings import PolicySettings
from auditor.checks.evaluate import build_state, builtin_schema_notes
from auditor.checks.families import check_policies, policy_notes
from auditor.checks.gateway import GatewaySettings, unjudged_namespaces
from auditor.findings import apply_config, assign_teams, cap_values, dedupe, sort_key
from auditor.keys import GroupKind
from auditor.kinds import BUILTIN_KINDS, GATEWAY_KINDS, MESH_KINDS, SECRET
from auditor.model import (
    Body,
    ClusterState,
    Finding,
    RunStatus,
    Severity,
    Skipped,
    TeamPolicy,
    View,
)
from auditor.normalize import SchemaRegistry
from auditor.sources.files import ManifestSet, read_manifests
from auditor.teams import namespace_labels, teams_from_label

MANIFESTS_CLUSTER = "manifests"
"""The ``cluster`` field of analyze findings."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalyzeResult:
    findings: list[Finding]
    skipped: list[Skipped]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: str = ""
    finished_at: str = ""

    @property
    def partial(self) -> bool:
        return any(s.partial for s in self.skipped)

    def run_dict(self) -> dict[str, Any]:
        """The ``run`` object of ``--format json``, shaped like audit's (DESIGN §6); analyze reads
        no repository, so ``revisions`` is empty."""
        status = RunStatus.PARTIAL if self.partial else RunStatus.COMPLETE
        return {
            "id": self.id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": str(status),
            "revisions": {},
            "skipped": [s.as_dict() for s in self.skipped],
        }


def analyze(
    paths: Sequence[str],
    *,
    stdin: TextIO | None,
    crd_paths: Sequence[str] = (),
    teams: Sequence[TeamPolicy] = (),
    disabled: frozenset[str] = frozenset(),
    severities: dict[str, Severity] | None = None,
    max_file_bytes: int = defaults.MAX_FILE_BYTES,
    max_yaml_nodes: int = defaults.MAX_YAML_NODES,
    max_crd_bytes: int = defaults.MAX_SNAPSHOT_BYTES,
    assume_namespace_labels: bool = False,
    team_label: str = "team",
    ambient_exceptions: tuple[str, ...] = (),
    now: datetime,
) -> AnalyzeResult:
    """Read ``paths`` (and ``crd_paths``), run the policy checks on them, return the findings.

    Without ``teams`` (no config), a Namespace's ``team_label`` label names its owning team.
    """
    manifests = read_manifests(
        paths, stdin=stdin, max_file_bytes=max_file_bytes, max_yaml_nodes=max_yaml_nodes
    )
    crds = list(manifests.crds)
    if crd_paths:
        crds += read_manifests(
            crd_paths, stdin=None, max_file_bytes=max_crd_bytes, max_yaml_nodes=max_yaml_nodes
        ).crds
    schemas = SchemaRegistry.from_crds(crds)
    crd_kinds = {_crd_kind(c) for c in crds}
    present = {o.key.group_kind for o in manifests.objects}
    # Secrets are rarely in manifests (cert-manager, external or sealed secrets make them), so
    # their absence proves nothing unless the input holds Secrets at all.
    unseen = frozenset() if SECRET in present else frozenset({SECRET})
    observed = (
        frozenset(BUILTIN_KINDS | set(GATEWAY_KINDS) | set(MESH_KINDS) | crd_kinds | present)
        - unseen
    )
    state = build_state(MANIFESTS_CLUSTER, View.MANIFESTS, manifests.objects, (), schemas, observed)
    labels = namespace_labels([o.body for o in manifests.objects])
    if not teams:
        teams = teams_from_label(labels, team_label)
    policy = PolicySettings(
        teams=teams,
        disabled=disabled,
        now=now,
        ambient_exceptions=ambient_exceptions,
        assume_namespace_labels=assume_namespace_labels,
    )
    findings = check_policies(state, policy)
    findings += [
        source_finding(p, team=None, cluster=MANIFESTS_CLUSTER, view=View.MANIFESTS)
        for p in manifests.problems
    ]
    if teams:
        # Owned findings get their team; the rest stay, with team null (analyze hides nothing).
        owned = {f.id: f for f in assign_teams(findings, teams=teams, labels=labels)}
        findings = [owned.get(f.id, f) for f in findings]
    skipped = builtin_schema_notes(schemas, MANIFESTS_CLUSTER, manifests.objects)
    skipped += _input_notes(manifests)
    skipped += policy_notes(state)
    skipped += _label_notes(state, assume_namespace_labels=assume_namespace_labels)
    if unseen:
        skipped.append(
            Skipped(
                subject="input: Secret existence checks",
                reason="not checked: the input holds no Secret, so a referenced certificate "
                "Secret may exist outside it",
                partial=False,
            )
        )
    result = apply_config(
        dedupe(cap_values(findings)), disabled=disabled, severities=severities or {}
    )
    return AnalyzeResult(
        findings=sorted(result, key=sort_key),
        skipped=skipped,
        started_at=now.isoformat(),
        finished_at=datetime.now(UTC).isoformat(),
    )


def _label_notes(state: ClusterState, *, assume_namespace_labels: bool) -> list[Skipped]:
    """One note naming the namespaces whose labels a Selector needed but the input lacks: their
    parentRefs got no verdict (not a partial run: everything given was read)."""
    unknown = unjudged_namespaces(
        state, settings=GatewaySettings(assume_namespace_labels=assume_namespace_labels)
    )
    if not unknown:
        return []
    reason = (
        "Namespace not in the input, so its labels are unknown: attachments through label "
        "Selectors were not judged (add the Namespace manifests, or --assume-namespace-labels)"
    )
    return [Skipped(subject=f"namespaces {', '.join(unknown)}", reason=reason, partial=False)]


def _input_notes(manifests: ManifestSet) -> list[Skipped]:
    """Files that could not be read completely (partial); ignored non-Kubernetes YAML and
    nameless non-policy or generateName-only objects (notes)."""
    notes = [
        Skipped(subject=f"file {p.origin.path}", reason=p.message)
        for p in manifests.problems
        if p.check in INCOMPLETE_GIT_CHECKS
    ]
    if manifests.ignored:
        reason = f"{manifests.ignored} non-Kubernetes YAML document(s) ignored"
        notes.append(Skipped(subject="input", reason=reason, partial=False))
    notes += [Skipped(subject="input", reason=note, partial=False) for note in manifests.unnamed]
    return notes


def _crd_kind(crd: Body) -> GroupKind:
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    return GroupKind(str(spec.get("group", "")), str(names.get("kind", "")))
