"""Cilium default-deny check CI-002 (MESH_SEMANTICS §3).

A pod is in default deny for a direction when some policy selecting it enables it: a
CiliumNetworkPolicy in its namespace whose ``endpointSelector`` matches it, a
CiliumClusterwideNetworkPolicy whose selector matches it (the namespace is the pod label
``io.kubernetes.pod.namespace``), with a non-empty ``ingress``/``ingressDeny`` (resp. egress) list
and ``enableDefaultDeny`` for that direction not false; or a NetworkPolicy with an empty
``podSelector`` whose ``policyTypes`` include the direction (Kubernetes semantics: without
``policyTypes``, Ingress always and Egress when it has egress rules).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from auditor.checkids import CI_002
from auditor.checks.common.fields import as_list, as_map, spec
from auditor.checks.common.selectors import selector_matches
from auditor.checks.mesh.context import MeshContext
from auditor.checks.mesh.index import CCNP, CNP, NETWORK_POLICY, Workload
from auditor.model import Finding

logger = logging.getLogger(__name__)

DIRECTIONS = ("ingress", "egress")
POD_NAMESPACE = "io.kubernetes.pod.namespace"
_PREFIXES = ("k8s:", "any:")


def cilium_findings(ctx: MeshContext) -> Iterator[Finding | None]:
    index = ctx.index
    if not index.workloads_observed():
        return
    clusterwide = index.of_kind(CCNP)
    for name, namespace in sorted(index.namespaces.items()):
        if not ctx.team_namespace(name):
            continue
        policies = [*index.in_namespace(CNP, name), *clusterwide]
        netpols = index.in_namespace(NETWORK_POLICY, name)
        open_pods: dict[str, list[str]] = {}
        for w in index.workloads.get(name, ()):
            if w.owned:
                continue
            for direction in DIRECTIONS:
                if not _denied(w, direction, policies, netpols):
                    open_pods.setdefault(direction, []).append(w.obj.key.name)
        if open_pods:
            detail = "; ".join(f"{d}: {', '.join(pods)}" for d, pods in sorted(open_pods.items()))
            yield ctx.mesh_finding(
                CI_002,
                namespace,
                f"Namespace {name} has workloads no Cilium or Kubernetes policy puts into default "
                f"deny ({detail}): any peer can reach them, or they any destination.",
            )


def _denied(w: Workload, direction: str, cilium: list[Any], netpols: tuple[Any, ...]) -> bool:
    labels = {**w.labels, POD_NAMESPACE: w.namespace}
    for policy in cilium:
        body = policy.body
        for rule in [spec(body), *(as_map(s) for s in as_list(body.get("specs")))]:
            if _cilium_denies(rule, labels, direction):
                return True
    return any(_netpol_denies(spec(n.body), direction) for n in netpols)


def _cilium_denies(rule: Mapping[str, Any], labels: Mapping[str, str], direction: str) -> bool:
    raw = rule.get("endpointSelector")
    if not isinstance(raw, Mapping) or not selector_matches(_strip(raw), labels):
        return False
    if not (as_list(rule.get(direction)) or as_list(rule.get(f"{direction}Deny"))):
        return False
    return as_map(rule.get("enableDefaultDeny")).get(direction) is not False


def _strip(selector: Mapping[str, Any]) -> dict[str, Any]:
    """Cilium label keys may carry a source prefix (``k8s:``); pod labels do not."""

    def key(k: object) -> str:
        text = str(k)
        for prefix in _PREFIXES:
            if text.startswith(prefix):
                return text[len(prefix) :]
        return text

    expressions = [
        {**as_map(e), "key": key(as_map(e).get("key"))}
        for e in as_list(selector.get("matchExpressions"))
    ]
    return {
        "matchLabels": {key(k): v for k, v in as_map(selector.get("matchLabels")).items()},
        "matchExpressions": expressions,
    }


def _netpol_denies(netpol: Mapping[str, Any], direction: str) -> bool:
    if as_map(netpol.get("podSelector")):
        return False
    types = [str(t).lower() for t in as_list(netpol.get("policyTypes"))]
    if types:
        return direction in types
    return direction == "ingress" or bool(as_list(netpol.get("egress")))
