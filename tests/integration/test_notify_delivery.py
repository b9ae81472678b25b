"""The outbox and its sender against real databases (SQLite, PostgreSQL) and the real slack-sdk
talking to a local Slack-API server (tests/slack_server.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditor.app.notifying import (
    CLAIM_SECONDS,
    DeliveryReport,
    deliver_pending,
    deliverer,
    outbox_planner,
)
from auditor.config import load
from auditor.keys import ResourceKey
from auditor.model import Finding
from auditor.notify.plan import Routing, plan
from auditor.notify.slack import SlackNotifier, WebhookNotifier
from auditor.store import RunScope, Store
from tests.integration.db_fixtures import audit_run, change, finding
from tests.slack_server import SlackState, slack_server

PROD = RunScope(clusters=frozenset({"prod"}))
ROUTES = Routing(
    team_channels={"payments": "#payments", "shop": "#shop"},
    default_channel="#platform",
    digest_threshold=3,
)
T0 = datetime(2026, 11, 1, 10, tzinfo=UTC)


def _t(day: int) -> str:
    return f"2026-11-{day:02d}T10:00:00"


def record(
    store: Store, run_id: str, day: int, findings: list[Finding], routes: Routing = ROUTES
) -> None:
    store.record_run(
        audit_run(run_id, _t(day), findings),
        scope=PROD,
        outbox=lambda deltas: plan(deltas, routes),
    )


@pytest.fixture
def slack() -> Iterator[tuple[SlackNotifier, SlackState]]:
    with slack_server() as (base_url, state):
        yield SlackNotifier(state.token, base_url=base_url), state


def posts(state: SlackState) -> list[dict[str, object]]:
    return [r.body for r in state.calls("chat.postMessage")]


def test_opened_posts_once_then_resolve_updates_and_replies_in_thread(
    store: Store, slack: tuple[SlackNotifier, SlackState]
) -> None:
    notifier, state = slack
    a = finding("checkout", changes=[change()])
    record(store, "r1", 1, [a])
    report = deliver_pending(store, notifier, now=T0)
    assert report.sent == {"payments": 1} and report.depth == 0 and not report.failures
    [post] = posts(state)
    assert post["channel"] == "#payments" and "thread_ts" not in post
    assert all(r.auth == f"Bearer {state.token}" for r in state.requests)
    body = json.dumps(post)
    assert "PDA-DR-003" in body and "drift" in body and "HTTPRoute payments/checkout" in body
    assert "kubectl-edit" in body and "checkout.yaml:1" in body and "c0ffee" in body

    # Drained already: nothing more; the same open finding in the next run: nothing either.
    assert deliver_pending(store, notifier, now=T0).sent == {}
    record(store, "r2", 2, [a])
    assert deliver_pending(store, notifier, now=T0).sent == {}
    assert len(state.requests) == 1

    record(store, "r3", 3, [])  # resolved
    report = deliver_pending(store, notifier, now=T0)
    assert report.sent == {"payments": 1}
    [update] = [r.body for r in state.calls("chat.update")]
    first_ts = "1700000000.000001"
    assert update == {**update, "channel": "C-payments", "ts": first_ts}
    assert "Resolved" in json.dumps(update)
    reply = posts(state)[-1]
    assert reply["thread_ts"] == first_ts and reply["channel"] == "C-payments"
    assert "Resolved at" in json.dumps(reply)

    record(store, "r4", 4, [a])  # reopened: the same message again, plus a reply
    deliver_pending(store, notifier, now=T0)
    assert [r.body["ts"] for r in state.calls("chat.update")] == [first_ts, first_ts]
    assert posts(state)[-1]["thread_ts"] == first_ts
    assert store.outbox_counts() == {"sent": 3}


def test_changed_finding_updates_its_message(
    store: Store, slack: tuple[SlackNotifier, SlackState]
) -> None:
    notifier, state = slack
    record(store, "r1", 1, [finding("checkout")])
    record(store, "r2", 2, [finding("checkout", changes=[change()], message="weight differs")])
    deliver_pending(store, notifier, now=T0)
    methods = [r.method for r in state.accepted]
    assert methods == ["chat.postMessage", "chat.update", "chat.postMessage"]
    assert "weight differs" in state.accepted[2].text_and_blocks
    assert state.accepted[2].body["thread_ts"] == "1700000000.000001"


def test_resolve_waits_for_an_unsent_post_and_comes_out_in_order(
    store: Store, slack: tuple[SlackNotifier, SlackState]
) -> None:
    notifier, state = slack
    record(store, "r1", 1, [finding("checkout")])
    state.fail(status=500, error="internal_error")
    first = deliver_pending(store, notifier, now=T0)
    assert first.failed == {("payments", "http_500"): 1} and first.depth == 1
    record(store, "r2", 2, [])  # resolved before its opening post was ever sent
    # The resolve must not overtake the post, even though it is due and the post is not yet.
    assert deliver_pending(store, notifier, now=T0).depth == 2
    assert len(state.accepted) == 0
    report = deliver_pending(store, notifier, now=T0 + timedelta(hours=2))
    assert report.depth == 0
    methods = [r.method for r in state.accepted]
    assert methods == ["chat.postMessage", "chat.update", "chat.postMessage"]
    assert state.accepted[2].body["thread_ts"] == state.accepted[1].body["ts"]


def test_digest_when_a_run_opens_more_than_the_threshold(
    store: Store, slack: tuple[SlackNotifier, SlackState]
) -> None:
    notifier, state = slack
    many = [finding(f"route-{i}") for i in range(5)]
    record(store, "r1", 1, many)
    report = deliver_pending(store, notifier, now=T0)
    assert report.sent == {"payments": 1} and report.depth == 0
    [digest] = posts(state)
    assert "5 new findings" in json.dumps(digest)
    assert all(f"route-{i}" in json.dumps(digest) for i in range(5))
    record(store, "r2", 2, many[1:])  # route-0 resolved: a reply in the digest's thread
    deliver_pending(store, notifier, now=T0)
    assert state.calls("chat.update") == [], "a digest is never overwritten"
    assert posts(state)[-1]["thread_ts"] == "1700000000.000001"


def test_cross_team_findings_go_to_both_channels(
    store: Store, slack: tuple[SlackNotifier, SlackState]
) -> None:
    notifier, state = slack
    shared = replace(finding("admin", team="shop"), other_team="platform")
    record(store, "r1", 1, [shared])
    deliver_pending(store, notifier, now=T0)
    assert sorted(p["channel"] for p in posts(state)) == ["#platform", "#shop"]


def test_a_429_storm_and_a_500_outage_lose_nothing(
    store: Store, slack: tuple[SlackNotifier, SlackState]
) -> None:
    notifier, state = slack
    record(store, "r1", 1, [finding("checkout"), finding("cart")])
    state.fail(status=429, retry_after=1, times=3)  # more than the client's 2 retries
    storm = deliver_pending(store, notifier, now=T0)
    assert storm.failed == {("payments", "ratelimited"): 1}
    # Still rate limited after the client's Retry-After waits: the pass stops (QA) instead of
    # waiting out Retry-After twice more for every queued message.
    assert storm.sent == {} and storm.depth == 2
    assert len(state.requests) == 3, "one message tried (1 + 2 client retries), not both"
    state.fail(status=500, raw="<html>bad gateway</html>", times=-1)
    later = T0 + timedelta(minutes=5)
    outage = deliver_pending(store, notifier, now=later)
    assert outage.failed == {("payments", "http_500"): 2} and outage.depth == 2
    assert deliver_pending(store, notifier, now=later).failed == {}, "backing off: not due"
    state.clear_failures()
    report = deliver_pending(store, notifier, now=later + timedelta(hours=2))
    assert report.sent == {"payments": 2} and report.depth == 0
    names = sorted(json.loads(p.text_and_blocks)["text"] for p in state.calls("chat.postMessage"))
    assert len(names) == 2 and "cart" in names[0] + names[1] and "checkout" in names[0] + names[1]


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel"])
def test_channel_errors_are_permanent_visible_and_not_retried(
    store: Store,
    slack: tuple[SlackNotifier, SlackState],
    error: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    notifier, state = slack
    record(store, "r1", 1, [finding("checkout"), finding("cart", team="shop")])
    state.fail(error=error, channel="#payments", times=-1)
    report = deliver_pending(store, notifier, now=T0)
    assert report.failed == {("payments", error): 1} and report.sent == {"shop": 1}
    [failure] = report.failures
    assert failure.permanent and failure.channel == "#payments"
    assert any("payments" in r.getMessage() and error in r.getMessage() for r in caplog.records)
    [run] = [r for r in store.runs() if r.id == "r1"]
    notes = [s for s in run.skipped if s.subject == "notify"]
    assert [n.reason for n in notes] == [
        f"team payments channel #payments: {error} (permanent, not retried)"
    ]
    before = len(state.requests)
    again = deliver_pending(store, notifier, now=T0 + timedelta(days=1))
    assert len(state.requests) == before and again.depth == 0
    assert store.outbox_counts() == {"failed": 1, "sent": 1}


def test_invalid_auth_stops_the_drain_and_says_so(store: Store) -> None:
    with slack_server() as (base_url, state):
        notifier = SlackNotifier("xoxb-revoked", base_url=base_url)
        record(store, "r1", 1, [finding("checkout"), finding("cart")])
        report = deliver_pending(store, notifier, now=T0)
        assert len(state.requests) == 1, "no point sending the rest with a dead token"
        assert report.failed == {("payments", "invalid_auth"): 1} and report.depth == 1
        assert "invalid_auth (permanent, not retried)" in report.summary()
        assert "xoxb-revoked" not in report.summary()


def test_hostile_text_from_git_or_the_cluster_reaches_slack_inert(
    store: Store, slack: tuple[SlackNotifier, SlackState]
) -> None:
    notifier, state = slack
    hostile = replace(
        finding("checkout", changes=[change()]),
        object=ResourceKey("gateway.networking.k8s.io", "HTTPRoute", "payments", "<!channel>"),
        message="hostname <http://evil|click> & <@U123>",
    )
    record(store, "r1", 1, [hostile])
    deliver_pending(store, notifier, now=T0)
    [request] = state.calls("chat.postMessage")
    raw = json.dumps(request.body)
    for forbidden in ("<!channel>", "<http://evil|click>", "<@U123>"):
        assert forbidden not in raw
    assert "&lt;!channel&gt;" in raw and "&lt;http://evil|click&gt;" in raw and "&amp;" in raw


def test_webhook_posts_every_event_as_a_new_message(store: Store) -> None:
    with slack_server() as (base_url, state):
        notifier = WebhookNotifier(base_url.replace("/api/", "/services/T/B/X"))
        record(store, "r1", 1, [finding("checkout")])
        record(store, "r2", 2, [])
        report = deliver_pending(store, notifier, now=T0)
        assert report.sent == {"payments": 2}
        texts = [r.body["text"] for r in state.calls("webhook")]
        assert texts[0].startswith("New finding") and texts[1].startswith("Resolved")
        state.fail(status=404, error="channel_not_found")
        record(store, "r3", 3, [finding("cart")])
        failed = deliver_pending(store, notifier, now=T0)
        assert failed.failed == {("payments", "channel_not_found"): 1} and failed.depth == 0


SENDER = textwrap.dedent(
    """
    import os
    import signal
    import sys
    from datetime import UTC, datetime
    from auditor.app.notifying import deliver_pending
    from auditor.notify.plan import Routing, plan
    from auditor.notify.slack import SlackNotifier
    from auditor.store import RunScope, Store
    from tests.integration.db_fixtures import audit_run, finding

    url, base_url, token = sys.argv[1:4]
    routes = Routing(team_channels={"payments": "#payments"})
    with Store.open(url) as store:
        findings = [finding(f"route-{i}") for i in range(3)]
        store.record_run(
            audit_run("r1", "2026-11-01T10:00:00", findings),
            scope=RunScope(clusters=frozenset({"prod"})),
            outbox=lambda deltas: plan(deltas, routes),
        )
        print("recorded", flush=True)
        if sys.argv[4] == "kill-after-record":
            os.kill(os.getpid(), signal.SIGKILL)
        deliver_pending(store, SlackNotifier(token, base_url=base_url), now=datetime.now(UTC))
    """
)


def test_a_sender_killed_mid_delivery_loses_nothing_and_repeats_nothing(db_url: str) -> None:
    with slack_server() as (base_url, state):
        state.hold()  # Slack never answers the first post: the process dies waiting
        env = {**os.environ, "PYTHONPATH": os.getcwd()}
        proc = subprocess.Popen(
            [sys.executable, "-c", SENDER, db_url, base_url, state.token, "kill-mid-delivery"],
            stdout=subprocess.PIPE,
            env=env,
        )
        try:
            assert state.wait_for_requests(1), "the sender never reached Slack"
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(30)
        assert proc.stdout is not None and proc.stdout.read().startswith(b"recorded")
        state.release()
        with Store.open(db_url) as store:
            assert store.outbox_depth() == 3
            notifier = SlackNotifier(state.token, base_url=base_url)
            now = datetime.now(UTC)
            # The killed sender's claim holds its row until it expires; the others go now.
            assert deliver_pending(store, notifier, now=now).sent_total == 2
            later = now + timedelta(seconds=CLAIM_SECONDS + 1)
            report: DeliveryReport = deliver_pending(store, notifier, now=later)
            assert report.sent_total == 1 and report.depth == 0
            assert deliver_pending(store, notifier, now=later).sent_total == 0
    texts = [r.text_and_blocks for r in state.calls("chat.postMessage")]
    assert len(texts) == 3
    assert sorted(i for i in range(3) for t in texts if f"route-{i}" in t) == [0, 1, 2]


def test_a_sender_killed_between_record_and_delivery_delivers_all_once_on_restart(
    db_url: str,
) -> None:
    with slack_server() as (base_url, state):
        env = {**os.environ, "PYTHONPATH": os.getcwd()}
        args = [sys.executable, "-c", SENDER, db_url, base_url, state.token, "kill-after-record"]
        done = subprocess.run(args, capture_output=True, env=env, timeout=120, check=False)
        assert done.returncode == -signal.SIGKILL and done.stdout.startswith(b"recorded")
        assert state.requests == []
        with Store.open(db_url) as store:  # the restarted process
            notifier = SlackNotifier(state.token, base_url=base_url)
            assert store.outbox_depth() == 3
            assert deliver_pending(store, notifier, now=datetime.now(UTC)).sent_total == 3
            assert deliver_pending(store, notifier, now=datetime.now(UTC)).sent_total == 0
    texts = [r.text_and_blocks for r in state.calls("chat.postMessage")]
    assert sorted(i for i in range(3) for t in texts if f"route-{i}" in t) == [0, 1, 2]


def test_retention_prunes_delivered_rows_and_orphan_threads_never_pending_ones(
    store: Store, slack: tuple[SlackNotifier, SlackState]
) -> None:
    notifier, _ = slack
    record(store, "r1", 1, [finding("checkout"), finding("cart")])
    deliver_pending(store, notifier, now=T0)
    record(store, "r2", 2, [finding("checkout")])  # cart resolved, its message not yet sent
    record(store, "r3", 3, [finding("checkout"), finding("cart")])  # cart reopened
    record(store, "r4", 4, [finding("checkout")])  # cart resolved again
    store.prune(older_than=datetime(2026, 11, 30, tzinfo=UTC))
    assert store.outbox_counts() == {"pending": 3}, "pending rows are never pruned"
    assert store.get(finding("cart").id) is None
    assert store.slack_thread(finding("cart").id, "#payments") is None
    assert store.slack_thread(finding("checkout").id, "#payments") is not None


def test_deliverer_from_the_config(
    tmp_path: Path, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with slack_server() as (base_url, state):
        config = tmp_path / "auditor.yaml"
        config.write_text(
            "clusters: [{name: prod, snapshot: live.yaml}]\n"
            "teams: [{name: payments, namespaces: [payments], slack_channel: '#payments'}]\n"
            f"notify: {{slack: {{token_env: TOKEN, base_url: '{base_url}'}}}}\n"
        )
        assert deliverer(load(config, environ={})) is None
        assert "environment variable TOKEN (from notify.slack.token_env) is not set" in caplog.text
        settings = load(config, environ={"TOKEN": state.token})
        deliver = deliverer(settings)
        assert deliver is not None
        plan_of = outbox_planner(settings)
        assert plan_of is not None
        store.record_run(audit_run("r1", _t(1), [finding("checkout")]), scope=PROD, outbox=plan_of)
        assert deliver(store, T0).sent == {"payments": 1}
        assert [p["channel"] for p in posts(state)] == ["#payments"]
        config.write_text("clusters: [{name: prod, snapshot: live.yaml}]\n")
        assert deliverer(load(config, environ={})) is None
        assert outbox_planner(load(config, environ={})) is None


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_slack_is_a_transient_connection_error(store: Store) -> None:
    notifier = SlackNotifier("xoxb-x", base_url=f"http://127.0.0.1:{_free_port()}/api")
    record(store, "r1", 1, [finding("checkout")])
    report = deliver_pending(store, notifier, now=T0)
    assert report.failed == {("payments", "connection_error"): 1} and report.depth == 1


def test_a_slack_timeout_is_transient(
    store: Store, slack: tuple[SlackNotifier, SlackState], monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditor.notify import slack as slack_module

    _, state = slack
    monkeypatch.setattr(slack_module, "TIMEOUT_SECONDS", 0.5)
    base_url = state.base_url
    state.hold()
    record(store, "r1", 1, [finding("checkout")])
    report = deliver_pending(store, SlackNotifier(state.token, base_url=base_url), now=T0)
    assert report.failed == {("payments", "timeout"): 1} and report.depth == 1


def test_an_unreachable_slack_stops_the_drain_after_one_attempt(store: Store) -> None:
    """QA: every attempt at an unreachable Slack costs up to two client timeouts (15 s each);
    trying each of N pending rows in turn blocked an audit (or a serve tick) for N times that.
    The first transport failure ends the pass; the other rows wait, untouched, for the next."""
    notifier = SlackNotifier("xoxb-x", base_url=f"http://127.0.0.1:{_free_port()}/api")
    record(store, "r1", 1, [finding("checkout"), finding("cart"), finding("pay")])
    report = deliver_pending(store, notifier, now=T0)
    assert report.failed == {("payments", "connection_error"): 1} and report.depth == 3
    assert [f.reason for f in report.failures] == ["connection_error"]


def test_a_slack_timeout_stops_the_drain(
    store: Store, slack: tuple[SlackNotifier, SlackState], monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditor.notify import slack as slack_module

    _, state = slack
    monkeypatch.setattr(slack_module, "TIMEOUT_SECONDS", 0.5)
    state.hold()
    record(store, "r1", 1, [finding("checkout"), finding("cart"), finding("pay")])
    report = deliver_pending(store, SlackNotifier(state.token, base_url=state.base_url), now=T0)
    assert report.failed == {("payments", "timeout"): 1} and report.depth == 3
    state.release()
    later = deliver_pending(
        store, SlackNotifier(state.token, base_url=state.base_url), now=T0 + timedelta(hours=2)
    )
    assert later.sent == {"payments": 3} and later.depth == 0, "nothing lost"


@pytest.mark.parametrize(
    ("status", "body", "reason", "pending"),
    [
        (429, "rate_limited", "ratelimited", 1),
        (503, "service unavailable", "http_503", 1),
        (403, "invalid_token", "invalid_token", 0),
        (400, "<html>Bad Request</html>", "http_400", 1),
    ],
)
def test_webhook_failures_are_classified(
    store: Store, status: int, body: str, reason: str, pending: int
) -> None:
    with slack_server() as (base_url, state):
        notifier = WebhookNotifier(base_url.replace("/api/", "/services/T/B/X"))
        state.fail(status=status, error=body, times=-1)
        record(store, "r1", 1, [finding("checkout")])
        report = deliver_pending(store, notifier, now=T0)
        assert report.failed == {("payments", reason): 1} and report.depth == pending


def test_two_concurrent_senders_never_send_a_row_twice(db_url: str) -> None:
    import threading

    with slack_server() as (base_url, state), Store.open(db_url) as store:
        record(store, "r1", 1, [finding(f"route-{i}") for i in range(3)])
        record(store, "r2", 2, [finding(f"route-{i}") for i in range(3, 6)])
        reports: list[DeliveryReport] = []

        def drain() -> None:
            with Store.open(db_url) as own:
                notifier = SlackNotifier(state.token, base_url=base_url)
                reports.append(deliver_pending(own, notifier, now=T0))

        threads = [threading.Thread(target=drain) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        remaining = deliver_pending(store, SlackNotifier(state.token, base_url=base_url), now=T0)
        total = sum(r.sent_total for r in reports) + remaining.sent_total
        # r2 resolves route-0..2 and opens route-3..5: 6 posts, 3 updates, 3 replies
        assert total == 9 and remaining.depth == 0
        assert len(state.calls("chat.update")) == 3
        opened = [p for p in state.calls("chat.postMessage") if "thread_ts" not in p.body]
        assert len(opened) == 6
