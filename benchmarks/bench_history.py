"""Benchmark: ``auditor history --team X --since 30d`` over a large PostgreSQL history.

Creates a fresh database on the server (``--url``, env ``AUDITOR_BENCH_POSTGRES_URL`` or
``AUDITOR_TEST_POSTGRES_URL``, default the local server), migrates it, bulk-loads findings and
N finding events (``--events``, env ``BENCH_EVENTS``, default 1,000,000) spread over 5 teams,
3 clusters and 90 days with COPY, then times ``Store.history`` for one team over the last
30 days (status open and all) and prints the figures. The database is dropped afterwards unless
``--keep``.

    .venv/bin/python benchmarks/bench_history.py --events 100000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from auditor.store import FindingStatus, HistoryQuery, Store, migrate

TEAMS = [f"team-{i}" for i in range(5)]
CLUSTERS = ["prod", "staging", "lab"]
CHECKS = [
    ("PDA-DR-003", "drift"),
    ("PDA-RT-001", "unauthorized-attachment"),
    ("PDA-RG-001", "missing-referencegrant"),
]
SEVERITIES = ["critical", "high", "medium", "low", "info"]
PATTERN = (
    "opened",
    "changed",
    "changed",
    "resolved",
    "reopened",
    "changed",
    "changed",
    "resolved",
    "reopened",
)
EVENTS_PER_FINDING = len(PATTERN) + 1
DAYS = 90


def _server_url() -> str:
    default = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    return (
        os.environ.get("AUDITOR_BENCH_POSTGRES_URL")
        or os.environ.get("AUDITOR_TEST_POSTGRES_URL")
        or default
    )


def _finding(
    i: int, rng: random.Random, now: datetime
) -> tuple[dict[str, Any], list[tuple[str, datetime]]]:
    """One finding row and its events (type, at), ending open or resolved."""
    check, category = CHECKS[i % len(CHECKS)]
    team, cluster = rng.choice(TEAMS), rng.choice(CLUSTERS)
    first = now - timedelta(days=DAYS) + timedelta(seconds=rng.randrange(DAYS * 86400 - 3600))
    step = (now - first) / EVENTS_PER_FINDING
    kinds = [*PATTERN, "changed" if i % 2 else "resolved"]  # half end open, half resolved
    events = [(kind, first + step * n) for n, kind in enumerate(kinds)]
    resolved = events[-1][0] == "resolved"
    obj = {
        "group": "gateway.networking.k8s.io",
        "kind": "HTTPRoute",
        "namespace": team,
        "name": f"route-{i}",
    }
    detail = {
        "id": f"{i:064x}", "check": check, "category": category, "severity": SEVERITIES[i % 5],
        "view": "live", "team": team, "other_team": None, "cluster": cluster, "object": obj,
        "ref": None, "listener": None, "reason": None, "message": f"route-{i} drifted",
        "changes": [{"path": "spec.rules[0].backendRefs[0].weight", "op": "change", "desired": 10,
                     "live": 50, "manager": "kubectl-edit", "operation": "Update", "time": None}],
        "hidden_changes": 0, "origin": None,
    }  # fmt: skip
    row = {
        "id": detail["id"], "check_id": check, "category": category, "severity": detail["severity"],
        "view": "live", "team": team, "cluster": cluster, "object_group": obj["group"],
        "object_kind": obj["kind"], "status": "resolved" if resolved else "open",
        "first_seen": first, "last_seen": events[-1][1],
        "resolved_at": events[-1][1] if resolved else None, "last_run_id": "bench",
        "detail": json.dumps(detail),
    }  # fmt: skip
    return row, events


def _load(engine: Engine, events_total: int, now: datetime) -> tuple[int, int]:
    findings = max(1, events_total // EVENTS_PER_FINDING)
    columns = list(_finding(0, random.Random(0), now)[0])
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert conn is not None
        written = 0
        with conn.cursor() as cur:
            with cur.copy(f"COPY findings ({', '.join(columns)}) FROM STDIN") as fcopy:
                for row, _events in _rows(findings, now):
                    fcopy.write_row([row[c] for c in columns])
            with cur.copy(
                "COPY finding_events (finding_id, run_id, type, at, detail) FROM STDIN"
            ) as ecopy:
                for row, events in _rows(findings, now):
                    for kind, at in events:
                        if written >= events_total:
                            break
                        ecopy.write_row(
                            [
                                row["id"],
                                f"run-{int(at.timestamp()) // 300}",
                                kind,
                                at,
                                '{"severity": "medium"}',
                            ]
                        )
                        written += 1
            cur.execute("ANALYZE findings")
            cur.execute("ANALYZE finding_events")
        conn.commit()
    finally:
        raw.close()
    return findings, written


def _rows(
    findings: int, now: datetime
) -> Iterator[tuple[dict[str, Any], list[tuple[str, datetime]]]]:
    rng = random.Random(42)
    for i in range(findings):
        yield _finding(i, rng, now)


def _time(store: Store, query: HistoryQuery, repeat: int) -> tuple[float, float, int]:
    timings, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = len(store.history(query))
        timings.append(time.perf_counter() - start)
    return min(timings), statistics.median(timings), count


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--events", type=int, default=int(os.environ.get("BENCH_EVENTS", "1000000"))
    )
    parser.add_argument(
        "--url", default=_server_url(), help="PostgreSQL server (any database on it)"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    name = f"auditor_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(args.url, isolation_level="AUTOCOMMIT")
    url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        migrate.upgrade(url)
        now = datetime.now(UTC).replace(microsecond=0)
        engine = sa.create_engine(url)
        start = time.perf_counter()
        findings, events = _load(engine, args.events, now)
        engine.dispose()
        print(
            f"loaded {findings:,} findings and {events:,} events in {time.perf_counter() - start:.1f} s"
        )
        with Store.open(url) as store:
            since = now - timedelta(days=30)
            for status in (FindingStatus.OPEN, None):
                query = HistoryQuery(teams=("team-1",), since=since, status=status)
                best, median, count = _time(store, query, args.repeat)
                label = f"history --team team-1 --since 30d --status {status or 'all'}"
                print(
                    f"{label}: {count} rows, best {best * 1000:.1f} ms, median {median * 1000:.1f} ms"
                )
            start = time.perf_counter()
            (team,) = store.stats(teams=["team-1"], since=since, now=now)
            elapsed = (time.perf_counter() - start) * 1000
            print(f"stats --team team-1 --since 30d: {elapsed:.1f} ms ({team.resolved} resolved)")
    finally:
        if args.keep:
            print(f"kept database {name}")
        else:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
