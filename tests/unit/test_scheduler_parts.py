"""The worker's pure parts: tick slots and triggers, crontab weekdays, Lease decisions and names,
source-error kinds for the metrics, and ``--listen`` parsing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from auditor.config.types import ScheduleSettings
from auditor.errors import ConfigError, UsageError
from auditor.model import AuditRun, RunStatus, Skipped
from auditor.scheduler.cadence import EPOCH, Cadence, crontab_weekdays
from auditor.scheduler.http import parse_listen
from auditor.scheduler.leases import (
    LeaseState,
    holder_identity,
    lease_name,
    lease_namespace,
    micro_time,
    parse_micro_time,
)
from auditor.scheduler.metrics import Metrics, source_error_kind
from auditor.scheduler.worker import Outcome, Tick, combined_exit

NOW = datetime(2026, 12, 3, 7, 13, 20, 500, tzinfo=UTC)  # a Thursday


def test_interval_slots_are_epoch_aligned_and_shared_by_every_tick_inside_them() -> None:
    cadence = Cadence.of(ScheduleSettings(interval_seconds=300))
    assert cadence.slot(NOW) == datetime(2026, 12, 3, 7, 10, tzinfo=UTC)
    assert cadence.slot(datetime(2026, 12, 3, 7, 14, 59, tzinfo=UTC)) == cadence.slot(NOW)
    assert cadence.slot(datetime(2026, 12, 3, 7, 15, tzinfo=UTC)) != cadence.slot(NOW)
    assert cadence.jitter_seconds(NOW) == 30 and cadence.grace_seconds(NOW) == 150
    trigger = cadence.trigger(NOW)
    fire = trigger.get_next_fire_time(None, NOW)
    assert cadence.slot(fire) == datetime(2026, 12, 3, 7, 15, tzinfo=UTC), "jitter stays in slot"
    assert cadence.slot(EPOCH) == EPOCH


def test_short_intervals_get_no_jitter_and_a_one_second_grace() -> None:
    cadence = Cadence.of(ScheduleSettings(interval_seconds=1))
    assert cadence.jitter_seconds(NOW) == 0 and cadence.grace_seconds(NOW) == 1
    assert cadence.slot(NOW) == NOW.replace(microsecond=0)


def test_cron_slot_period_and_trigger_use_crontab_weekdays() -> None:
    cadence = Cadence.of(ScheduleSettings(interval_seconds=None, cron="*/5 * * * 1-5"))
    assert cadence.period(NOW) == timedelta(minutes=5)
    assert cadence.slot(NOW) == datetime(2026, 12, 3, 7, 10, tzinfo=UTC)
    sunday_only = Cadence.of(ScheduleSettings(interval_seconds=None, cron="0 9 * * 0"))
    fire = sunday_only.trigger(NOW).get_next_fire_time(None, NOW)
    assert fire.date().isoformat() == "2026-12-06" and fire.strftime("%A") == "Sunday"
    assert sunday_only.period(NOW) == timedelta(days=7)
    assert sunday_only.slot(NOW) == datetime(2026, 11, 29, 9, tzinfo=UTC)


def test_rare_cron_slots_look_back_one_period() -> None:
    cadence = Cadence.of(ScheduleSettings(interval_seconds=None, cron="0 0 29 2 *"))
    assert cadence.slot(NOW) == datetime(2024, 2, 29, tzinfo=UTC)


def test_bad_cron_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"schedule\.cron '61 \* \* \* \*'"):
        Cadence.of(ScheduleSettings(interval_seconds=None, cron="61 * * * *"))


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("*", "*"),
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0-6", "sun,mon,tue,wed,thu,fri,sat"),
        ("*/3", "sun,wed,sat"),
        ("1-5/2", "mon,wed,fri"),
        ("6,0", "sun,sat"),
        ("mon-fri", "mon-fri"),
    ],
)
def test_crontab_weekdays(field: str, names: str) -> None:
    assert crontab_weekdays(field) == names


@pytest.mark.parametrize("field", ["8", "5-2", "x/2", "1-"])
def test_crontab_weekdays_rejects(field: str) -> None:
    with pytest.raises(ValueError, match="day of week"):
        crontab_weekdays(field)


def test_lease_names_are_valid_object_names() -> None:
    assert lease_name("prod-eu") == "auditor-prod-eu"
    assert lease_name("Prod_EU/1") == "auditor-prod-eu-1"
    assert lease_name("__") == "auditor-cluster"
    assert len(lease_name("x" * 400)) == 253


def test_lease_state_decides_who_may_take_it() -> None:
    body = {
        "metadata": {"resourceVersion": "7"},
        "spec": {
            "holderIdentity": "other",
            "renewTime": micro_time(NOW),
            "leaseDurationSeconds": 10,
            "leaseTransitions": 2,
        },
    }
    state = LeaseState.of(body)
    assert (state.holder, state.duration, state.transitions, state.resource_version) == (
        "other",
        10,
        2,
        "7",
    )
    assert not state.free_for("me", NOW + timedelta(seconds=9))
    assert state.free_for("me", NOW + timedelta(seconds=10)), "expired"
    assert state.free_for("other", NOW), "its own holder"
    assert LeaseState.of({"spec": {}}).free_for("me", NOW), "nobody holds it"
    assert parse_micro_time(micro_time(NOW)) == NOW
    assert parse_micro_time("garbage") is None and parse_micro_time(None) is None
    assert parse_micro_time("2026-12-03T07:00:00") == datetime(2026, 12, 3, 7, tzinfo=UTC)


def test_lease_namespace_and_holder_identity(tmp_path: object) -> None:
    assert lease_namespace({}, "explicit") == "explicit"
    assert lease_namespace({"POD_NAMESPACE": "auditor"}) == "auditor"
    assert lease_namespace({}) in {"default"} or lease_namespace({})
    first, second = holder_identity({"POD_NAME": "auditor-0"}), holder_identity({})
    assert first.startswith("auditor-0_") and first != holder_identity({"POD_NAME": "auditor-0"})
    assert second and "_" in second


@pytest.mark.parametrize(
    ("subject", "kind"),
    [
        (
            "cluster prod: gateway.networking.k8s.io/HTTPRoute",
            "gateway.networking.k8s.io/HTTPRoute",
        ),
        ("cluster prod: /Secret", "/Secret"),
        ("cluster prod: snapshot /x/live.yaml", "snapshot"),
        ("cluster prod", "cluster"),
        ("team shop: repository r: a.yaml", "git"),
        ("input", "other"),
    ],
)
def test_source_error_kind(subject: str, kind: str) -> None:
    assert source_error_kind(subject) == kind


def _run(status: RunStatus, skipped: tuple[Skipped, ...] = ()) -> AuditRun:
    return AuditRun(
        id="r1",
        started_at="2026-12-03T07:00:00+00:00",
        finished_at="2026-12-03T07:00:02+00:00",
        status=status,
        revisions={},
        skipped=skipped,
        findings=(),
        coverage=(),
    )


def test_metrics_render_every_family() -> None:
    metrics = Metrics()
    metrics.declare(["prod"])
    notes = (
        Skipped(subject="cluster prod: snapshot live.yaml", reason="unreadable"),
        Skipped(subject="cluster prod: x/Y schema", reason="builtin-schema", partial=False),
    )
    metrics.run_finished("prod", _run(RunStatus.PARTIAL, notes), 1.5)
    metrics.run_finished("prod", _run(RunStatus.COMPLETE), 0.5)
    metrics.run_failed("prod", 0.1)
    metrics.set_open([("shop", "drift", "high", 3), (None, "status", "low", 1)])
    metrics.skipped("prod", "claimed")
    metrics.lease("prod", True)

    @dataclass(frozen=True)
    class Report:
        sent: dict[str, int]
        failed: dict[tuple[str, str], int]
        depth: int

    metrics.delivered(Report(sent={"shop": 2}, failed={("shop", "channel_not_found"): 1}, depth=4))
    text, content_type = metrics.render()
    assert content_type.startswith("text/plain")
    lines = set(text.decode().splitlines())
    for line in [
        'auditor_runs_total{cluster="prod",status="partial"} 1.0',
        'auditor_runs_total{cluster="prod",status="complete"} 1.0',
        'auditor_runs_total{cluster="prod",status="failed"} 1.0',
        'auditor_run_duration_seconds_count{cluster="prod"} 3.0',
        'auditor_findings_open{category="drift",severity="high",team="shop"} 3.0',
        'auditor_findings_open{category="status",severity="low",team="none"} 1.0',
        'auditor_notifications_sent_total{team="shop"} 2.0',
        'auditor_notifications_failed_total{reason="channel_not_found",team="shop"} 1.0',
        "auditor_outbox_depth 4.0",
        'auditor_source_errors_total{cluster="prod",kind="snapshot"} 1.0',
        'auditor_last_successful_run_timestamp_seconds{cluster="prod"} 1.796281202e+09',
        'auditor_ticks_skipped_total{cluster="prod",reason="claimed"} 1.0',
        'auditor_lease_held{cluster="prod"} 1.0',
    ]:
        assert line in lines, line
    assert not any(
        line.startswith("auditor_source_errors_total") and "x/Y" in line for line in lines
    )


def test_once_exit_code_combines_ticks() -> None:
    slot = NOW
    ran = Tick(cluster="a", slot=slot, outcome=Outcome.RAN, run=_run(RunStatus.COMPLETE))
    failed = Tick(cluster="b", slot=slot, outcome=Outcome.FAILED, error="boom")
    assert combined_exit([ran], lambda run: 1) == 1
    assert combined_exit([ran, failed], lambda run: 3) == 2
    assert combined_exit([], lambda run: 1) == 0


@pytest.mark.parametrize(
    ("value", "parsed"),
    [("0.0.0.0:8080", ("0.0.0.0", 8080)), (":9", ("0.0.0.0", 9)), ("[::1]:80", ("::1", 80))],
)
def test_parse_listen(value: str, parsed: tuple[str, int]) -> None:
    assert parse_listen(value) == parsed


@pytest.mark.parametrize("value", ["8080", "host:", "host:99999", "host:x"])
def test_parse_listen_rejects(value: str) -> None:
    with pytest.raises(UsageError, match="expected HOST:PORT"):
        parse_listen(value)


def test_listen_on_a_busy_port_is_a_usage_error() -> None:
    import socket

    from auditor.scheduler.http import HealthServer

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(UsageError, match=f"--listen 127.0.0.1:{port}: cannot listen"):
            HealthServer(f"127.0.0.1:{port}", readiness=list, exposition=Metrics().render)


def test_missed_ticks_count_scheduled_times_not_wall_time() -> None:
    every_minute = Cadence.of(ScheduleSettings(interval_seconds=60))
    assert every_minute.missed(NOW, NOW + timedelta(seconds=50), limit=3) in {0, 1}
    assert every_minute.missed(NOW, NOW + timedelta(minutes=2, seconds=30), limit=3) == 2
    assert every_minute.missed(NOW, NOW + timedelta(hours=1), limit=3) == 3
    weekdays = Cadence.of(ScheduleSettings(interval_seconds=None, cron="0 9 * * 1-5"))
    friday = datetime(2026, 12, 4, 9, 0, 5, tzinfo=UTC)
    assert weekdays.missed(friday, datetime(2026, 12, 7, 8, 0, tzinfo=UTC), limit=3) == 0
    assert weekdays.missed(friday, datetime(2026, 12, 9, 9, 0, tzinfo=UTC), limit=3) == 3
