"""deploy/grafana: the dashboard loads, every metric it queries is one `auditor serve` exposes,
and it shows what issue 10 asks for (runs and durations per cluster, open findings by team and
severity, notification failures, outbox depth)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from auditor.scheduler.metrics import Metrics
from tests.deploy.paths import ROOT

DASHBOARD = ROOT / "deploy" / "grafana" / "policy-drift-auditor.json"
METRIC = re.compile(r"\bauditor_[a-z_]+\b")
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
}


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))


def queries(dash: dict[str, Any]) -> list[str]:
    """Every PromQL text of the dashboard: panel targets and template variable queries."""
    out = [t["expr"] for p in panels(dash["panels"]) for t in p.get("targets", [])]
    out.extend(v["definition"] for v in dash["templating"]["list"] if v["type"] == "query")
    return out


def sample_names(exposition: str) -> set[str]:
    """The series names a Prometheus text exposition offers, from its families' types (a family
    with no sample yet, e.g. a labelled counter before its first increment, still counts)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


def worker_exposition() -> str:
    """What the worker's /metrics renders (its own registry, every family declared), before any
    tick; tests/deploy/test_run_rendered.py checks the same against a running `auditor serve`."""
    metrics = Metrics()
    metrics.declare(["prod"])
    data, _ = metrics.render()
    return data.decode()


def test_dashboard_loads_with_unique_panel_ids_and_a_datasource_variable() -> None:
    dash = dashboard()
    ids = [p["id"] for p in panels(dash["panels"])]
    assert len(ids) == len(set(ids))
    assert dash["uid"] and dash["title"]
    names = {v["name"] for v in dash["templating"]["list"]}
    assert {"datasource", "cluster", "team"} <= names
    for panel in panels(dash["panels"]):
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_every_queried_metric_is_exposed_by_the_worker() -> None:
    exposed = sample_names(worker_exposition())
    queried = {m for q in queries(dashboard()) for m in METRIC.findall(q)}
    assert queried, "the dashboard queries no auditor metric"
    assert not queried - exposed, f"not exposed by auditor serve: {sorted(queried - exposed)}"


def test_the_check_fails_on_an_unknown_metric() -> None:
    exposed = sample_names(worker_exposition())
    assert "auditor_runs_total" in exposed and "auditor_runs" not in exposed
    assert "auditor_run_duration_seconds_bucket" in exposed
    assert "auditor_outbox_depth_total" not in exposed


def test_dashboard_shows_what_the_issue_asks_for() -> None:
    text = "\n".join(queries(dashboard()))
    assert re.search(r"by \(cluster, status\) \(increase\(auditor_runs_total", text)
    assert re.search(r"by \(cluster, le\) \(rate\(auditor_run_duration_seconds_bucket", text)
    assert re.search(r"by \(team, severity\) \(auditor_findings_open", text)
    assert "auditor_notifications_failed_total" in text
    assert "auditor_outbox_depth" in text
