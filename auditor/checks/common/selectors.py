"""Kubernetes label selectors (metav1.LabelSelector) over label maps, shared by every family."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.checks.common.fields import as_list, as_map, as_str


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """metav1.LabelSelector semantics: nil matches nothing, ``{}`` matches everything."""
    if selector is None:
        return False
    match_labels = as_map(selector.get("matchLabels"))
    if any(labels.get(str(k)) != str(v) for k, v in match_labels.items()):
        return False
    return all(
        _expression_matches(as_map(e), labels) for e in as_list(selector.get("matchExpressions"))
    )


def _expression_matches(expr: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key = as_str(expr.get("key")) or ""
    values = {str(v) for v in as_list(expr.get("values"))}
    match expr.get("operator"):
        case "In":
            return key in labels and labels[key] in values
        case "NotIn":
            return key not in labels or labels[key] not in values
        case "Exists":
            return key in labels
        case "DoesNotExist":
            return key not in labels
        case _:
            return False
