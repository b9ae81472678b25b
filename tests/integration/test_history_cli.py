"""The history commands through the real CLI entry point (``auditor.cli.main``) and databases."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from auditor.cli import main
from auditor.model import Category, Finding, RunStatus, Severity, Skipped
from auditor.store import RunScope, Store
from tests.integration.db_fixtures import audit_run, change, coverage, finding

SCOPE = RunScope(clusters=frozenset({"prod", "lab"}))
COVER = [coverage(), coverage("lab"), coverage(team="search")]


@dataclass(frozen=True, slots=True, kw_only=True)
class Seeded:
    url: str
    drift: Finding  # open, changed once
    gone: Finding  # resolved
    lab: Finding  # open, other cluster
    search: Finding  # open, other team, high


def _at(delta: timedelta) -> str:
    return (datetime.now(UTC) - delta).replace(microsecond=0, tzinfo=None).isoformat()


@pytest.fixture
def seeded(db_url: str) -> Seeded:
    drift, gone = (
        finding("checkout"),
        finding("cart", check="PDA-RT-001", category=Category.UNAUTHORIZED_ATTACHMENT),
    )
    lab = finding("checkout", cluster="lab")
    search = finding("search", team="search", severity=Severity.HIGH)
    skipped = [
        Skipped(
            subject="cluster lab: security.istio.io/AuthorizationPolicy", reason="403 Forbidden"
        )
    ]
    with Store.open(db_url) as store:
        store.record_run(
            audit_run("run-1", _at(timedelta(days=40)), [drift, gone], cover=COVER), scope=SCOPE
        )
        store.record_run(
            audit_run("run-2", _at(timedelta(days=10)), [drift, gone, lab], cover=COVER),
            scope=SCOPE,
        )
        changed = finding("checkout", changes=[change()], message="weight differs")
        last = audit_run(
            "run-3",
            _at(timedelta(hours=1)),
            [changed, lab, search],
            cover=COVER,
            status=RunStatus.PARTIAL,
            skipped=skipped,
        )
        store.record_run(last, scope=SCOPE)
    return Seeded(url=db_url, drift=drift, gone=gone, lab=lab, search=search)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code, out, err = _run(capsys, *argv, "--format", "json")
    assert code == 0, err
    result: dict[str, object] = json.loads(out)
    return result


def _ids(capsys: pytest.CaptureFixture[str], seeded: Seeded, *argv: str) -> set[str]:
    data = _json(capsys, "history", "--db", seeded.url, *argv)
    return {f["id"] for f in data["findings"]}  # type: ignore[attr-defined, index]


def test_history_json_shape_and_default_status(
    seeded: Seeded, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _json(capsys, "history", "--db", seeded.url)
    findings = data["findings"]
    assert isinstance(findings, list)
    assert {f["id"] for f in findings} == {seeded.drift.id, seeded.lab.id, seeded.search.id}
    first = findings[0]
    assert list(first)[:4] == ["id", "check", "category", "severity"]
    assert list(first)[-4:] == ["status", "first_seen", "last_seen", "resolved_at"]
    drift = next(f for f in findings if f["id"] == seeded.drift.id)
    assert drift["status"] == "open" and drift["resolved_at"] is None
    assert drift["message"] == "weight differs" and drift["changes"][0]["manager"] == "kubectl-edit"
    assert drift["first_seen"].endswith("Z") and drift["first_seen"] < drift["last_seen"]


FILTERS: list[tuple[list[str], set[str]]] = [
    ([], {"drift", "lab", "search"}),
    (["--status", "resolved"], {"gone"}),
    (["--status", "all"], {"drift", "gone", "lab", "search"}),
    (["--team", "search"], {"search"}),
    (["--team", "search", "--team", "payments"], {"drift", "lab", "search"}),
    (["--cluster", "lab"], {"lab"}),
    (["--check", "PDA-RT-001", "--status", "all"], {"gone"}),
    (["--category", "unauthorized-attachment", "--status", "all"], {"gone"}),
    (["--severity", "high"], {"search"}),
    (["--since", "2d"], {"drift", "lab", "search"}),
    (["--status", "all", "--since", "5d"], {"drift", "lab", "search"}),
    (["--status", "all", "--since", "24h"], {"drift", "lab", "search"}),
    (["--status", "resolved", "--since", "30d"], {"gone"}),  # last seen 10 days ago
    (["--status", "resolved", "--since", "1w"], set()),
]


def test_history_filters(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    names = {
        seeded.drift.id: "drift",
        seeded.gone.id: "gone",
        seeded.lab.id: "lab",
        seeded.search.id: "search",
    }
    for argv, expected in FILTERS:
        assert {names[i] for i in _ids(capsys, seeded, *argv)} == expected, argv


def test_history_since_date_and_limit(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    old = (datetime.now(UTC) - timedelta(days=20)).date().isoformat()
    assert len(_ids(capsys, seeded, "--status", "all", "--since", old)) == 4
    assert len(_ids(capsys, seeded, "--limit", "1")) == 1


def test_history_csv(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "history", "--db", seeded.url, "--status", "all", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4
    assert set(rows[0]) >= {
        "id",
        "status",
        "severity",
        "check",
        "team",
        "cluster",
        "object",
        "first_seen",
    }
    gone = next(r for r in rows if r["id"] == seeded.gone.id)
    assert (gone["status"], gone["object"], gone["check"]) == (
        "resolved",
        "HTTPRoute payments/cart",
        "PDA-RT-001",
    )
    assert gone["resolved_at"].endswith("Z")


def test_history_table(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "history", "--db", seeded.url)
    assert code == 0
    assert seeded.search.id[:12] in out and "search" in out and "3 finding(s)" in out
    assert seeded.gone.id[:12] not in out


def test_show_json_with_timeline(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, "show", "--db", seeded.url, seeded.drift.id[:8])
    assert data["id"] == seeded.drift.id and data["status"] == "open"
    events = data["events"]
    assert isinstance(events, list)
    assert [(e["type"], e["run_id"]) for e in events] == [("opened", "run-1"), ("changed", "run-3")]
    assert events[0]["at"] < events[1]["at"]
    assert events[1]["changes"][0]["path"] == "spec.rules[0].backendRefs[0].weight"
    assert events[0]["changes"] == [] and events[1]["message"] == "weight differs"


def test_show_resolved_finding_table(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "show", "--db", seeded.url, seeded.gone.id)
    assert code == 0
    assert "timeline" in out and "resolved" in out and "run-3" in out and "PDA-RT-001" in out


def test_show_unknown_or_bad_id_is_exit_2(
    seeded: Seeded, capsys: pytest.CaptureFixture[str]
) -> None:
    for finding_id, message in [
        ("0" * 64, "no finding with id"),
        ("00000000", "no finding with id"),
        ("abc", "8 to 64 hex"),
        ("not-hex-at-all", "8 to 64 hex"),
    ]:
        code, out, err = _run(capsys, "show", "--db", seeded.url, finding_id)
        assert code == 2 and message in err and out == "", finding_id


def test_stats_json(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    findings = [finding(f"route-{i}") for i in range(1, 11)]
    start = datetime.now(UTC).replace(microsecond=0, tzinfo=None) - timedelta(days=2)
    with Store.open(db_url) as store:
        store.record_run(audit_run("r0", start.isoformat(), findings), scope=SCOPE)
        for hour in range(1, 11):  # route-k is resolved k hours after it opened
            at = (start + timedelta(hours=hour)).isoformat()
            store.record_run(audit_run(f"r{hour}", at, findings[hour:]), scope=SCOPE)
        late = finding("late", severity=Severity.CRITICAL)
        store.record_run(
            audit_run("r11", (start + timedelta(hours=12)).isoformat(), [late]), scope=SCOPE
        )
    data = _json(capsys, "stats", "--db", db_url, "--since", "7d")
    (team,) = data["teams"]  # type: ignore[misc]
    assert team["team"] == "payments"
    assert (team["opened"], team["resolved"], team["open"]) == (11, 10, 1)
    assert (
        team["mean_time_to_resolve_seconds"] == 5.5 * 3600
        and team["mean_time_to_resolve"] == "5h 30m"
    )
    assert (
        team["p90_time_to_resolve_seconds"] == 9 * 3600 and team["p90_time_to_resolve"] == "9h 0m"
    )
    assert team["open_by_severity"] == {"critical": 1} and team["open_by_category"] == {"drift": 1}
    assert team["oldest_open"]["id"] == late.id and team["oldest_open"]["age"].startswith("1d ")
    code, out, _ = _run(capsys, "stats", "--db", db_url, "--team", "payments")
    assert code == 0 and "payments" in out and "5h 30m" in out


def test_runs_listing(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, "runs", "--db", seeded.url)
    runs = data["runs"]
    assert isinstance(runs, list)
    assert [r["id"] for r in runs] == ["run-3", "run-2", "run-1"]
    newest = runs[0]
    assert newest["status"] == "partial" and newest["duration_seconds"] == 5
    assert newest["counts"] == {
        "findings": 3,
        "opened": 1,
        "changed": 1,
        "reopened": 0,
        "resolved": 1,
    }
    assert newest["skipped"] == [
        {
            "subject": "cluster lab: security.istio.io/AuthorizationPolicy",
            "reason": "403 Forbidden",
            "partial": True,
        }
    ]
    code, out, _ = _run(capsys, "runs", "--db", seeded.url, "--limit", "1")
    assert code == 0 and "run-3" in out and "run-1" not in out and "403 Forbidden" in out


def test_db_upgrade_then_history(empty_db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "db", "upgrade", "--db", empty_db_url)
    assert code == 0 and "revision 0002" in out
    assert _json(capsys, "history", "--db", empty_db_url) == {"findings": []}


def test_database_errors_are_exit_2_without_password(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(
        capsys, "history", "--db", "postgresql+psycopg://u:pa55word@127.0.0.1:1/x"
    )
    assert code == 2 and "pa55word" not in err + out and "127.0.0.1" in err


def test_bad_since_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    code, _, err = _run(
        capsys, "history", "--db", f"sqlite:///{tmp_path}/a.db", "--since", "yesterday"
    )
    assert code == 2 and "--since" in err


def test_every_history_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["history"], ["show"], ["stats"], ["runs"], ["db", "upgrade"]):
        code, out, _ = _run(capsys, *argv, "--help")
        assert code == 0 and "--db" in out and len(out.splitlines()) > 5
