"""The I/O half of an audit: fetch each repository once per run, read each team's manifests,
read each cluster (API server or snapshot). Failures become Skipped records, never crashes."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from auditor import catalog
from auditor.checkids import SRC_001, SRC_002, SRC_003
from auditor.config import ClusterSettings, Settings, TeamSettings
from auditor.errors import SourceError
from auditor.keys import GroupKind
from auditor.kinds import default_catalogue
from auditor.model import Finding, KubeObject, LiveState, Skipped, View
from auditor.redact import mask_secrets_in
from auditor.sources.cluster import read_cluster
from auditor.sources.git import GitRead, GitSource, RepoSpec, SourceProblem
from auditor.sources.snapshot import load_snapshot

logger = logging.getLogger(__name__)

INCOMPLETE_GIT_CHECKS = frozenset({SRC_001, SRC_002, SRC_003})
"""Source problems that leave a team's desired state unknown (objects may be missing)."""


@dataclass(slots=True, kw_only=True)
class TeamRead:
    team: str
    objects: list[KubeObject] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    ok: bool = True


class GitReader:
    """Reads teams' sources; each repository is fetched at most once per audit."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._commits: dict[str, str | SourceError] = {}
        self._sources: dict[str, GitSource] = {}

    @property
    def revisions(self) -> dict[str, str]:
        return {name: sha for name, sha in self._commits.items() if isinstance(sha, str)}

    def _commit(self, repo_name: str) -> str:
        if repo_name not in self._commits:
            repo = self._settings.repository(repo_name)
            source = GitSource(
                RepoSpec(
                    name=repo.name,
                    url=repo.url,
                    ref=repo.ref,
                    token_env=repo.token_env,
                    ssh_key_file=repo.ssh_key_file,
                ),
                cache_dir=self._settings.git_cache_dir,
                timeout=float(self._settings.git_timeout),
                environ=self._settings.environ,
            )
            self._sources[repo_name] = source
            try:
                self._commits[repo_name] = source.fetch()
            except SourceError as e:
                logger.warning(
                    "git fetch failed: %s", e, extra={"action": "git-fetch", "resource": repo_name}
                )
                self._commits[repo_name] = e
        result = self._commits[repo_name]
        if isinstance(result, SourceError):
            raise result
        return result

    def close(self) -> None:
        """End the audit's reads (each repository's open cache and its ``cat-file`` process)."""
        for source in self._sources.values():
            source.close()

    def read_team(
        self, team: TeamSettings, cluster: str, *, cluster_scoped: Collection[GroupKind]
    ) -> TeamRead:
        out = TeamRead(team=team.name)
        for source in team.sources:
            try:
                commit = self._commit(source.repository)
                read = self._sources[source.repository].read(
                    commit,
                    patterns=[p.replace("{cluster}", cluster) for p in source.paths],
                    default_namespace=source.default_namespace,
                    cluster_scoped=cluster_scoped,
                    max_file_bytes=self._settings.max_file_bytes,
                    max_yaml_nodes=self._settings.max_yaml_nodes,
                )
            except SourceError as e:
                # The error's text starts with its subject; the subject is already named.
                reason = str(e).removeprefix(f"{e.subject}: ")
                out.skipped.append(
                    Skipped(
                        subject=f"team {team.name}: {e.subject}", reason=mask_secrets_in(reason)
                    )
                )
                out.ok = False
                continue
            _collect(out, read, repository=source.repository, cluster=cluster)
        return out


def _collect(out: TeamRead, read: GitRead, *, repository: str, cluster: str) -> None:
    """Add one source's objects, notes and source findings to the team's read.

    A file that could not be read completely (invalid YAML, over the limits, an escaping
    symlink) leaves the team's desired state unknown: the run is partial (DESIGN §3).
    """
    out.objects.extend(read.objects)
    out.skipped.extend(read.skipped)
    if read.skipped:
        out.ok = False
    if read.ignored:
        out.skipped.append(
            Skipped(
                subject=f"team {out.team}: repository {repository}",
                reason=f"{read.ignored} non-Kubernetes YAML document(s) ignored",
                partial=False,
            )
        )
    for problem in read.problems:
        out.findings.append(source_finding(problem, team=out.team, cluster=cluster))
        if problem.check in INCOMPLETE_GIT_CHECKS:
            out.ok = False
            subject = f"team {out.team}: repository {repository}: {problem.origin.path}"
            out.skipped.append(Skipped(subject=subject, reason=problem.message))


def source_finding(
    problem: SourceProblem, *, team: str | None, cluster: str, view: View = View.GIT
) -> Finding:
    """A PDA-SRC-* finding; ``view`` is ``git`` for audits and ``manifests`` for ``analyze``."""
    info = catalog.info(problem.check)
    return Finding(
        check=problem.check,
        category=info.category,
        severity=info.severity,
        view=view,
        cluster=cluster,
        object=problem.key,
        team=team,
        message=problem.message,
        origin=problem.origin,
    )


def read_live(
    settings: Settings, cluster: ClusterSettings, *, override: Path | None
) -> tuple[LiveState | None, list[Skipped]]:
    """The live state of ``cluster`` (a snapshot file when given or configured), or None."""
    snapshot = override or cluster.snapshot
    try:
        if snapshot is not None:
            live = load_snapshot(
                snapshot,
                cluster=cluster.name,
                max_nodes=settings.max_yaml_nodes,
                max_bytes=settings.max_snapshot_bytes,
            )
        else:
            live = read_cluster(
                name=cluster.name,
                kinds=default_catalogue(
                    extra=tuple(k.group_kind for k in settings.kinds_extra),
                    exclude=tuple(k.group_kind for k in settings.kinds_exclude),
                ),
                kubeconfig=cluster.kubeconfig,
                context=cluster.context,
                secret_metadata=settings.secret_metadata,
                environ=settings.environ,
            )
    except SourceError as e:
        logger.warning(
            "cluster read failed: %s", e, extra={"action": "read-live", "cluster": cluster.name}
        )
        return None, [Skipped(subject=e.subject, reason=mask_secrets_in(str(e)))]
    notes = list(live.skipped)
    if snapshot is None and not settings.secret_metadata:
        notes.append(
            Skipped(
                subject=f"cluster {cluster.name}: Secret existence checks",
                reason="not checked: Secrets are not read (kinds.secret_metadata is false)",
                partial=False,
            )
        )
    return live, notes
