"""How a check is named for people: each category in words and a check's upstream equivalents
(istioctl, Kiali, Kyverno), for the table, Slack and SARIF."""

from __future__ import annotations

from auditor.checkids import (
    AM_001,
    AM_002,
    AM_003,
    AM_004,
    AM_005,
    AM_007,
    AZ_001,
    AZ_002,
    AZ_003,
    AZ_004,
    AZ_006,
    AZ_007,
    LK_002,
    LK_004,
    MT_001,
)
from auditor.model import Category

CATEGORY_LABELS: dict[Category, str] = {
    Category.DRIFT: "drift",
    Category.UNAUTHORIZED_ATTACHMENT: "unauthorized attachment",
    Category.MISSING_REFERENCEGRANT: "missing ReferenceGrant",
    Category.DANGLING_REFERENCE: "dangling reference",
    Category.HOSTNAME: "hostname conflict",
    Category.TENANCY: "tenancy violation",
    Category.REFERENCEGRANT_HYGIENE: "ReferenceGrant hygiene",
    Category.MESH_SECURITY: "mesh security",
    Category.STATUS: "controller status",
    Category.SOURCE: "source problem",
}
"""Each category in words, for people (the audit table, Slack messages)."""


def category_label(category: str) -> str:
    """``missing-referencegrant`` -> ``missing ReferenceGrant``; an unknown value as given."""
    try:
        return CATEGORY_LABELS[Category(category)]
    except ValueError:
        return category


_UPSTREAM: dict[str, tuple[str, ...]] = {
    AZ_001: ("IST0127", "KIA0004"),
    AZ_002: ("IST0171 TargetNotFound",),
    AZ_003: ("IST0171 AncestorNotBound",),
    AZ_004: ("kiali authorizationpolicy.ambient.l7nowaypoint",),
    AZ_006: ("IST0101", "KIA0101", "KIA0106"),
    AZ_007: ("KIA1301", "kyverno require-authorizationpolicy"),
    MT_001: ("kyverno enforce-strict-mtls",),
    AM_001: ("kyverno enforce-ambient-mode-namespace",),
    AM_002: ("kyverno prevent-disabling-injection-pods",),
    AM_003: ("IST0171 WaypointBound",),
    AM_004: ("kiali authorizationpolicy.ambient.l7nowaypoint",),
    AM_005: (
        "kiali authorizationpolicy.ambient.l7notargetrefs",
        "kiali requestauthentication.ambient.l7notargetrefs",
    ),
    AM_007: ("IST0123",),
    LK_002: ("kyverno add-linkerd-policy-annotation",),
    LK_004: ("kyverno check-linkerd-authorizationpolicy",),
}
"""Upstream equivalents of a check (istioctl codes, Kiali codes or checker keys, Kyverno policy
names), rendered as ``properties.upstream``; docs/mesh-checks.md explains each."""


def upstream(check_id: str) -> tuple[str, ...]:
    """The upstream equivalents of ``check_id`` (empty when no tool reports the same defect)."""
    return _UPSTREAM.get(check_id, ())
