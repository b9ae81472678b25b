"""``auditor serve`` drains the outbox after its ticks, and the findings of a team that leaves the
config are said to be resolved "out of scope" in Slack once (issue 9, 4b), through the real
slack-sdk. The resolution goes to the thread of the finding's original message in the team's
channel, although the config no longer names that team or its channel."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor import cli
from tests.e2e.test_audit_notify import configure
from tests.slack_server import slack_server


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_team_removed_from_the_config_is_resolved_out_of_scope_in_slack_once(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AUDITOR_DATABASE_URL", raising=False)
    with slack_server() as (base_url, state):
        config = configure(tmp_path, base_url)
        monkeypatch.setenv("TEST_SLACK_TOKEN", state.token)

        def once() -> int:
            return cli.main(["serve", "--config", str(config), "--db", db_url, "--once"])

        assert once() == 1
        payments_posts = [
            p for p in state.calls("chat.postMessage") if p.body["channel"] == "#payments-alerts"
        ]
        assert payments_posts, "the payments team had findings posted to its channel"

        text = config.read_text()
        config.write_text(re.sub(r"  - name: payments\n(?:    .*\n|      .*\n)*", "", text))
        assert "payments" not in config.read_text().split("teams:")[1].split("notify:")[0]
        once()

        def out_of_scope() -> dict[str, int]:
            said: dict[str, int] = {}
            for request in state.requests:
                text = request.text_and_blocks
                if "out of scope: team payments is no longer configured" in text:
                    for fid in set(re.findall(r"finding ([0-9a-f]{12})", text)):
                        said[fid] = said.get(fid, 0) + 1
            return said

        ids = {
            fid
            for p in payments_posts
            for fid in re.findall(r"finding ([0-9a-f]{12})", p.text_and_blocks)
        }
        said = out_of_scope()
        assert ids and ids <= said.keys(), "every payments finding is said to be out of scope"

        resolutions = [
            r
            for r in state.accepted
            if "out of scope: team payments is no longer configured" in r.text_and_blocks
        ]
        assert "C-payments-alerts" in {r.body["channel"] for r in resolutions}
        replies = [r for r in resolutions if r.method == "chat.postMessage"]
        assert replies and all(r.body.get("thread_ts") for r in replies), (
            "replies in the original threads, not new messages routed by the current config"
        )
        updated = {(r.body["channel"], r.body["ts"]) for r in state.calls("chat.update")}
        assert {(r.body["channel"], r.body["thread_ts"]) for r in replies} <= updated
        once()
        assert out_of_scope() == said, "said once"
        capsys.readouterr()
        assert cli.main(["runs", "--db", db_url]) == 0
        assert capsys.readouterr().out.count("out of scope") == 1
