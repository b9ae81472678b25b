"""``auditor audit`` notifies: the demo's sample (real Git, snapshot, SQLite or PostgreSQL) with
``notify.slack`` pointed at the local Slack-API server, through the real slack-sdk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor import cli
from auditor.demo import build_demo, commit_fix
from tests.slack_server import slack_server

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AUDITOR_DATABASE_URL", "AUDITOR_CONFIG", "TEST_SLACK_TOKEN"):
        monkeypatch.delenv(var, raising=False)


def configure(root: Path, base_url: str) -> Path:
    config = build_demo(root)
    text = config.read_text().replace(
        '    default_channel: "#platform-drift"',
        f'    token_env: TEST_SLACK_TOKEN\n    base_url: "{base_url}"\n'
        '    default_channel: "#platform-drift"',
    )
    config.write_text(text)
    return config


def audit(config: Path, db_url: str, *extra: str) -> int:
    return cli.main(["audit", "--config", str(config), "--db", db_url, "--format", "json", *extra])


def test_audit_posts_each_new_finding_once_and_resolves_in_thread(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with slack_server() as (base_url, state):
        config = configure(tmp_path, base_url)

        audit(config, db_url)  # token variable unset: a clear warning, the audit still runs
        err = capsys.readouterr().err
        assert "TEST_SLACK_TOKEN" in err and "notify.slack.token_env" in err
        assert state.requests == []

        monkeypatch.setenv("TEST_SLACK_TOKEN", state.token)
        audit(config, db_url, "--no-notify")
        assert state.requests == [] and "notifications" not in capsys.readouterr().err

        audit(config, db_url)  # delivers what the earlier runs queued, once
        out, err = capsys.readouterr()
        opened = len(json.loads(out)["findings"])
        posts = state.calls("chat.postMessage")
        # one per finding, plus the cross-team findings' second channel
        assert len(posts) >= opened and f"{len(posts)} sent, 0 pending" in err
        channels = {p.body["channel"] for p in posts}
        assert {"#payments-alerts", "#platform-drift"} <= channels
        assert all(p.auth == f"Bearer {state.token}" for p in state.requests)

        audit(config, db_url)
        assert len(state.calls("chat.postMessage")) == len(posts), "never posted twice"

        commit_fix(tmp_path)
        audit(config, db_url)
        updates = state.calls("chat.update")
        assert len(updates) == 2 and {u.body["channel"] for u in updates} == {"C-payments-alerts"}
        replies = [p for p in state.calls("chat.postMessage") if "thread_ts" in p.body]
        assert sorted(r.body["thread_ts"] for r in replies) == sorted(u.body["ts"] for u in updates)
        assert state.token not in capsys.readouterr().err


def test_a_slack_outage_never_blocks_the_audit(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with slack_server() as (base_url, state):
        config = configure(tmp_path, base_url)
        monkeypatch.setenv("TEST_SLACK_TOKEN", state.token)
        state.fail(status=500, times=-1)
        assert audit(config, db_url) == 1  # findings: exit 1 as without Slack
        err = capsys.readouterr().err
        assert "http_500 (will retry)" in err and "0 sent" in err
        assert cli.main(["runs", "--db", db_url, "--format", "json"]) == 0
        runs = json.loads(capsys.readouterr().out)
        notes = [
            s["reason"] for r in runs["runs"] for s in r["skipped"] if s["subject"] == "notify"
        ]
        assert notes and all("http_500 (will retry)" in n for n in notes)


def test_serve_once_delivers_after_its_tick_and_never_reposts(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with slack_server() as (base_url, state):
        config = configure(tmp_path, base_url)
        monkeypatch.setenv("TEST_SLACK_TOKEN", state.token)
        serve = ["serve", "--once", "--config", str(config), "--db", db_url]
        assert cli.main(serve) in (0, 1)
        posts = state.calls("chat.postMessage")
        assert posts and {p.body["channel"] for p in posts} >= {"#payments-alerts"}
        assert cli.main(serve) in (0, 1)
        assert len(state.calls("chat.postMessage")) == len(posts)


def test_demo_shows_the_slack_messages_it_would_send(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--format", "json"]) == 0
    slack = "\n".join(json.loads(capsys.readouterr().out)["slack"])
    assert "[#payments-alerts] message" in slack and "New finding" in slack
    assert "missing ReferenceGrant" in slack and "by kubectl-edit (Update)" in slack
    assert "updated:" in slack and "reply in thread of message" in slack and "Resolved at" in slack
