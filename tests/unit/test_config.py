"""Config loading: every error names the file and key path; env overrides; the example is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.config import load
from auditor.errors import ConfigError
from auditor.model import Severity

REPO = Path(__file__).resolve().parents[2]

MINIMAL = """
repositories: [{name: gitops, url: /tmp/x.git}]
clusters: [{name: prod}]
teams:
  - name: payments
    namespaces: [payments]
    sources: [{repository: gitops, paths: ["a/*.yaml"]}]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "auditor.yaml"
    path.write_text(text)
    return path


def test_example_config_is_valid_and_covers_every_section() -> None:
    settings = load(REPO / "config" / "auditor.example.yaml", environ={})
    assert [c.name for c in settings.clusters] == ["prod", "lab"]
    assert settings.clusters[1].snapshot == REPO / "config" / "snapshots" / "lab.yaml"
    assert settings.repositories[0].token_env == "GIT_TOKEN"
    assert settings.teams[1].allowed_parents is not None
    assert settings.teams[1].allowed_parents[0].sections == ("https",)
    assert settings.teams[0].allowed_parents is None
    assert settings.teams[1].gateway_classes == ("internal",)
    assert settings.teams[1].policy().gateway_classes == ("internal",)
    assert settings.teams[0].gateway_classes is None
    assert settings.disabled_checks == frozenset({"PDA-HN-005"})
    assert settings.severity_overrides == {"PDA-RG-004": Severity.INFO}
    assert settings.schedule.interval_seconds == 300
    assert settings.database.retention_seconds == 180 * 86400
    assert settings.slack is not None and settings.slack.digest_threshold == 10
    assert settings.normalize.ignore[0].managers == ("argo-rollouts",)
    assert settings.ambient_exceptions == ("legacy/batch-*",)


def test_defaults_of_a_minimal_config(tmp_path: Path) -> None:
    settings = load(write(tmp_path, MINIMAL), environ={})
    assert settings.database.url == "sqlite:///auditor.db"
    assert settings.max_file_bytes == 5 * 1024 * 1024
    assert settings.git_timeout == 120
    assert settings.slack is None
    assert (
        "kubectl.kubernetes.io/last-applied-configuration" in settings.normalize.ignore_annotations
    )


