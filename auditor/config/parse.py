"""Turn the raw config mapping into :class:`Settings`, section by section, with cross-checks."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from auditor import defaults
from auditor.catalog import CHECKS
from auditor.config.reader import ConfigReader
from auditor.config.types import (
    ClusterSettings,
    DatabaseSettings,
    IgnoreSettings,
    KindRef,
    NormalizeSettings,
    RepositorySettings,
    ScheduleSettings,
    Settings,
    SlackSettings,
    TeamSettings,
    TeamSourceSettings,
)
from auditor.model import AllowedParent, Severity
from auditor.redact import ambiguous_userinfo, mask_url

TOP_KEYS = {
    "database", "clusters", "git", "limits", "repositories", "teams", "kinds",
    "normalize", "ignore", "checks", "schedule", "serve", "notify", "mesh",
}  # fmt: skip


DATABASE_ENV = "AUDITOR_DATABASE_URL"
DATABASE_SCHEMES = {"sqlite", "sqlite+pysqlite", "postgres", "postgresql", "postgresql+psycopg"}
_ENV_REFERENCE = re.compile(r"\$\{[^}]*\}")
_SUNDAY_7 = re.compile(r"(?<![0-9])7(?![0-9])")


def parse_settings(root: ConfigReader, *, path: Path, environ: Mapping[str, str]) -> Settings:
    root.check_keys(TOP_KEYS)
    _refuse_env_references(root)
    base = path.parent
    git = root.child("git")
    git.check_keys({"cache_dir", "timeout"})
    limits = root.child("limits")
    limits.check_keys({"max_file_bytes", "max_yaml_nodes", "max_snapshot_bytes"})
    kinds = root.child("kinds")
    kinds.check_keys({"secret_metadata", "extra", "exclude"})
    checks = root.child("checks")
    checks.check_keys({"disable", "severity"})
    serve = root.child("serve")
    serve.check_keys({"listen", "leases"})
    mesh = root.child("mesh")
    mesh.check_keys({"ambient_exceptions"})
    cache_dir = environ.get("AUDITOR_GIT_CACHE") or git.get(
        "cache_dir", str, "~/.cache/auditor/git"
    )
    settings = Settings(
        path=path,
        database=_database(root.child("database"), environ),
        clusters=tuple(_cluster(c, base) for c in root.children("clusters")),
        git_cache_dir=Path(os.path.expanduser(cache_dir)),
        git_timeout=git.duration("timeout", "120s"),
        max_file_bytes=_positive(limits, "max_file_bytes", defaults.MAX_FILE_BYTES),
        max_yaml_nodes=_positive(limits, "max_yaml_nodes", defaults.MAX_YAML_NODES),
        max_snapshot_bytes=_positive(limits, "max_snapshot_bytes", defaults.MAX_SNAPSHOT_BYTES),
        repositories=tuple(_repository(r) for r in root.children("repositories")),
        teams=tuple(_team(t) for t in root.children("teams")),
        secret_metadata=kinds.get("secret_metadata", bool, False),
        kinds_extra=tuple(_kind_ref(k) for k in kinds.children("extra")),
        kinds_exclude=tuple(_kind_ref(k) for k in kinds.children("exclude")),
        normalize=_normalize(root.child("normalize"), root.children("ignore")),
        disabled_checks=frozenset(_check_ids(checks, "disable", checks.str_list("disable"))),
        severity_overrides=_severities(checks),
        schedule=_schedule(root.child("schedule")),
        serve_listen=serve.get("listen", str, "0.0.0.0:8080"),
        serve_leases=serve.get("leases", bool, True),
        slack=_slack(root.child("notify")),
        ambient_exceptions=_ambient_exceptions(mesh),
        environ=dict(environ),
    )
    _cross_check(root, settings)
    return settings


def _ambient_exceptions(reader: ConfigReader) -> tuple[str, ...]:
    """``namespace/name`` globs (``namespace/*`` for a whole namespace)."""
    patterns = tuple(reader.str_list("ambient_exceptions"))
    for pattern in patterns:
        namespace, sep, name = pattern.partition("/")
        if not sep or not namespace or not name or "/" in name:
            raise reader.error(
                "ambient_exceptions", f"expected namespace/name globs, got {pattern!r}"
            )
    return patterns


def _positive(reader: ConfigReader, key: str, default: int) -> int:
    value: int = reader.get(key, int, default)
    if value <= 0:
        raise reader.error(key, "expected a positive integer")
    return value


def _database(reader: ConfigReader, environ: Mapping[str, str]) -> DatabaseSettings:
    reader.check_keys({"url", "auto_migrate", "retention"})
    retention = reader.duration("retention", "180d", allow_zero=True)  # 0 (any unit): keep all
    env_url = environ.get(DATABASE_ENV)
    url = env_url or reader.get("url", str, "sqlite:///auditor.db")
    problem = database_url_problem(url)
    if problem and env_url:
        raise reader.error(None, f"{DATABASE_ENV} (which overrides url): {problem}")
    if problem:
        raise reader.error("url", problem)
    return DatabaseSettings(
        url=url,
        auto_migrate=reader.get("auto_migrate", bool, False),
        retention_seconds=retention or None,
    )


def _cluster(reader: ConfigReader, base: Path) -> ClusterSettings:
    reader.check_keys({"name", "kubeconfig", "context", "snapshot"})
    snapshot = reader.get("snapshot", str)
    if snapshot is not None and (reader.get("kubeconfig", str) or reader.get("context", str)):
        raise reader.error(
            "snapshot", "a cluster takes either snapshot or kubeconfig/context, not both"
        )
    return ClusterSettings(
        name=reader.get("name", str, required=True),
        kubeconfig=reader.get("kubeconfig", str),
        context=reader.get("context", str),
        snapshot=(base / os.path.expanduser(snapshot)) if snapshot else None,
    )


def _repository(reader: ConfigReader) -> RepositorySettings:
    reader.check_keys({"name", "url", "ref", "auth"})
    auth = reader.child("auth")
    auth.check_keys({"token_env", "ssh_key_file"})
    token_env, ssh_key = auth.get("token_env", str), auth.get("ssh_key_file", str)
    if token_env and ssh_key:
        raise auth.error(None, "use either token_env or ssh_key_file, not both")
    url = reader.get("url", str, required=True)
    if ambiguous_userinfo(url):
        raise reader.error("url", _AMBIGUOUS)
    return RepositorySettings(
        name=reader.get("name", str, required=True),
        url=url,
        ref=_ref(reader),
        token_env=token_env,
        ssh_key_file=os.path.expanduser(ssh_key) if ssh_key else None,
    )


def _ref(reader: ConfigReader) -> str:
    """A branch, tag or commit. YAML reads an all-digit commit as a number, and ``0123`` as
    octal 83, so a number is refused rather than turned into a different ref."""
    value = reader.get("ref", (str, int, float), "main")
    if not isinstance(value, str):
        raise reader.error("ref", "expected a string; YAML read this ref as a number: quote it")
    return value


def _team(reader: ConfigReader) -> TeamSettings:
    reader.check_keys({
        "name", "namespaces", "namespace_selector", "slack_channel", "sources",
        "allowed_parents", "hostnames", "cluster_scoped", "gateway_classes",
    })  # fmt: skip
    selector = reader.get("namespace_selector", dict, {})
    for key, value in selector.items():
        if not isinstance(value, str):
            raise reader.error(
                f"namespace_selector.{key}", f"expected a string label value, got {value!r}"
            )
    parents = reader.get("allowed_parents", list)
    return TeamSettings(
        name=reader.get("name", str, required=True),
        namespaces=reader.str_list("namespaces"),
        namespace_selector={str(k): v for k, v in selector.items()},
        slack_channel=reader.get("slack_channel", str),
        sources=tuple(_team_source(s) for s in reader.children("sources")),
        allowed_parents=None
        if parents is None
        else tuple(_allowed_parent(p) for p in reader.children("allowed_parents")),
        hostnames=reader.str_list("hostnames"),
        cluster_scoped=reader.get("cluster_scoped", bool, False),
        gateway_classes=reader.str_list("gateway_classes")
        if reader.get("gateway_classes", list) is not None
        else None,
    )


def _team_source(reader: ConfigReader) -> TeamSourceSettings:
    reader.check_keys({"repository", "paths", "default_namespace"})
    paths = reader.str_list("paths")
    if not paths:
        raise reader.error("paths", "expected at least one glob")
    return TeamSourceSettings(
        repository=reader.get("repository", str, required=True),
        paths=paths,
        default_namespace=reader.get("default_namespace", str),
    )


def _allowed_parent(reader: ConfigReader) -> AllowedParent:
    """``gateway: ns/name`` (or ``listenerset: ns/name``) with optional ``sections``."""
    reader.check_keys({"gateway", "listenerset", "sections"})
    if "gateway" in reader.data and "listenerset" in reader.data:
        raise reader.error(None, "an entry names either a gateway or a listenerset, not both")
    key = "listenerset" if "listenerset" in reader.data else "gateway"
    ref = reader.get(key, str)
    namespace, _, name = (ref or "").partition("/")
    if not namespace or not name or "/" in name:
        raise reader.error(
            key, "expected 'namespace/name' of a Gateway (or listenerset: namespace/name)"
        )
    return AllowedParent(
        namespace=namespace,
        name=name,
        kind="ListenerSet" if key == "listenerset" else "Gateway",
        sections=reader.str_list("sections"),
    )


def _kind_ref(reader: ConfigReader) -> KindRef:
    reader.check_keys({"group", "kind"})
    return KindRef(group=reader.get("group", str, ""), kind=reader.get("kind", str, required=True))


def _normalize(reader: ConfigReader, ignores: list[ConfigReader]) -> NormalizeSettings:
    reader.check_keys({"ignore_annotations", "ignore_labels", "controller_managers"})
    defaults = NormalizeSettings()
    rules = []
    for rule in ignores:
        rule.check_keys({"group", "kind", "paths", "managers"})
        if not rule.str_list("paths") and not rule.str_list("managers"):
            raise rule.error(None, "an ignore rule needs paths, managers or both")
        rules.append(
            IgnoreSettings(
                group=rule.get("group", str, ""),
                kind=rule.get("kind", str, required=True),
                paths=rule.str_list("paths"),
                managers=rule.str_list("managers"),
            )
        )
    return NormalizeSettings(
        ignore_annotations=reader.str_list("ignore_annotations")
        if "ignore_annotations" in reader.data
        else defaults.ignore_annotations,
        ignore_labels=reader.str_list("ignore_labels")
        if "ignore_labels" in reader.data
        else defaults.ignore_labels,
        controller_managers=reader.str_list("controller_managers")
        if "controller_managers" in reader.data
        else defaults.controller_managers,
        ignore=tuple(rules),
    )


def _check_ids(reader: ConfigReader, key: str, ids: tuple[str, ...] | list[str]) -> list[str]:
    for i, check_id in enumerate(ids):
        if check_id not in CHECKS:
            raise reader.error(f"{key}[{i}]", f"unknown check ID {check_id!r} (see CHECKS.md)")
    return list(ids)


def _severities(reader: ConfigReader) -> dict[str, Severity]:
    raw = reader.get("severity", dict, {})
    out: dict[str, Severity] = {}
    for check_id, value in raw.items():
        if check_id not in CHECKS:
            raise reader.error(f"severity.{check_id}", "unknown check ID (see CHECKS.md)")
        try:
            out[check_id] = Severity(value)
        except ValueError as e:
            choices = ", ".join(s.value for s in Severity)
            raise reader.error(f"severity.{check_id}", f"expected one of {choices}") from e
    return out


def _schedule(reader: ConfigReader) -> ScheduleSettings:
    reader.check_keys({"interval", "cron"})
    cron = reader.get("cron", str)
    if cron and "interval" in reader.data:
        raise reader.error(None, "use either interval or cron, not both")
    if cron:
        if len(cron.split()) != 5:
            raise reader.error("cron", "expected a 5-field cron expression like '*/5 * * * *'")
        problem = cron_problem(cron)
        if problem:
            raise reader.error("cron", f"invalid cron expression {cron!r}: {problem}")
        return ScheduleSettings(interval_seconds=None, cron=cron)
    return ScheduleSettings(interval_seconds=reader.duration("interval", "5m"))


def cron_problem(expression: str) -> str | None:
    """Why APScheduler's own crontab parser refuses ``expression`` (None when it accepts it).

    Crontab allows 7 for Sunday in the day-of-week field where APScheduler stops at 6; both mean
    a valid last day, so 7 is read as 6 for this check (the scheduler translates weekdays itself).
    """
    from apscheduler.triggers.cron import CronTrigger  # the scheduler's dependency, loaded lazily

    *fields, weekday = expression.split()
    try:
        CronTrigger.from_crontab(" ".join([*fields, _SUNDAY_7.sub("6", weekday)]), timezone="UTC")
    except (ValueError, TypeError) as e:
        return str(e)
    return None


_AMBIGUOUS = (
    "more than one '@' in the URL: percent-encode '@' in the user name or password as %40 "
    "(otherwise the host is guessed and part of the password is echoed in errors)"
)


def database_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a history database (None when it can): an unsupported dialect or
    an ambiguous user info. The message shows the URL masked."""
    if ambiguous_userinfo(url):
        return _AMBIGUOUS
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.lower() not in DATABASE_SCHEMES:
        return (
            f"unsupported database URL {mask_url(url)!r}: expected sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DB (only SQLite and PostgreSQL are supported)"
        )
    return None


def _refuse_env_references(root: ConfigReader) -> None:
    """Config values are taken literally: a ``${VAR}`` in one is a mistake, reported by key."""
    for where, value in _strings(root.data, ""):
        if found := _ENV_REFERENCE.search(value):
            raise root.error(
                where,
                f"{found.group(0)} looks like an environment variable "
                "reference, but config values are not expanded: name the variable in a *_env "
                "key instead (repositories[].auth.token_env, notify.slack.token_env, "
                f"notify.slack.webhook_url_env), and set the database URL with {DATABASE_ENV}",
            )


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in the raw config with its key path (``teams[0].sources[1].paths[0]``)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")


def _slack(reader: ConfigReader) -> SlackSettings | None:
    reader.check_keys({"slack"})
    if "slack" not in reader.data:
        return None
    slack = reader.child("slack")
    slack.check_keys(
        {"token_env", "webhook_url_env", "default_channel", "digest_threshold", "base_url"}
    )
    token_env, webhook_url_env = slack.get("token_env", str), slack.get("webhook_url_env", str)
    if token_env is None and webhook_url_env is None:
        # Messages would be queued for ever and a credential added later would flood the
        # channels with the whole backlog: refuse it when the config is loaded.
        raise slack.error(
            None,
            "set token_env (a bot token: posts, updates and threads) or webhook_url_env "
            "(an incoming webhook: posts only); remove notify.slack to turn notifications off",
        )
    return SlackSettings(
        token_env=token_env,
        webhook_url_env=webhook_url_env,
        default_channel=slack.get("default_channel", str),
        digest_threshold=slack.get("digest_threshold", int, 10),
        base_url=slack.get("base_url", str),
    )


def _unique(root: ConfigReader, section: str, names: list[str]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise root.error(f"{section}[{i}].name", f"duplicate name {name!r}")
        seen.add(name)


def _cross_check(root: ConfigReader, settings: Settings) -> None:
    _unique(root, "clusters", [c.name for c in settings.clusters])
    _unique(root, "repositories", [r.name for r in settings.repositories])
    _unique(root, "teams", [t.name for t in settings.teams])
    repos = {r.name for r in settings.repositories}
    for ti, team in enumerate(settings.teams):
        for si, source in enumerate(team.sources):
            if source.repository not in repos:
                raise root.error(
                    f"teams[{ti}].sources[{si}].repository",
                    f"no repository named {source.repository!r}",
                )
    scoped = [i for i, t in enumerate(settings.teams) if t.cluster_scoped]
    if len(scoped) > 1:
        raise root.error(
            f"teams[{scoped[1]}].cluster_scoped", "only one team may own cluster-scoped objects"
        )
    _overlapping_namespaces(root, settings.teams)
    for key, override in settings.severity_overrides.items():
        del override
        _check_ids(root, "checks.severity", [key])


def _overlapping_namespaces(root: ConfigReader, teams: tuple[TeamSettings, ...]) -> None:
    """Two teams matching one namespace is an error (a literal name, or a glob against a name)."""
    for i, team in enumerate(teams):
        for j in range(i + 1, len(teams)):
            other = teams[j]
            for a in team.namespaces:
                for b in other.namespaces:
                    if a == b or fnmatch.fnmatchcase(a, b) or fnmatch.fnmatchcase(b, a):
                        raise root.error(
                            f"teams[{j}].namespaces",
                            f"namespace {b!r} overlaps {a!r} of team {team.name!r}; a namespace has one owner",
                        )
