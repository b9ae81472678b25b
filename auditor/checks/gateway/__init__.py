"""Gateway API policy analysis: pure functions over one view of a cluster.

Entry point ``check_gateway(state, settings=...)``. Builds the indexes once, evaluates every
parentRef once (``evaluate``), then derives the findings of each area: attachment (RT-002..006,
RT-008, RT-009), listener and Gateway validity (LS), BackendTLSPolicy (PA-001, BT), org policy (RT-001), references and grants (RG-001..003, BE-001..003; RG-003 for
XBackend and Envoy Gateway policy references, see ``policyrefs``), grant hygiene (RG-004..007),
hostnames (HN), tenancy (TN), status trust (ST) and controller enforcement (RT-007, RG-008), the
last two live view only. ``check_grant_changes(live, git, settings=...)`` compares two views for
RG-009 (a Git change that breaks a reference the live cluster permits).
GATEWAY_SEMANTICS.md is the rule book; each module documents the exact rule it implements.
"""

from __future__ import annotations

import logging

from auditor.checks.common.unique import unique_findings
from auditor.checks.gateway.attachment import attachment_findings
from auditor.checks.gateway.backendtls import backend_tls_findings
from auditor.checks.gateway.conflicts import conflict_findings
from auditor.checks.gateway.context import Context
from auditor.checks.gateway.enforcement import enforcement_findings
from auditor.checks.gateway.evaluate import Outcome, evaluate_all
from auditor.checks.gateway.grant_changes import check_grant_changes
from auditor.checks.gateway.grants import reference_findings
from auditor.checks.gateway.hostnames import hostname_findings
from auditor.checks.gateway.hygiene import hygiene_findings
from auditor.checks.gateway.index import build_index
from auditor.checks.gateway.policy import policy_findings
from auditor.checks.gateway.settings import GatewaySettings
from auditor.checks.gateway.status import status_findings
from auditor.checks.gateway.tenancy import tenancy_findings
from auditor.checks.gateway.topology import build_topology
from auditor.checks.gateway.validity import validity_findings
from auditor.model import ClusterState, Finding

__all__ = ["GatewaySettings", "check_gateway", "check_grant_changes", "unjudged_namespaces"]

logger = logging.getLogger(__name__)


def check_gateway(state: ClusterState, *, settings: GatewaySettings) -> list[Finding]:
    """Every Gateway API finding for ``state``: one per (check, object, ref), sorted."""
    index = build_index(state, assume_namespace_labels=settings.assume_namespace_labels)
    ctx = Context.of(index, settings)
    evaluations = evaluate_all(ctx.index)
    topology = build_topology(ctx.index, evaluations)
    references = reference_findings(ctx)
    found: list[Finding | None] = [
        *attachment_findings(ctx, evaluations),
        *validity_findings(ctx),
        *backend_tls_findings(ctx),
        *policy_findings(ctx, evaluations),
        *references.findings,
        *hygiene_findings(ctx, references.used_grants),
        *hostname_findings(ctx, evaluations, topology),
        *conflict_findings(ctx, topology),
        *tenancy_findings(ctx, topology),
        *status_findings(ctx, evaluations),
        *enforcement_findings(ctx, references.refused),
    ]
    result = unique_findings(found)
    logger.debug(
        "gateway analysis done",
        extra={"action": "check_gateway", "resource": state.cluster, "findings": len(result)},
    )
    return result


def unjudged_namespaces(state: ClusterState, *, settings: GatewaySettings) -> list[str]:
    """Namespaces of routes and ListenerSets whose attachment got no verdict because a Selector
    depends on labels of a Namespace that is not in the input (for ``run.skipped`` notes)."""
    index = build_index(state, assume_namespace_labels=settings.assume_namespace_labels)
    return sorted(
        {
            ev.referrer.key.namespace
            for ev in evaluate_all(index)
            if ev.outcome == Outcome.UNOBSERVED
            and not index.labels_known(ev.referrer.key.namespace)
        }
    )
