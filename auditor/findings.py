"""Pure post-processing of findings: ownership, config overrides, view merging, thresholds."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from auditor.model import Change, Finding, Severity, TeamPolicy, View
from auditor.teams import NamespaceLabels, team_of
from auditor.textsafe import cap_value


def assign_teams(
    findings: Iterable[Finding], *, teams: Sequence[TeamPolicy], labels: NamespaceLabels
) -> list[Finding]:
    """Give every finding without a team the owner of its object; drop findings nobody owns.

    Source findings about a file (no object) keep the team they were raised for.
    """
    out: list[Finding] = []
    for finding in findings:
        if finding.team is None and finding.object is not None:
            owner = team_of(finding.object, teams, labels)
            if owner is None:
                continue
            finding = dataclasses.replace(finding, team=owner.name)
        if finding.team is not None:
            out.append(finding)
    return out


def apply_config(
    findings: Iterable[Finding],
    *,
    disabled: frozenset[str],
    severities: Mapping[str, Severity],
) -> list[Finding]:
    """Drop disabled checks and apply configured severity overrides."""
    out = []
    for finding in findings:
        if finding.check in disabled:
            continue
        override = severities.get(finding.check)
        out.append(dataclasses.replace(finding, severity=override) if override else finding)
    return out


def merge_views(live: Iterable[Finding], git: Iterable[Finding]) -> list[Finding]:
    """Every ``live`` finding, plus each ``git`` finding no live finding already shows.

    "Already shows" means the same check, object and ref (DESIGN §3), so a problem Git would
    introduce or keep is reported once.
    """
    merged = list(live)
    seen = {(f.check, f.object, f.ref) for f in merged}
    for finding in git:
        if (finding.check, finding.object, finding.ref) not in seen:
            merged.append(finding)
            seen.add((finding.check, finding.object, finding.ref))
    return merged


def with_team_filter(findings: Iterable[Finding], teams: frozenset[str] | None) -> list[Finding]:
    """Keep findings of the selected teams (None: all), also those naming them as other_team."""
    if teams is None:
        return list(findings)
    return [f for f in findings if f.team in teams or f.other_team in teams]


def at_or_above(findings: Iterable[Finding], threshold: Severity) -> list[Finding]:
    return [f for f in findings if f.severity.at_least(threshold)]


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per id (the first wins); keeps order."""
    seen: dict[str, Finding] = {}
    for finding in findings:
        seen.setdefault(finding.id, finding)
    return list(seen.values())


def sort_key(finding: Finding) -> tuple[int, str, str, str, str]:
    """Most severe first, then by team, cluster, check and object."""
    return (
        -finding.severity.rank,
        finding.team or "",
        finding.cluster,
        finding.check,
        str(finding.object or ""),
    )


def is_git_view(finding: Finding) -> bool:
    return finding.view is View.GIT


def cap_values(findings: Iterable[Finding]) -> list[Finding]:
    """Findings with every value copied from Git or the cluster capped (``textsafe.cap_value``):
    the drifted values, the message and the reason. Done once, before findings are stored or
    shown, so a 10 MB annotation becomes a few KiB marked with its original size everywhere."""
    return [_capped(f) for f in findings]


def _capped(finding: Finding) -> Finding:
    changes = tuple(_capped_change(c) for c in finding.changes)
    message, reason = cap_value(finding.message), cap_value(finding.reason)
    if (
        message is finding.message
        and reason is finding.reason
        and all(a is b for a, b in zip(changes, finding.changes, strict=True))
    ):
        return finding
    return dataclasses.replace(finding, changes=changes, message=message, reason=reason)


def _capped_change(change: Change) -> Change:
    desired, live = cap_value(change.desired), cap_value(change.live)
    if desired is change.desired and live is change.live:
        return change
    return dataclasses.replace(change, desired=desired, live=live)
