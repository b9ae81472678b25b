"""The pure render layer: every format from §6 dicts, with the same words for the same finding."""

from __future__ import annotations

import csv
import io
import json

from auditor.deltas import DeltaType, FindingDelta
from auditor.keys import ResourceKey
from auditor.model import Category, Change, ChangeOp, Finding, Origin, Severity, View
from auditor.render import findings_json, labels
from auditor.render.csvfile import CSV_COLUMNS, findings_csv
from auditor.render.sarif import render_sarif
from auditor.render.slack import finding_message
from auditor.render.table import findings_table


def drift(
    name: str = "checkout", *, kind: str = "HTTPRoute", group: str = "gateway.networking.k8s.io"
) -> Finding:
    return Finding(
        check="PDA-DR-003",
        category=Category.DRIFT,
        severity=Severity.HIGH,
        view=View.LIVE,
        cluster="prod",
        object=ResourceKey(group, kind, "payments", name),
        message=f"{kind} payments/{name} differs from Git",
        team="payments",
        changes=tuple(
            Change(path=f"spec.x[{i}]", op=ChangeOp.CHANGE, desired=i, live=i + 1, manager="kubectl-edit",
                   operation="Update", time="2026-11-20T10:31:02Z")
            for i in range(12)
        ),
        hidden_changes=1,
        origin=Origin(repository="gitops", commit="0123456789abcdef", path="routes.yaml", line=3),
    )  # fmt: skip


def test_table_rows_name_category_object_and_changes() -> None:
    model = findings_table([drift().as_dict()])
    [row] = model.rows
    assert model.title == "1 finding(s)" and model.columns[0] == "severity"
    assert row.severity == "high"
    check, team, cluster, obj, detail = row.cells
    assert check == ("PDA-DR-003", "drift", "live") and team == ("payments",)
    assert obj == ("HTTPRoute payments/checkout",) and cluster == ("prod",)
    assert detail[1] == "  change spec.x[0]: 0 -> 1 by kubectl-edit (Update)"
    assert detail[-2:] == ("  … 2 more", "  (1 expected change(s) hidden)")


def test_secret_values_never_in_the_table() -> None:
    secret = drift("db", kind="Secret", group="").as_dict()
    detail = findings_table([secret]).rows[0].cells[-1]
    assert all("-> '***'" in line for line in detail[1:11])


def test_json_sarif_csv_and_slack_agree_on_the_finding() -> None:
    finding = drift().as_dict()
    assert json.loads(findings_json([finding], run={"id": "r"})) == {
        "run": {"id": "r"},
        "findings": [finding],
    }
    sarif = render_sarif([finding])
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "PDA-DR-003" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    [header, row] = list(csv.reader(io.StringIO(findings_csv([{**finding, "status": "open"}]))))
    assert tuple(header) == CSV_COLUMNS
    assert row[CSV_COLUMNS.index("object")] == labels.object_label(finding)
    text = finding_message(
        FindingDelta(
            finding_id=finding["id"], type=DeltaType.OPENED, run_id="r", at="t", finding=finding
        )
    ).plain()
    assert labels.object_label(finding) in text and labels.headline(finding) in text
    assert labels.origin_label(finding) == "gitops routes.yaml:3 at 0123456789ab"


def test_labels_for_files_and_unknown_categories() -> None:
    assert (
        labels.object_label({"object": None, "origin": {"path": "a.yaml", "line": 2}}) == "a.yaml:2"
    )
    assert labels.object_label({}) == "-" and labels.origin_label({}) is None
    assert labels.headline({"check": "X-1", "category": "new"}) == "X-1 new"
    assert labels.value_text(None) == "-" and labels.value_text({"b": 1}) == '{"b": 1}'


def test_csv_cells_are_spreadsheet_and_terminal_safe() -> None:
    row = {"id": "=cmd()", "message": "a\x1b[31mb", "first_seen": None}
    [_, cells] = list(csv.reader(io.StringIO(findings_csv([row]))))
    assert cells[0] == "'=cmd()" and cells[CSV_COLUMNS.index("message")] == "a\\x1b[31mb"
