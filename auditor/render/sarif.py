"""SARIF 2.1.0 rendering of findings (§6 dicts): one rule per check ID, results located at the
referring manifest's file and line, so code-scanning UIs annotate the pull request. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor import __version__
from auditor.catalog import CHECKS
from auditor.model import Severity
from auditor.render.checkwords import upstream

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFO_URI = "https://github.com/gitops-policy-auditor/auditor"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def render_sarif(findings: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A SARIF log with one run; every catalogue check is a rule, every finding a result."""
    rule_ids = sorted(CHECKS)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "auditor",
                        "informationUri": INFO_URI,
                        "version": __version__,
                        "rules": [_rule(rule_id) for rule_id in rule_ids],
                    }
                },
                "results": [_result(f, index[f["check"]]) for f in findings],
            }
        ],
    }


def _rule(rule_id: str) -> dict[str, Any]:
    info = CHECKS[rule_id]
    return {
        "id": rule_id,
        "name": info.title.replace(" ", ""),
        "shortDescription": {"text": info.title},
        "defaultConfiguration": {"level": _LEVEL[info.severity]},
        "properties": {
            "category": str(info.category),
            "severity": str(info.severity),
            **({"upstream": list(equivalents)} if (equivalents := upstream(rule_id)) else {}),
        },
    }


def _result(finding: Mapping[str, Any], rule_index: int) -> dict[str, Any]:
    severity = Severity(finding["severity"])
    result: dict[str, Any] = {
        "ruleId": finding["check"],
        "ruleIndex": rule_index,
        "level": _LEVEL[severity],
        "message": {"text": finding["message"]},
        "partialFingerprints": {"auditorFindingId/v1": finding["id"]},
        "properties": {
            "severity": str(severity),
            "category": str(finding["category"]),
            "view": str(finding["view"]),
            "team": finding.get("team"),
            "reason": finding.get("reason"),
            "cluster": finding["cluster"],
        },
    }
    origin = finding.get("origin")
    if isinstance(origin, Mapping) and origin.get("path"):
        physical: dict[str, Any] = {"artifactLocation": {"uri": origin["path"]}}
        if origin.get("line"):
            physical["region"] = {"startLine": origin["line"]}
        result["locations"] = [{"physicalLocation": physical}]
    return result
