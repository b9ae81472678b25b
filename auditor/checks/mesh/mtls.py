"""PeerAuthentication checks MT-001…005 (MESH_SEMANTICS §3).

Policy selection follows istiod (``pilot/pkg/serviceregistry/ambient/authorization.go``,
``convertedSelectorPeerAuthentications``): among several mesh-wide (root namespace, no selector)
or namespace-wide policies the oldest wins (``creationTimestamp``; objects from Git, which carry
none, sort after live ones and then by name); a selector policy in the root namespace is ignored;
UNSET inherits namespace, then mesh; with nothing set, Istio's default is PERMISSIVE.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from auditor.checkids import MT_001, MT_002, MT_003, MT_004, MT_005
from auditor.checks.common.fields import as_map, as_str, path, spec
from auditor.checks.mesh.context import MeshContext
from auditor.checks.mesh.index import PEER_AUTHENTICATION
from auditor.checks.mesh.istio import ambient_namespace, enrolled_namespace, selector_labels
from auditor.model import Finding, KubeObject, Severity

logger = logging.getLogger(__name__)

NON_STRICT = ("PERMISSIVE", "DISABLE")


def mode(obj: KubeObject) -> str:
    """Top-level ``mtls.mode`` (UNSET when absent)."""
    return as_str(path(obj.body, "spec", "mtls", "mode")) or "UNSET"


def _oldest(policies: Sequence[KubeObject]) -> KubeObject | None:
    def order(obj: KubeObject) -> tuple[str, str]:
        created = as_str(path(obj.body, "metadata", "creationTimestamp")) or "9999"
        return created, obj.key.name

    return min(policies, key=order, default=None)


def _wide(ctx: MeshContext, namespace: str) -> KubeObject | None:
    """The namespace-wide (or, in the root namespace, mesh-wide) policy in effect."""
    policies = ctx.index.in_namespace(PEER_AUTHENTICATION, namespace)
    return _oldest([p for p in policies if selector_labels(p.body) is None])


def inherited_mode(ctx: MeshContext, namespace: str) -> tuple[str, KubeObject | None]:
    """The mode a namespace's workloads get without a selector policy, and the policy that set
    it (None: nothing set, Istio's default PERMISSIVE)."""
    ns_policy = _wide(ctx, namespace)
    if ns_policy is not None and mode(ns_policy) != "UNSET":
        return mode(ns_policy), ns_policy
    mesh_policy = _wide(ctx, ctx.index.meshes.root_namespace)
    if mesh_policy is not None and mode(mesh_policy) != "UNSET":
        return mode(mesh_policy), mesh_policy
    return "PERMISSIVE", None


def mtls_findings(ctx: MeshContext) -> Iterator[Finding | None]:
    index = ctx.index
    root = index.meshes.root_namespace
    for policy in index.of_kind(PEER_AUTHENTICATION):
        namespace = policy.key.namespace
        selector = selector_labels(policy.body)
        top = mode(policy)
        if namespace == root and selector is not None:
            yield ctx.mesh_finding(
                MT_004,
                policy,
                f"{policy.key} has a selector in root namespace {root}: Istio ignores it.",
            )
            continue
        if top in NON_STRICT:
            mesh_wide = namespace == root
            scope = "mesh-wide" if mesh_wide else ("workload" if selector else "namespace-wide")
            yield ctx.mesh_finding(
                MT_001,
                policy,
                f"{policy.key} sets {scope} mTLS mode {top}: plaintext connections are accepted.",
                severity=Severity.CRITICAL if mesh_wide else Severity.HIGH,
            )
        if top == "DISABLE" and ambient_namespace(index.labels_of(namespace)):
            yield ctx.mesh_finding(
                MT_005,
                policy,
                f"{policy.key} sets DISABLE in ambient namespace {namespace}: ztunnel does not "
                "support disabling mTLS.",
            )
        if selector is not None:
            yield from _port_level(ctx, policy, top)
    for name, namespace_obj in sorted(index.namespaces.items()):
        if name == root or not enrolled_namespace(index.labels_of(name)):
            continue
        effective, source = inherited_mode(ctx, name)
        if source is None:
            yield ctx.mesh_finding(
                MT_003,
                namespace_obj,
                f"Namespace {name} is in the mesh with no STRICT PeerAuthentication in itself or "
                f"the root namespace {root}: it inherits Istio's default, {effective}.",
            )


def _port_level(ctx: MeshContext, policy: KubeObject, top: str) -> Iterator[Finding | None]:
    effective = top if top != "UNSET" else inherited_mode(ctx, policy.key.namespace)[0]
    if effective != "STRICT":
        return
    relaxed = sorted(
        str(port)
        for port, setting in as_map(spec(policy.body).get("portLevelMtls")).items()
        if as_str(as_map(setting).get("mode")) in NON_STRICT
    )
    if relaxed:
        yield ctx.mesh_finding(
            MT_002,
            policy,
            f"{policy.key} is STRICT but portLevelMtls relaxes port(s) {', '.join(relaxed)}: "
            "plaintext is accepted there.",
        )