def test_env_overrides_database_url_and_git_cache(tmp_path: Path) -> None:
    env = {
        "AUDITOR_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "AUDITOR_GIT_CACHE": str(tmp_path / "c"),
    }
    settings = load(write(tmp_path, MINIMAL), environ=env)
    assert settings.database.url == "postgresql+psycopg://u@h/db"
    assert settings.git_cache_dir == tmp_path / "c"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bogus: 1\n", "bogus: unknown key"),
        ("teams: [{name: a, namespces: [x]}]\n", "teams[0].namespces: unknown key"),
        ("clusters: {name: prod}\n", "clusters: expected a list"),
        ("clusters: [{kubeconfig: x}]\n", "clusters[0].name: is required"),
        ("limits: {max_file_bytes: big}\n", "limits.max_file_bytes: expected an integer"),
        ("limits: {max_file_bytes: -1}\n", "limits.max_file_bytes: expected a positive integer"),
        ("database: {auto_migrate: maybe}\n", "database.auto_migrate: expected a boolean"),
        ("git: {timeout: 2 weeks}\n", "git.timeout: expected a duration"),
        ("schedule: {interval: 5m, cron: '* * * * *'}\n", "schedule: use either interval or cron"),
        ("checks: {disable: [PDA-XX-999]}\n", "checks.disable[0]: unknown check ID"),
        (
            "checks: {severity: {PDA-RG-004: urgent}}\n",
            "checks.severity.PDA-RG-004: expected one of",
        ),
        (
            "repositories: [{name: r, url: u}]\nteams: [{name: a, sources: [{repository: other, paths: [x]}]}]\n",
            "teams[0].sources[0].repository: no repository named 'other'",
        ),
        (
            "teams: [{name: a, sources: [{repository: r, paths: []}]}]\nrepositories: [{name: r, url: u}]\n",
            "teams[0].sources[0].paths: expected at least one glob",
        ),
        ("clusters: [{name: a}, {name: a}]\n", "clusters[1].name: duplicate name 'a'"),
        (
            "teams: [{name: a, namespaces: [pay-*]}, {name: b, namespaces: [pay-1]}]\n",
            "teams[1].namespaces: namespace 'pay-1' overlaps 'pay-*'",
        ),
        (
            "teams: [{name: a, cluster_scoped: true}, {name: b, cluster_scoped: true}]\n",
            "teams[1].cluster_scoped: only one team",
        ),
        (
            "teams: [{name: a, gateway_classes: [1]}]\n",
            "teams[0].gateway_classes[0]: expected a string",
        ),
        (
            "teams: [{name: a, allowed_parents: [{gateway: public}]}]\n",
            "teams[0].allowed_parents[0].gateway: expected 'namespace/name'",
        ),
        (
            "teams: [{name: a, allowed_parents: [{gateway: /public}]}]\n",
            "teams[0].allowed_parents[0].gateway: expected 'namespace/name'",
        ),
        (
            "teams: [{name: a, allowed_parents: [{gateway: a/b, listenerset: a/c}]}]\n",
            "teams[0].allowed_parents[0]: an entry names either",
        ),
        (
            "clusters: [{name: a, snapshot: s.yaml, context: prod}]\n",
            "clusters[0].snapshot: a cluster takes either snapshot",
        ),
        (
            "teams: [{name: a, namespace_selector: {team: 1}}]\n",
            "teams[0].namespace_selector.team: expected a string",
        ),
        (
            "repositories: [{name: r, url: u, auth: {token_env: A, ssh_key_file: k}}]\n",
            "repositories[0].auth: use either",
        ),
        (
            "ignore: [{kind: HTTPRoute}]\n",
            "ignore[0]: an ignore rule needs paths, managers or both",
        ),
        ("- a\n- b\n", "expected a mapping at the top level"),
        # YAML 1.1 reads 0123 as octal 83: a numeric ref is refused, never fetched as another ref
        (
            "repositories: [{name: r, url: u, ref: 0123}]\n",
            "repositories[0].ref: expected a string",
        ),
        ("git: {timeout: true}\n", "git.timeout: expected a duration"),
        ("git: {timeout: -5}\n", "git.timeout: expected a duration like"),
        ("schedule: {interval: 0s}\n", "schedule.interval: expected a positive duration"),
        (
            "mesh: {ambient_exceptions: [legacy]}\n",
            "mesh.ambient_exceptions: expected namespace/name",
        ),
        ("mesh: {exceptions: []}\n", "mesh.exceptions"),
        # issue 8: one duration parser, bare numbers refused, bounded at 100 years
        ("database: {retention: 100}\n", "database.retention: expected a duration like"),
        ("git: {timeout: 120}\n", "git.timeout: expected a duration like 90s"),
        ("database: {retention: 1000000d}\n", "database.retention: '1000000d' is longer than"),
        ("schedule: {interval: 99999999999w}\n", "schedule.interval: '99999999999w' is longer"),
        ("schedule: {cron: '99 * * * *'}\n", "schedule.cron: invalid cron expression '99 * * * *'"),
        ("schedule: {cron: '* * * 13 *'}\n", "schedule.cron: invalid cron expression"),
        ("database: {url: 'mysql://u@h/db'}\n", "database.url: unsupported database URL"),
        ("database: {url: '${DB_URL}'}\n", "database.url: ${DB_URL} looks like an environment"),
        (
            "repositories: [{name: r, url: 'https://${TOKEN}@h/r.git'}]\n",
            "repositories[0].url: ${TOKEN} looks like an environment variable reference",
        ),
        (
            "database: {url: 'postgresql://u:p@ss@h/db'}\n",
            "database.url: more than one '@' in the URL: percent-encode '@'",
        ),
        (
            "repositories: [{name: r, url: 'https://u:p@ss@h/r.git'}]\n",
            "repositories[0].url: more than one '@'",
        ),
    ],
)
def test_errors_name_file_and_key_path(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load(path, environ={})
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_missing_file_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load(tmp_path / "nope.yaml", environ={})
    path = write(tmp_path, "teams:\n  - name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"auditor\.yaml:\d+: invalid YAML"):
        load(path, environ={})


def test_non_utf8_config_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "auditor.yaml"
    path.write_bytes(b"teams: []\n# caf\xe9\n")
    with pytest.raises(ConfigError, match=r"auditor\.yaml:2: not UTF-8 text"):
        load(path, environ={})


@pytest.mark.parametrize("retention", ["0", "'0'", "0s", "0d"])
def test_zero_retention_in_any_unit_keeps_everything(tmp_path: Path, retention: str) -> None:
    settings = load(write(tmp_path, f"database: {{retention: {retention}}}\n"), environ={})
    assert settings.database.retention_seconds is None


def test_env_database_url_problems_name_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "database: {url: 'sqlite:///a.db'}\n")
    with pytest.raises(ConfigError, match=r"database: AUDITOR_DATABASE_URL .*unsupported") as info:
        load(path, environ={"AUDITOR_DATABASE_URL": "mysql://dbadmin7:hunter22@db/x"})
    assert "hunter22" not in str(info.value) and "dbadmin7" not in str(info.value)


@pytest.mark.parametrize(
    ("given", "seconds"), [("2w", 1209600), ("1h30m", 5400), ("36500d", 3153600000)]
)
def test_durations_accept_weeks_compounds_and_the_bound(
    tmp_path: Path, given: str, seconds: int
) -> None:
    settings = load(write(tmp_path, f"database: {{retention: {given}}}\n"), environ={})
    assert settings.database.retention_seconds == seconds


@pytest.mark.parametrize("cron", ["*/5 * * * *", "0 3 * * 7", "0 3 * * 5-7", "0 17 * * mon-fri"])
def test_valid_crontab_expressions_pass(tmp_path: Path, cron: str) -> None:
    settings = load(write(tmp_path, f"schedule: {{cron: '{cron}'}}\n"), environ={})
    assert settings.schedule.cron == cron and settings.schedule.interval_seconds is None
