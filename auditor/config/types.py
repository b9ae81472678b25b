"""The typed settings tree (DESIGN §4). Frozen dataclasses; defaults are the documented ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from auditor import defaults
from auditor.keys import GroupKind
from auditor.model import AllowedParent, Severity, TeamPolicy


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseSettings:
    url: str = "sqlite:///auditor.db"
    auto_migrate: bool = False
    retention_seconds: int | None = 180 * 86400


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterSettings:
    name: str
    kubeconfig: str | None = None
    context: str | None = None
    snapshot: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RepositorySettings:
    name: str
    url: str
    ref: str = "main"
    token_env: str | None = None
    ssh_key_file: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamSourceSettings:
    repository: str
    paths: tuple[str, ...]
    default_namespace: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamSettings:
    name: str
    namespaces: tuple[str, ...] = ()
    namespace_selector: Mapping[str, str] = field(default_factory=dict)
    slack_channel: str | None = None
    sources: tuple[TeamSourceSettings, ...] = ()
    allowed_parents: tuple[AllowedParent, ...] | None = None
    hostnames: tuple[str, ...] = ()
    cluster_scoped: bool = False
    gateway_classes: tuple[str, ...] | None = None

    def policy(self) -> TeamPolicy:
        return TeamPolicy(
            name=self.name,
            namespaces=self.namespaces,
            namespace_selector=dict(self.namespace_selector),
            cluster_scoped=self.cluster_scoped,
            allowed_parents=self.allowed_parents,
            hostnames=self.hostnames,
            gateway_classes=self.gateway_classes,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class KindRef:
    group: str
    kind: str

    @property
    def group_kind(self) -> GroupKind:
        return GroupKind(self.group, self.kind)


@dataclass(frozen=True, slots=True, kw_only=True)
class IgnoreSettings:
    group: str
    kind: str
    paths: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class NormalizeSettings:
    ignore_annotations: tuple[str, ...] = defaults.IGNORE_ANNOTATIONS
    ignore_labels: tuple[str, ...] = defaults.IGNORE_LABELS
    controller_managers: tuple[str, ...] = defaults.CONTROLLER_MANAGERS
    ignore: tuple[IgnoreSettings, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleSettings:
    interval_seconds: int | None = 300
    cron: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SlackSettings:
    token_env: str | None = None
    webhook_url_env: str | None = None
    default_channel: str | None = None
    digest_threshold: int = 10
    base_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """The whole validated config."""

    path: Path
    database: DatabaseSettings
    clusters: tuple[ClusterSettings, ...]
    git_cache_dir: Path
    git_timeout: int
    max_file_bytes: int
    max_yaml_nodes: int
    max_snapshot_bytes: int = defaults.MAX_SNAPSHOT_BYTES
    repositories: tuple[RepositorySettings, ...]
    teams: tuple[TeamSettings, ...]
    secret_metadata: bool
    kinds_extra: tuple[KindRef, ...]
    kinds_exclude: tuple[KindRef, ...]
    normalize: NormalizeSettings
    disabled_checks: frozenset[str]
    severity_overrides: Mapping[str, Severity]
    schedule: ScheduleSettings
    serve_listen: str
    serve_leases: bool
    slack: SlackSettings | None
    ambient_exceptions: tuple[str, ...] = ()
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    def repository(self, name: str) -> RepositorySettings:
        return next(r for r in self.repositories if r.name == name)

    def team_policies(self) -> tuple[TeamPolicy, ...]:
        return tuple(t.policy() for t in self.teams)
