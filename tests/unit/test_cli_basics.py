"""CLI plumbing: help text for every command, README coverage, exit-code rules, flag parsing."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from auditor import cli
from auditor.cli.audit import exit_code, parse_live_snapshots
from auditor.errors import UsageError
from auditor.keys import ResourceKey
from auditor.model import Category, Finding, Severity, View

REPO = Path(__file__).resolve().parents[2]


def all_commands() -> list[tuple[str, click.Command]]:
    cli._register_commands()
    out: list[tuple[str, click.Command]] = []

    def walk(prefix: str, group: click.Group) -> None:
        for name, command in sorted(group.commands.items()):
            full = f"{prefix} {name}".strip()
            out.append((full, command))
            if isinstance(command, click.Group):
                walk(full, command)

    walk("", cli.cli)
    return out


def test_every_subcommand_has_help_and_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    commands = all_commands()
    assert {
        "audit",
        "analyze",
        "history",
        "show",
        "stats",
        "runs",
        "db upgrade",
        "config check",
        "demo",
    } <= {name for name, _ in commands}
    for name, command in commands:
        assert command.help, f"`auditor {name}` has no help text"
        if not isinstance(command, click.Group):
            assert f"auditor {name}" in readme, f"`auditor {name}` is not documented in README.md"


@pytest.mark.parametrize("name", ["audit", "analyze", "history", "show", "stats", "runs", "demo"])
def test_help_runs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([name, "--help"]) == 0
    assert "Usage: " in capsys.readouterr().out


def finding(severity: Severity) -> Finding:
    return Finding(
        check="PDA-DR-003",
        category=Category.DRIFT,
        severity=severity,
        view=View.LIVE,
        cluster="prod",
        object=ResourceKey("gateway.networking.k8s.io", "HTTPRoute", "payments", "checkout"),
        message="differs",
    )


@pytest.mark.parametrize(
    ("severities", "partial", "fail_on", "allow_partial", "expected"),
    [
        ([], False, "low", False, 0),
        ([Severity.INFO], False, "low", False, 0),
        ([Severity.LOW], False, "low", False, 1),
        ([Severity.HIGH], False, "critical", False, 0),
        ([Severity.CRITICAL], False, "critical", False, 1),
        ([], True, "low", False, 3),
        ([Severity.HIGH], True, "low", False, 3),
        ([], True, "low", True, 0),
        ([Severity.HIGH], True, "low", True, 1),
    ],
)
def test_exit_codes(
    severities: list[Severity], partial: bool, fail_on: str, allow_partial: bool, expected: int
) -> None:
    findings = [finding(s) for s in severities]
    assert (
        exit_code(findings, partial=partial, fail_on=fail_on, allow_partial=allow_partial)
        == expected
    )


def test_live_snapshot_flag_forms() -> None:
    assert parse_live_snapshots(["a=x.yaml", "b=y.yaml"], clusters=["a", "b"]) == {
        "a": Path("x.yaml"),
        "b": Path("y.yaml"),
    }
    assert parse_live_snapshots(["x.yaml"], clusters=["a"]) == {"a": Path("x.yaml")}
    with pytest.raises(UsageError, match="needs exactly one selected cluster"):
        parse_live_snapshots(["x.yaml"], clusters=["a", "b"])
    with pytest.raises(UsageError, match="cluster 'c' is not selected"):
        parse_live_snapshots(["c=x.yaml"], clusters=["a"])


def test_missing_config_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["audit", "--config", str(tmp_path / "none.yaml"), "--no-store"])
    assert code == 2
    assert "config file not found" in capsys.readouterr().err


def test_unknown_team_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("teams: [{name: a}]\n")
    assert cli.main(["audit", "--config", str(config), "--team", "b", "--no-store"]) == 2
    assert "--team 'b': no such team" in capsys.readouterr().err


def test_config_check_prints_what_it_resolved(capsys: pytest.CaptureFixture[str]) -> None:
    example = str(REPO / "config" / "auditor.example.yaml")
    assert cli.main(["config", "check", "--config", example]) == 0
    out = capsys.readouterr().out
    assert "config OK" in out and "team payments" in out and "token from $GIT_TOKEN" in out
    assert cli.main(["config", "check", "--config", example, "--format", "json"]) == 0
    import json

    resolved = json.loads(capsys.readouterr().out)
    assert resolved["teams"][1]["allowed_parents"][0]["sections"] == ["https"]


def test_config_check_masks_database_passwords(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("database: {url: 'postgresql+psycopg://auditor:s3cr3t@db:5432/audit'}\n")
    assert cli.main(["config", "check", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "s3cr3t" not in out and "postgresql+psycopg://***@db:5432/audit" in out


def test_config_check_json_and_repository_urls_mask_passwords(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "database: {url: 'postgresql+psycopg://auditor:s3cr3t@db/audit?password=qu3ry'}\n"
        "repositories: [{name: r, url: 'https://bot:ghp_t0ken@git.example/r.git'}]\n"
    )
    for fmt in ("table", "json"):
        assert cli.main(["config", "check", "--config", str(config), "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert "s3cr3t" not in out and "qu3ry" not in out and "ghp_t0ken" not in out, fmt
        assert "https://***@git.example/r.git" in out, fmt


def test_config_check_rejects_a_malformed_ignore_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("ignore: [{kind: HTTPRoute, paths: ['spec.rules[']}]\n")
    assert cli.main(["config", "check", "--config", str(config)]) == 2
    assert "ignore[0].paths" in capsys.readouterr().err


def test_read_commands_do_not_create_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.db"
    assert cli.main(["history", "--db", f"sqlite:///{missing}"]) == 2
    assert "no history database at" in capsys.readouterr().err
    assert not missing.exists()


def test_config_check_shows_notifications_and_serve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: a new user's `config check` said nothing about Slack or serve, not even that the
    token variable is unset (messages would then pile up in the outbox unsent)."""
    config = tmp_path / "c.yaml"
    config.write_text(
        "serve: {listen: '127.0.0.1:9000', leases: false}\n"
        "teams: [{name: pay, slack_channel: '#pay'}]\n"
        "notify: {slack: {token_env: QA_SLACK_TOKEN, default_channel: '#drift'}}\n"
    )
    monkeypatch.delenv("QA_SLACK_TOKEN", raising=False)
    assert cli.main(["config", "check", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "serve: listen 127.0.0.1:9000; leases off" in out
    assert "notify: Slack bot token from $QA_SLACK_TOKEN (not set" in out
    assert "default channel #drift; digest above 10 per team" in out
    assert "team pay:" in out and "Slack channel #pay" in out
    monkeypatch.setenv("QA_SLACK_TOKEN", "xoxb-s3cr3t")
    assert cli.main(["config", "check", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "$QA_SLACK_TOKEN (set)" in out and "s3cr3t" not in out
    config.write_text("notify: {slack: {default_channel: '#drift'}}\n")
    assert cli.main(["config", "check", "--config", str(config)]) == 2
    assert "notify.slack: set token_env" in capsys.readouterr().err
    config.write_text("clusters: []\n")
    assert cli.main(["config", "check", "--config", str(config)]) == 0
    assert "notify: off (no notify.slack)" in capsys.readouterr().out


@pytest.mark.parametrize(("signum", "expected"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_while_commands_load_waits_for_them_and_exits_cleanly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], signum: str, expected: int
) -> None:
    """A Ctrl-C that lands inside an import is lost or kills the interpreter with SIGINT (see
    ``cli._register_while_signals_wait``); held back until the commands are loaded, it is the
    documented exit code, raised where ``main`` catches it."""
    import collections
    import signal
    import threading

    loaded = []
    register = cli._register_commands

    def register_under_a_signal() -> None:
        # To the main thread, as a terminal's Ctrl-C reaches the CLI (no other thread runs while
        # it loads); here other tests' threads may run, and one of them would take a signal sent
        # to the process at once.
        main = threading.main_thread().ident
        assert main is not None
        signal.pthread_kill(main, getattr(signal, signum))
        collections.namedtuple("Built", "a b")  # the eval where an unheld SIGINT misfires
        register()
        loaded.append(True)

    monkeypatch.setattr(cli, "_register_commands", register_under_a_signal)
    assert cli.main(["--version"]) == expected
    assert loaded == [True]
    assert capsys.readouterr().err.strip() == ("interrupted" if expected == 130 else "terminated")
