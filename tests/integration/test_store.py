"""The history store against real SQLite and PostgreSQL databases (see db_fixtures.py)."""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
from datetime import UTC, datetime, timedelta

import pytest

from auditor.errors import StoreError
from auditor.model import Category, Coverage, RunStatus, Severity, Skipped
from auditor.store import (
    EventType,
    FindingStatus,
    HistoryQuery,
    RunScope,
    Store,
    recorder,
)
from tests.integration.db_fixtures import GATEWAY, ROUTE, audit_run, change, coverage, finding

PROD = RunScope(clusters=frozenset({"prod"}))
ALL = HistoryQuery(status=None, limit=10_000)


def _t(day: int, hour: int = 10) -> str:
    return f"2026-11-{day:02d}T{hour:02d}:00:00"


def _utc(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def _types(store: Store, finding_id: str) -> list[str]:
    stored = store.get(finding_id)
    assert stored is not None
    return [str(e.type) for e in stored.events]


def test_lifecycle_opened_changed_resolved_reopened(store: Store) -> None:
    a, b = finding("checkout"), finding("cart")
    first = store.record_run(audit_run("r1", _t(1), [a, b]), scope=PROD)
    assert sorted(first.ids(EventType.OPENED)) == sorted([a.id, b.id])

    a2 = finding("checkout", changes=[change()], message="weight differs")
    second = store.record_run(audit_run("r2", _t(2), [a2]), scope=PROD)
    assert second.ids(EventType.CHANGED) == (a.id,)
    assert second.ids(EventType.RESOLVED) == (b.id,)

    third = store.record_run(audit_run("r3", _t(3), [a2, b]), scope=PROD)
    assert [(e.type, e.finding_id) for e in third.events] == [(EventType.REOPENED, b.id)]

    stored_b = store.get(b.id)
    assert stored_b is not None and stored_b.id == b.id
    assert stored_b.status is FindingStatus.OPEN and stored_b.resolved_at is None
    assert (stored_b.first_seen, stored_b.last_seen) == (_utc(1), _utc(3))
    assert [(str(e.type), e.run_id, e.at) for e in stored_b.events] == [
        ("opened", "r1", _utc(1)),
        ("resolved", "r2", _utc(2)),
        ("reopened", "r3", _utc(3)),
    ]
    stored_a = store.get(a.id)
    assert stored_a is not None
    assert [str(e.type) for e in stored_a.events] == ["opened", "changed"]
    assert stored_a.events[1].detail["changes"][0]["path"] == "spec.rules[0].backendRefs[0].weight"
    assert stored_a.finding["message"] == "weight differs"
    assert stored_a.as_dict()["status"] == "open"


def test_only_detail_counts_as_change(store: Store) -> None:
    base = finding("checkout", changes=[change()])
    store.record_run(audit_run("r1", _t(1), [base]), scope=PROD)
    # A new commit and a newer managedFields time are not a change ...
    later = finding("checkout", changes=[change(time="2026-11-21T08:00:00Z")], commit="beef")
    result = store.record_run(audit_run("r2", _t(2), [later]), scope=PROD)
    assert result.events == ()
    stored = store.get(base.id)
    assert stored is not None and stored.finding["origin"]["commit"] == "beef"
    # ... but a value, a path or the severity is.
    for run_id, day, variant in (
        ("r3", 3, finding("checkout", changes=[change(live=70)])),
        ("r4", 4, finding("checkout", changes=[change(path="spec.hostnames")])),
        (
            "r5",
            5,
            finding("checkout", changes=[change(path="spec.hostnames")], severity=Severity.HIGH),
        ),
    ):
        assert store.record_run(audit_run(run_id, _t(day), [variant]), scope=PROD).ids(
            EventType.CHANGED
        ) == (base.id,)
    assert _types(store, base.id) == ["opened", "changed", "changed", "changed"]


def test_a_run_recorded_late_does_not_undo_newer_runs(store: Store) -> None:
    """Two workers, or a slow run: runs reach the database out of order."""
    a, b = finding("checkout"), finding("cart")
    store.record_run(audit_run("r1", _t(1), [a, b]), scope=PROD)
    store.record_run(audit_run("r3", _t(3), [a]), scope=PROD)  # sees a, resolves b
    late = audit_run("r2", _t(2), [finding("cart", message="older detail")])  # saw b, not a
    result = store.record_run(late, scope=PROD)
    assert result.events == ()
    assert _types(store, a.id) == ["opened"]
    assert _types(store, b.id) == ["opened", "resolved"]
    stored_b = store.get(b.id)
    assert stored_b is not None and stored_b.status is FindingStatus.RESOLVED
    assert stored_b.last_seen == _utc(1) and stored_b.finding["message"] == b.message
    stored_a = store.get(a.id)
    assert stored_a is not None and stored_a.status is FindingStatus.OPEN
    assert stored_a.last_seen == _utc(3)


def test_duplicate_run_is_not_applied_twice(store: Store) -> None:
    run = audit_run("r1", _t(1), [finding("checkout")])
    assert not store.record_run(run, scope=PROD).duplicate
    again = store.record_run(run, scope=PROD)
    assert again.duplicate and again.events == ()
    assert len(store.runs()) == 1


INCOMPLETE: list[tuple[str, list[Coverage]]] = [
    ("no-coverage", []),
    ("git-failed", [coverage(git_ok=False)]),
    ("kind-not-observed", [coverage(kinds=[GATEWAY])]),
    ("other-team-only", [coverage(team="other")]),
    (
        "check-not-run",
        [
            Coverage(
                cluster="prod",
                team="payments",
                git_ok=True,
                live_kinds=frozenset({ROUTE}),
                checks=frozenset({"PDA-RT-001"}),
            )
        ],
    ),
]


def test_incomplete_observation_neither_resolves_nor_counts(store: Store) -> None:
    kept = finding("checkout")
    store.record_run(audit_run("r1", _t(1), [kept]), scope=PROD)
    for day, (case, cover) in enumerate(INCOMPLETE, start=2):
        partial = audit_run(case, _t(day), [], cover=cover, status=RunStatus.PARTIAL)
        assert store.record_run(partial, scope=PROD).events == (), case
        stored = store.get(kept.id)
        assert stored is not None
        assert (stored.status, stored.last_seen, len(stored.events)) == (
            FindingStatus.OPEN,
            _utc(1),
            1,
        ), case
        assert store.runs(limit=1)[0].counts.resolved == 0, case
    # The same run with complete coverage does resolve it (the test can fail).
    assert store.record_run(audit_run("full", _t(9), []), scope=PROD).ids(EventType.RESOLVED) == (
        kept.id,
    )


def test_source_and_objectless_findings_need_git_only(store: Store) -> None:
    source = finding("bad-file", check="PDA-SRC-001", category=Category.SOURCE, with_object=False)
    status = finding("gw", check="PDA-ST-001", category=Category.STATUS, kind=GATEWAY)
    store.record_run(audit_run("r1", _t(1), [source, status]), scope=PROD)
    git_down = audit_run("r2", _t(2), [], cover=[coverage(git_ok=False, kinds=[GATEWAY])])
    assert store.record_run(git_down, scope=PROD).events == ()
    live_blind = audit_run("r3", _t(3), [], cover=[coverage(kinds=[])])
    assert store.record_run(live_blind, scope=PROD).ids(EventType.RESOLVED) == (source.id,)
    assert _types(store, status.id) == ["opened"]


def test_run_resolves_only_inside_its_scope(store: Store) -> None:
    inside = finding("checkout")
    lab = finding("checkout", cluster="lab")
    other_team = finding("search", team="search")
    disabled = finding("cart", check="PDA-HN-005", category=Category.HOSTNAME)
    everyone = [inside, lab, other_team, disabled]
    full = [coverage(), coverage("lab"), coverage(team="search")]
    store.record_run(
        audit_run("r1", _t(1), everyone, cover=full),
        scope=RunScope(clusters=frozenset({"prod", "lab"})),
    )

    scope = RunScope(
        clusters=frozenset({"prod"}),
        teams=frozenset({"payments"}),
        disabled_checks=frozenset({"PDA-HN-005"}),
    )
    result = store.record_run(audit_run("r2", _t(2), [], cover=full), scope=scope)
    assert result.ids(EventType.RESOLVED) == (inside.id,)
    open_ids = {f.id for f in store.history(HistoryQuery())}
    assert open_ids == {lab.id, other_team.id, disabled.id}


def test_timestamps_are_utc(store: Store) -> None:
    run = audit_run("r1", _t(1), [finding("checkout")])
    shifted = dataclasses.replace(run, started_at="2026-11-01T12:00:00+02:00")
    store.record_run(shifted, scope=PROD)
    (stored,) = store.history(ALL)
    assert stored.first_seen == _utc(1) and stored.first_seen.tzinfo is not None
    assert stored.as_dict()["first_seen"] == "2026-11-01T10:00:00Z"


def test_exception_mid_transaction_keeps_previous_state(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = finding("checkout")
    store.record_run(audit_run("r1", _t(1), [a]), scope=PROD)
    before = [s.as_dict(with_events=True) for s in store.history(ALL)]

    def explode(*_args: object) -> None:
        raise RuntimeError("injected failure")

    monkeypatch.setattr(recorder, "_insert_events", explode)
    crashing = audit_run("r2", _t(2), [finding("cart"), finding("checkout", changes=[change()])])
    with pytest.raises(RuntimeError, match="injected"):
        store.record_run(crashing, scope=PROD)
    monkeypatch.undo()

    assert [s.as_dict(with_events=True) for s in store.history(ALL)] == before
    assert [r.id for r in store.runs()] == ["r1"]
    assert store.record_run(crashing, scope=PROD).count(EventType.OPENED) == 1  # not "duplicate"


def _killed_child(url: str) -> None:
    def die(*_args: object) -> None:
        os._exit(7)  # after the run row, the new findings and the updates were written

    recorder._apply_absent = die  # type: ignore[assignment]
    store = Store.open(url)
    store.record_run(
        audit_run("r2", _t(2), [finding("cart"), finding("checkout", message="x")]), scope=PROD
    )


def test_process_killed_mid_run_loses_nothing(store: Store, db_url: str) -> None:
    a = finding("checkout")
    store.record_run(audit_run("r1", _t(1), [a]), scope=PROD)
    before = [s.as_dict(with_events=True) for s in store.history(ALL)]
    child = multiprocessing.get_context("fork").Process(target=_killed_child, args=(db_url,))
    child.start()
    child.join(30)
    assert child.exitcode == 7
    assert [s.as_dict(with_events=True) for s in store.history(ALL)] == before
    assert [r.id for r in store.runs()] == ["r1"]
    # The database is usable at once (no lock left behind).
    assert store.record_run(audit_run("r3", _t(3), []), scope=PROD).ids(EventType.RESOLVED) == (
        a.id,
    )


def _concurrent_child(
    url: str, run_id: str, names: list[str], round_: int, barrier: object
) -> None:
    store = Store.open(url)
    message = f"round {round_}"
    run = audit_run(run_id, _t(1 + round_), [finding(n, message=message) for n in names], cover=[])
    barrier.wait()  # type: ignore[attr-defined]
    store.record_run(run, scope=PROD)
    store.close()


def test_two_processes_recording_overlapping_runs(store: Store, db_url: str) -> None:
    ctx = multiprocessing.get_context("fork")
    names = [f"route-{i:03d}" for i in range(90)]
    for round_ in range(2):
        barrier = ctx.Barrier(2)
        children = [
            ctx.Process(
                target=_concurrent_child, args=(db_url, f"a{round_}", names[:60], round_, barrier)
            ),
            ctx.Process(
                target=_concurrent_child, args=(db_url, f"b{round_}", names[30:], round_, barrier)
            ),
        ]
        for child in children:
            child.start()
        for child in children:
            child.join(60)
        assert [c.exitcode for c in children] == [0, 0]

    stored = store.history(ALL)
    assert len(stored) == 90
    for item in stored:
        full = store.get(item.id)
        assert full is not None
        # Exactly one "opened" and (after round 1's message change) exactly one "changed".
        assert [str(e.type) for e in full.events] == ["opened", "changed"], item.finding["object"]
    assert {r.id for r in store.runs()} == {"a0", "b0", "a1", "b1"}


def test_prune_logs_at_info_only_when_it_removed_something(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    store.record_run(audit_run("r1", _t(1), [finding("checkout")]), scope=PROD)
    with caplog.at_level(logging.DEBUG, logger="auditor.store"):
        store.prune(older_than=_utc(1))  # nothing that old: every serve tick does this
        store.prune(older_than=_utc(10))
    levels = [(r.levelno, r.getMessage()) for r in caplog.records if "pruned" in r.getMessage()]
    assert levels == [
        (logging.DEBUG, "history pruned: 0 run(s), 0 finding(s), 0 event(s)"),
        (logging.INFO, "history pruned: 1 run(s), 0 finding(s), 0 event(s)"),
    ]


def test_prune_keeps_open_findings_and_their_events(store: Store) -> None:
    still_open, gone, recent = finding("checkout"), finding("cart"), finding("search")
    store.record_run(audit_run("r1", _t(1), [still_open, gone, recent]), scope=PROD)
    store.record_run(audit_run("r2", _t(2), [still_open, recent]), scope=PROD)  # resolves gone
    store.record_run(audit_run("r3", _t(20), [still_open]), scope=PROD)  # resolves recent
    assert store.claim("prod", _utc(1)) and store.claim("prod", _utc(20))

    result = store.prune(older_than=_utc(10))
    assert (result.runs, result.findings, result.events, result.claims) == (2, 1, 2, 1)
    assert store.get(gone.id) is None
    assert _types(store, still_open.id) == ["opened"]  # opened on day 1, kept
    assert _types(store, recent.id) == ["opened", "resolved"]  # resolved after the cutoff
    assert [r.id for r in store.runs()] == ["r3"]


def test_claim_is_unique_per_tick(store: Store) -> None:
    assert store.claim("prod/every-5m", _utc(1)) is True
    assert store.claim("prod/every-5m", _utc(1)) is False
    assert store.claim("prod/every-5m", _utc(1) + timedelta(minutes=5)) is True
    assert store.claim("lab/every-5m", _utc(1)) is True


def _claiming_child(url: str, barrier: object, results: object) -> None:
    store = Store.open(url)
    barrier.wait()  # type: ignore[attr-defined]
    won = [i for i in range(20) if store.claim("prod", _utc(1) + timedelta(minutes=5 * i))]
    results.put(won)  # type: ignore[attr-defined]
    store.close()


def test_two_workers_never_claim_the_same_tick(store: Store, db_url: str) -> None:
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    children = [
        ctx.Process(target=_claiming_child, args=(db_url, barrier, results)) for _ in range(2)
    ]
    for child in children:
        child.start()
    won = [results.get(timeout=60) for _ in children]
    for child in children:
        child.join(30)
    assert sorted(won[0] + won[1]) == list(range(20))


def test_runs_listing(store: Store) -> None:
    skipped = [
        Skipped(
            subject="cluster prod: security.istio.io/AuthorizationPolicy", reason="403 Forbidden"
        )
    ]
    store.record_run(audit_run("r1", _t(1), [finding("a"), finding("b")], seconds=12), scope=PROD)
    partial = audit_run(
        "r2", _t(2), [finding("a")], status=RunStatus.PARTIAL, skipped=skipped, cover=[]
    )
    store.record_run(partial, scope=PROD)
    newest, oldest = store.runs(limit=5)
    assert (newest.id, newest.status, newest.skipped) == ("r2", "partial", tuple(skipped))
    assert newest.counts.as_dict() == {
        "findings": 1,
        "opened": 0,
        "changed": 0,
        "reopened": 0,
        "resolved": 0,
    }
    assert oldest.counts.opened == 2 and oldest.duration_seconds == 12
    assert oldest.as_dict()["scope"] == {"clusters": ["prod"], "teams": None, "disabled_checks": []}
    assert [r.id for r in store.runs(limit=1)] == ["r2"]


def test_stats_mean_and_p90_on_a_crafted_timeline(store: Store) -> None:
    findings = [finding(f"route-{i}") for i in range(1, 11)]
    store.record_run(audit_run("r0", _t(1, 0), findings), scope=PROD)
    for hour in range(1, 11):  # route-k resolves k hours after opening
        store.record_run(audit_run(f"r{hour}", _t(1, hour), findings[hour:]), scope=PROD)
    store.record_run(
        audit_run("r11", _t(1, 12), [finding("late", severity=Severity.HIGH)]), scope=PROD
    )

    (team,) = store.stats(since=_utc(1, 0), now=_utc(2, 0))
    assert team.team == "payments"
    assert (team.opened, team.resolved, team.reopened) == (11, 10, 0)
    assert team.mean_time_to_resolve == 5.5 * 3600
    assert team.p90_time_to_resolve == 9 * 3600
    assert dict(team.open_by_severity) == {"high": 1}
    assert team.oldest_open is not None and team.oldest_open.age_seconds == 12 * 3600
    # The window excludes what happened before it, and unknown teams are reported empty.
    narrow = store.stats(teams=["payments", "search"], since=_utc(1, 6), now=_utc(2, 0))
    assert [(t.team, t.resolved, t.opened) for t in narrow] == [
        ("payments", 5, 1),
        ("search", 0, 0),
    ]
    assert narrow[0].mean_time_to_resolve == 8 * 3600


def test_history_filters(store: Store) -> None:
    rows = [
        finding("a"),
        finding("b", cluster="lab"),
        finding("c", team="search", severity=Severity.HIGH),
        finding("d", check="PDA-RT-001", category=Category.UNAUTHORIZED_ATTACHMENT),
    ]
    cover = [coverage(), coverage("lab"), coverage(team="search")]
    store.record_run(
        audit_run("r1", _t(1), rows, cover=cover),
        scope=RunScope(clusters=frozenset({"prod", "lab"})),
    )
    store.record_run(
        audit_run("r2", _t(5), rows[1:], cover=cover),
        scope=RunScope(clusters=frozenset({"prod", "lab"})),
    )

    def ids(**kw: object) -> set[str]:
        return {f.id for f in store.history(HistoryQuery(**kw))}  # type: ignore[arg-type]

    a, b, c, d = (f.id for f in rows)
    assert ids() == {b, c, d}
    assert ids(status=None) == {a, b, c, d}
    assert ids(status=FindingStatus.RESOLVED) == {a}
    assert ids(teams=("search",)) == {c}
    assert ids(clusters=("lab",)) == {b}
    assert ids(check="PDA-RT-001") == {d}
    assert ids(category="unauthorized-attachment") == {d}
    assert ids(severity="high") == {c}
    assert ids(status=None, since=_utc(3)) == {b, c, d}
    assert len(store.history(HistoryQuery(limit=2))) == 2
    assert store.match_ids(a[:10]) == [a]


def test_unreachable_database_is_a_store_error_without_password() -> None:
    with pytest.raises(StoreError) as caught:
        Store.open("postgresql+psycopg://auditor:s3cr3t-pw@127.0.0.1:1/auditor")
    assert "s3cr3t-pw" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


def test_password_query_parameter_is_masked_in_errors() -> None:
    with pytest.raises(StoreError) as caught:
        Store.open("postgresql+psycopg://auditor@127.0.0.1:1/auditor?password=s3cr3t-pw")
    assert "s3cr3t-pw" not in str(caught.value)
    assert "password=***" in str(caught.value)


def test_sqlite_in_a_missing_directory_is_a_store_error(tmp_path: object) -> None:
    with pytest.raises(StoreError, match="unable to open"):
        Store.open(f"sqlite:///{tmp_path}/missing/dir/auditor.db")


def test_unsupported_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="unsupported database"):
        Store.open("mysql://root:pw@localhost/auditor")
