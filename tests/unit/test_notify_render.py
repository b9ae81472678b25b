"""The pure parts of notifications: mrkdwn escaping, Block Kit rendering, routing and digests,
the console notifier, and the error classes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor.deltas import DeltaType, FindingDelta, SlackThread
from auditor.notify import DeliveryError, escape
from auditor.notify.console import ConsoleNotifier
from auditor.notify.plan import Routing, destinations, plan
from auditor.render.checkwords import category_label
from auditor.render.slack import digest_message, finding_message, thread_reply


def finding(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "f" * 64,
        "check": "PDA-RG-001",
        "category": "missing-referencegrant",
        "severity": "high",
        "view": "live",
        "team": "shop",
        "other_team": None,
        "cluster": "prod",
        "object": {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                   "namespace": "shop", "name": "search"},
        "reason": "RefNotPermitted",
        "message": "no ReferenceGrant allows it",
        "changes": [],
        "hidden_changes": 0,
        "origin": {"repository": "gitops", "commit": "0123456789abcdef", "path": "shop/r.yaml",
                   "line": 7},
    }  # fmt: skip
    base.update(over)
    return base


def delta(kind: DeltaType = DeltaType.OPENED, fid: str = "a" * 64, **over: Any) -> FindingDelta:
    return FindingDelta(
        finding_id=fid,
        type=kind,
        run_id="r" * 32,
        at="2026-11-20T10:31:02Z",
        finding=finding(**over),
    )


def test_escape_makes_links_and_mentions_inert() -> None:
    assert (
        escape("<!channel> & <http://evil|click>")
        == "&lt;!channel&gt; &amp; &lt;http://evil|click&gt;"
    )
    assert escape("a\x00b\x1b[31m") == "ab[31m"


def test_opened_message_names_check_category_object_cluster_changes_and_origin() -> None:
    change = {"path": "spec.rules[0].backendRefs[1].weight", "op": "change", "desired": 10,
              "live": 50, "manager": "kubectl-edit", "operation": "Update",
              "time": "2026-11-20T10:31:02Z"}  # fmt: skip
    message = finding_message(delta(changes=[change], hidden_changes=2))
    text = message.plain()
    assert "PDA-RG-001 missing ReferenceGrant" in text and "(high)" in text
    assert "HTTPRoute shop/search" in text and "*Cluster*: prod" in text
    assert "`spec.rules[0].backendRefs[1].weight` change: Git `10` → live `50`" in text
    assert "by kubectl-edit (Update) at 2026-11-20T10:31:02Z" in text
    assert "gitops shop/r.yaml:7 at 0123456789ab" in text
    assert "2 expected change(s) hidden" in text and "RefNotPermitted" in text
    assert message.text.startswith("New finding (high): PDA-RG-001")
    assert all(b["type"] in {"section", "context"} for b in message.blocks)


def test_hostile_names_messages_and_values_are_escaped_everywhere() -> None:
    hostile = "<!channel> <http://evil|click> <@U1>"
    change = {"path": f"metadata.annotations[\"{hostile}\"]", "op": "add", "desired": None,
              "live": hostile, "manager": hostile, "operation": "Apply", "time": hostile}  # fmt: skip
    messages = [
        finding_message(delta(
            object={"group": "", "kind": "ConfigMap", "namespace": hostile, "name": hostile},
            message=hostile, changes=[change], team=hostile, other_team=hostile,
            origin={"repository": hostile, "commit": hostile, "path": hostile, "line": 1},
            cluster=hostile, reason=hostile,
        )),
        thread_reply(delta(DeltaType.CHANGED, message=hostile, changes=[change])),
        thread_reply(delta(DeltaType.RESOLVED, resolution=hostile)),
        digest_message(hostile, [delta(message=hostile, cluster=hostile)]),
    ]  # fmt: skip
    for message in messages:
        raw = json.dumps([message.text, message.blocks])
        assert "<" not in raw and ">" not in raw.replace("→", "")


def test_secret_values_are_never_rendered() -> None:
    change = {"path": "data.password", "op": "change", "desired": "czNjcjN0", "live": "b3RoZXI="}
    obj = {"group": "", "kind": "Secret", "namespace": "shop", "name": "db"}
    text = finding_message(delta(object=obj, changes=[change])).plain()
    assert "czNjcjN0" not in text and "b3RoZXI=" not in text and "(hidden)" in text


def test_long_change_lists_and_values_are_capped() -> None:
    changes = [{"path": f"spec.x[{i}]", "op": "change", "desired": "v" * 500, "live": i}
               for i in range(15)]  # fmt: skip
    message = finding_message(delta(changes=changes))
    text = message.plain()
    assert "…and 5 more field change(s)" in text and "v" * 200 not in text
    assert all(len(b["text"]["text"]) <= 3000 for b in message.blocks if b["type"] == "section")


def test_state_messages_and_thread_replies() -> None:
    resolved = finding_message(delta(DeltaType.RESOLVED, resolution="out of scope: team gone"))
    assert resolved.text.startswith("Resolved") and "out of scope: team gone" in resolved.plain()
    reply = thread_reply(delta(DeltaType.RESOLVED, resolution="out of scope: team gone"))
    assert "Resolved at 2026-11-20T10:31:02Z" in reply.text and "out of scope" in reply.text
    assert "Reopened" in thread_reply(delta(DeltaType.REOPENED)).text
    assert finding_message(delta(DeltaType.REOPENED)).text.startswith("Finding reopened")
    change = {"path": "spec.a", "op": "remove", "desired": 1, "live": None}
    changed = thread_reply(delta(DeltaType.CHANGED, changes=[change]))
    assert "Changed at" in changed.text and "`spec.a` remove" in changed.plain()


def test_file_level_findings_name_the_file() -> None:
    text = finding_message(delta(object=None, check="PDA-SRC-001", category="source")).plain()
    assert "shop/r.yaml:7" in text and "source problem" in text
    assert "Not declared in Git" in finding_message(delta(origin=None)).plain()


def test_digest_lists_findings_and_cuts_long_lists() -> None:
    deltas = [delta(fid=f"{i:064d}", object={"kind": "HTTPRoute", "namespace": "shop",
                                             "name": f"r{i}"}) for i in range(30)]  # fmt: skip
    message = digest_message("shop", deltas)
    assert "30 new findings" in message.text and "r0" in message.plain()
    assert "…and 5 more" in message.plain() and "r29" not in message.plain()


def test_routing_owner_default_other_team_and_one_message_per_channel() -> None:
    routes = Routing(team_channels={"shop": "#shop", "platform": None}, default_channel="#all")
    assert destinations(delta(), routes) == [("shop", "#shop")]
    assert destinations(delta(other_team="platform"), routes) == [
        ("shop", "#shop"),
        ("platform", "#all"),
    ]
    assert destinations(delta(team=None), routes) == [(None, "#all")]
    same = Routing(team_channels={"shop": "#x", "platform": "#x"})
    assert destinations(delta(other_team="platform"), same) == [("shop", "#x")]


def test_later_events_follow_the_threads_the_finding_was_announced_in() -> None:
    routes = Routing(team_channels={"shop": "#shop-new"}, default_channel="#all")
    earlier = (("shop", "#shop-old"), (None, "#all"))
    resolved = FindingDelta(
        finding_id="a" * 64,
        type=DeltaType.RESOLVED,
        run_id="r" * 32,
        at="2026-11-21T10:31:02Z",
        finding=finding(),
        announced_in=earlier,
    )
    assert destinations(resolved, routes) == list(earlier)
    opened = FindingDelta(
        finding_id="a" * 64,
        type=DeltaType.OPENED,
        run_id="r" * 32,
        at="2026-11-21T10:31:02Z",
        finding=finding(),
        announced_in=earlier,
    )
    assert destinations(opened, routes) == [("shop", "#shop-new")]  # a new message: the config
    assert destinations(delta(DeltaType.RESOLVED), routes) == [("shop", "#shop-new")]


def test_unroutable_findings_are_logged_not_dropped_silently(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert plan([delta(team="nobody")], Routing()) == []
    assert "no Slack channel for team nobody" in caplog.text


def test_digest_only_above_the_threshold_per_team_and_only_for_opened() -> None:
    routes = Routing(team_channels={"shop": "#shop", "pay": "#pay"}, digest_threshold=2)
    shop = [delta(fid=f"{i:064d}") for i in range(3)]
    pay = [delta(fid=f"p{i:063d}", team="pay") for i in range(2)]
    resolved = delta(DeltaType.RESOLVED, fid="z" * 64)
    messages = plan([*shop, *pay, resolved], routes)
    keys = {m.delta.finding_id: m.digest_key for m in messages}
    assert {keys[d.finding_id] for d in shop} == {f"{'r' * 32}:shop:#shop"}
    assert all(keys[d.finding_id] is None for d in pay) and keys["z" * 64] is None


def test_console_notifier_prints_posts_updates_and_replies() -> None:
    lines: list[str] = []
    console = ConsoleNotifier(lines.append)
    posted = console.post("#shop", finding_message(delta()))
    thread = SlackThread(channel=posted.channel, ts=posted.ts)
    console.update(thread, finding_message(delta(DeltaType.RESOLVED)))
    console.post("#shop", thread_reply(delta(DeltaType.RESOLVED)), thread=thread)
    out = "\n".join(lines)
    assert "[#shop] message 1:" in out and "[#shop] message 1 updated:" in out
    assert "[#shop] reply in thread of message 1:" in out and "Resolved at" in out


@pytest.mark.parametrize(
    ("reason", "permanent", "stops"),
    [
        ("channel_not_found", True, False),
        ("not_in_channel", True, False),
        ("invalid_auth", True, True),
        ("token_revoked", True, True),
        ("account_inactive", True, True),
        ("http_500", False, False),
        ("internal_error", False, False),
        ("timeout", False, True),
        ("connection_error", False, True),
        ("ratelimited", False, True),
    ],
)
def test_error_classes(reason: str, permanent: bool, stops: bool) -> None:
    error = DeliveryError(reason)
    assert (error.permanent, error.stops_drain) == (permanent, stops)


def test_category_words() -> None:
    assert category_label("unauthorized-attachment") == "unauthorized attachment"
    assert category_label("something-new") == "something-new"
