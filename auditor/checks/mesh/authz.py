"""Istio AuthorizationPolicy checks AZ-001…008 and AM-005 (MESH_SEMANTICS §3).

Readings that follow istiod: a policy with ``targetRefs`` never goes to ztunnel (AZ-004/005 do
not apply to it); a selector policy is ignored by waypoints (AM-005); AZ-004's three outcomes are
those of ``convertAuthorizationPolicy`` (see ``istio.ztunnel_outcome``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from auditor.checkids import AM_005, AZ_001, AZ_002, AZ_003, AZ_004, AZ_005, AZ_006, AZ_007, AZ_008
from auditor.checks.common.fields import as_list, as_map, as_str, labels_of
from auditor.checks.mesh.context import MeshContext
from auditor.checks.mesh.index import (
    AUTHORIZATION_POLICY,
    GATEWAY,
    GATEWAYCLASS,
    REQUEST_AUTHENTICATION,
    SERVICE_ENTRY,
)
from auditor.checks.mesh.istio import (
    Traffic,
    ZtunnelOutcome,
    action,
    admits_only,
    allows_nothing,
    ambient_namespace,
    applies_to,
    binding,
    binding_problem,
    covered_workloads,
    dry_run,
    enrolled_namespace,
    enrolled_workload,
    http_attributes,
    rules,
    selector_labels,
    selects,
    target_refs,
    waypoint_identity,
    working_waypoint,
    ztunnel_bound,
    ztunnel_outcome,
)
from auditor.keys import GroupKind, ResourceKey
from auditor.kinds import NAMESPACE, SERVICE, SERVICEACCOUNT
from auditor.model import Finding, KubeObject, Ref, Severity

logger = logging.getLogger(__name__)

TARGET_KINDS: dict[str, GroupKind] = {
    "Service": SERVICE,
    "ServiceEntry": SERVICE_ENTRY,
    "Gateway": GATEWAY,
    "GatewayClass": GATEWAYCLASS,
}
"""The kinds an AuthorizationPolicy may target, by kind name (group defaulted)."""


def authz_findings(ctx: MeshContext) -> Iterator[Finding | None]:
    policies = ctx.index.of_kind(AUTHORIZATION_POLICY)
    for policy in policies:
        yield from _unused(ctx, policy)
        yield from _targets(ctx, policy)
        yield from _ztunnel(ctx, policy)
        yield from _sources(ctx, policy)
        yield from _bypass(ctx, policy)
    yield from _baseline(ctx)
    for ra in ctx.index.of_kind(REQUEST_AUTHENTICATION):
        if _in_ambient_namespace(ctx, ra) and not target_refs(ra.body):
            yield ctx.mesh_finding(
                AM_005,
                ra,
                f"{ra.key} has no targetRefs in ambient namespace {ra.key.namespace}: ztunnel "
                "cannot validate JWTs and waypoints ignore it, so nothing enforces it.",
            )


def _in_ambient_namespace(ctx: MeshContext, obj: KubeObject) -> bool:
    namespace = obj.key.namespace
    return namespace != ctx.index.meshes.root_namespace and ambient_namespace(
        ctx.index.labels_of(namespace)
    )


def target_ref(policy: KubeObject, raw: Mapping[str, Any], kinds: Mapping[str, GroupKind]) -> Ref:
    """A targetRefs entry with defaults applied (group of the known kind, policy's namespace)."""
    kind = as_str(raw.get("kind")) or ""
    known = kinds.get(kind)
    group = as_str(raw.get("group"))
    if group is None:
        group = known.group if known is not None else ""
    cluster_scoped = kind == "GatewayClass" or (kind == "Namespace" and group == "")
    namespace = "" if cluster_scoped else as_str(raw.get("namespace")) or policy.key.namespace
    return Ref(
        group=group,
        kind=kind,
        namespace=namespace,
        name=as_str(raw.get("name")) or "",
        section_name=as_str(raw.get("sectionName")),
    )


def _key(ref: Ref) -> ResourceKey:
    return ResourceKey(ref.group, ref.kind, ref.namespace, ref.name)


# -- AZ-001 ---------------------------------------------------------------------------------------


def _unused(ctx: MeshContext, policy: KubeObject) -> Iterator[Finding | None]:
    index = ctx.index
    if target_refs(policy.body) or not index.workloads_observed():
        return
    namespace = policy.key.namespace
    enrolled = [w for w in covered_workloads(index, policy) if enrolled_workload(index, w)]
    if enrolled:
        return
    selector = selector_labels(policy.body)
    where = "the mesh" if namespace == index.meshes.root_namespace else f"namespace {namespace}"
    if selector is not None:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(selector.items()))
        message = f"{policy.key} selects {shown}, which matches no enrolled workload in {where}."
    else:
        message = f"{policy.key} applies to {where}, which has no enrolled workload."
    yield ctx.mesh_finding(AZ_001, policy, message + " It has no effect.")


# -- AZ-002 / AZ-003 ------------------------------------------------------------------------------


def _targets(ctx: MeshContext, policy: KubeObject) -> Iterator[Finding | None]:
    index = ctx.index
    for raw in target_refs(policy.body):
        ref = target_ref(policy, raw, TARGET_KINDS)
        gk = GroupKind(ref.group, ref.kind)
        if gk not in TARGET_KINDS.values() or not index.observed(gk):
            continue
        target = index.get(_key(ref))
        if target is None:
            yield ctx.mesh_finding(
                AZ_002,
                policy,
                f"{policy.key} targets {ref.kind} {ref.namespace + '/' if ref.namespace else ''}"
                f"{ref.name}, which does not exist: istiod attaches it to nothing.",
                ref=ref,
            )
            continue
        if gk not in (SERVICE, SERVICE_ENTRY):
            continue
        problem = _unbound(ctx, target)
        if problem is not None:
            yield ctx.mesh_finding(
                AZ_003,
                policy,
                f"{policy.key} targets {ref.kind} {ref.namespace}/{ref.name}, which is not bound "
                f"to a working waypoint ({problem}): istiod reports AncestorNotBound and nothing "
                "enforces the policy.",
                ref=ref,
            )


def _unbound(ctx: MeshContext, target: KubeObject) -> str | None:
    """Why ``target`` has no working waypoint binding (None: it has one)."""
    bound = binding(ctx.index, target, labels_of(target.body))
    if bound is None:
        return "no istio.io/use-waypoint label on it or its namespace"
    return binding_problem(ctx.index, bound, Traffic.SERVICE)


# -- AZ-004 / AZ-005 / AM-005 ---------------------------------------------------------------------

_OUTCOMES: dict[ZtunnelOutcome, tuple[Severity, str]] = {
    ZtunnelOutcome.ALLOW_NARROWED: (
        Severity.HIGH,
        "ztunnel drops every rule with {attrs}: this ALLOW admits less than written{nobody}",
    ),
    ZtunnelOutcome.DENY_NO_EFFECT: (
        Severity.CRITICAL,
        "ztunnel drops {attrs} and no rule is left that can match: this DENY has no effect",
    ),
    ZtunnelOutcome.DENY_BROADENED: (
        Severity.HIGH,
        "ztunnel drops {attrs} and enforces the rest: this DENY denies more than written",
    ),
}


def _ztunnel(ctx: MeshContext, policy: KubeObject) -> Iterator[Finding | None]:
    index = ctx.index
    if not ztunnel_bound(index, policy):
        return
    body = policy.body
    verb = action(body)
    if verb in ("CUSTOM", "AUDIT"):
        yield ctx.mesh_finding(
            AZ_005,
            policy,
            f"{policy.key} has action {verb}, which ztunnel does not support: istiod does not "
            "send it to ztunnel and it is not enforced.",
        )
    elif dry_run(body):
        yield ctx.mesh_finding(
            AZ_005,
            policy,
            f"{policy.key} is annotated istio.io/dry-run, which ztunnel does not support: istiod "
            "does not send it and nothing is evaluated.",
        )
    outcome = ztunnel_outcome(body)
    if outcome is not None:
        severity, text = _OUTCOMES[outcome]
        attrs = ", ".join(f"`{a}`" for a in http_attributes(body))
        nobody = ""
        if outcome is ZtunnelOutcome.ALLOW_NARROWED and all(
            _has_http(rule) for rule in as_list(as_map(body.get("spec")).get("rules"))
        ):
            nobody = " (no rule is left: it admits no one)"
        yield ctx.mesh_finding(
            AZ_004,
            policy,
            f"{policy.key} is enforced by ztunnel: "
            + text.format(attrs=attrs, nobody=nobody)
            + ". Use a waypoint and targetRefs for HTTP rules.",
            severity=severity,
        )
    if http_attributes(body) and _in_ambient_namespace(ctx, policy):
        yield ctx.mesh_finding(
            AM_005,
            policy,
            f"{policy.key} has HTTP rules but no targetRefs in ambient namespace "
            f"{policy.key.namespace}: waypoints ignore selector and namespace-wide policies.",
        )


def _has_http(rule: object) -> bool:
    return bool(http_attributes({"spec": {"rules": [rule]}}))


# -- AZ-006 ---------------------------------------------------------------------------------------


def _sources(ctx: MeshContext, policy: KubeObject) -> Iterator[Finding | None]:
    index = ctx.index
    td = index.meshes.trust_domain
    seen: set[Ref] = set()
    for rule in as_list(as_map(policy.body.get("spec")).get("rules")):
        for entry in as_list(as_map(rule).get("from")):
            source = as_map(as_map(entry).get("source"))
            for ns in as_list(source.get("namespaces")):
                name = str(ns)
                if "*" in name or name in index.namespaces:
                    continue
                ref = Ref(group="", kind="Namespace", namespace="", name=name)
                if ref not in seen:
                    seen.add(ref)
                    yield ctx.mesh_finding(
                        AZ_006,
                        policy,
                        f"{policy.key} admits source namespace {name}, which does not exist.",
                        ref=ref,
                    )
            for principal in as_list(source.get("principals")):
                parsed = _principal(str(principal), td)
                if parsed is None:
                    continue
                ns, sa = parsed
                if index.service_account_exists(ns, sa) and (
                    ns in index.namespaces or not index.observed(NAMESPACE)
                ):
                    continue
                ref = Ref(group="", kind=SERVICEACCOUNT.kind, namespace=ns, name=sa)
                if ref not in seen:
                    seen.add(ref)
                    yield ctx.mesh_finding(
                        AZ_006,
                        policy,
                        f"{policy.key} admits principal {principal}, whose ServiceAccount "
                        f"{ns}/{sa} does not exist.",
                        ref=ref,
                    )


def _principal(principal: str, trust_domain: str) -> tuple[str, str] | None:
    """(namespace, service account) of a non-wildcard SPIFFE-style principal of this mesh."""
    if "*" in principal:
        return None
    td, sep, rest = principal.partition("/ns/")
    if not sep or td not in (trust_domain, "cluster.local"):
        return None
    ns, sep, sa = rest.partition("/sa/")
    if not sep or not ns or not sa or "/" in sa:
        return None
    return ns, sa


# -- AZ-007 ---------------------------------------------------------------------------------------


def _baseline(ctx: MeshContext) -> Iterator[Finding | None]:
    index = ctx.index
    if not ctx.has_teams:
        return
    root = index.meshes.root_namespace
    if any(allows_nothing(p.body) for p in index.in_namespace(AUTHORIZATION_POLICY, root)):
        return
    for name, namespace in sorted(index.namespaces.items()):
        if not enrolled_namespace(index.labels_of(name)) or not ctx.team_namespace(name):
            continue
        if any(allows_nothing(p.body) for p in index.in_namespace(AUTHORIZATION_POLICY, name)):
            continue
        yield ctx.mesh_finding(
            AZ_007,
            namespace,
            f"Namespace {name} is in the mesh but has no allow-nothing AuthorizationPolicy (nor "
            f"does root namespace {root}): every caller is admitted unless a policy says otherwise.",
        )


# -- AZ-008 ---------------------------------------------------------------------------------------


def _bypass(ctx: MeshContext, policy: KubeObject) -> Iterator[Finding | None]:
    index = ctx.index
    if not http_attributes(policy.body) or not index.workloads_observed():
        return
    for raw in target_refs(policy.body):
        ref = target_ref(policy, raw, TARGET_KINDS)
        if GroupKind(ref.group, ref.kind) != SERVICE:
            continue
        service = index.get(_key(ref))
        if service is None:
            continue
        waypoint = working_waypoint(index, service)
        if waypoint is None:
            continue
        pods = _service_workloads(ctx, service)
        if not pods:
            continue
        identity = waypoint_identity(index, waypoint)
        candidates = (
            *index.in_namespace(AUTHORIZATION_POLICY, service.key.namespace),
            *index.in_namespace(AUTHORIZATION_POLICY, index.meshes.root_namespace),
        )
        guards = [
            p
            for p in {c.key: c for c in candidates}.values()
            if ztunnel_bound(index, p)
            and action(p.body) == "ALLOW"
            and rules(p.body)  # an allow-nothing policy admits no one: it widens nothing
            and any(applies_to(p, w) for w in pods)
        ]
        if guards and all(admits_only(p.body, identity) for p in guards):
            continue
        why = (
            "no ztunnel ALLOW policy restricts its pods"
            if not guards
            else "a ztunnel ALLOW policy on its pods also admits other callers"
        )
        yield ctx.mesh_finding(
            AZ_008,
            policy,
            f"{policy.key} is enforced by waypoint {waypoint.key.namespace}/{waypoint.key.name} "
            f"for Service {ref.namespace}/{ref.name}, but {why}: callers that reach the pods "
            f"directly bypass its HTTP rules (admit only {identity}).",
            ref=ref,
        )


def _service_workloads(ctx: MeshContext, service: KubeObject) -> list[Any]:
    selector = {
        str(k): str(v) for k, v in as_map(as_map(service.body.get("spec")).get("selector")).items()
    }
    if not selector:
        return []
    return [
        w for w in ctx.index.workloads.get(service.key.namespace, ()) if selects(selector, w.labels)
    ]
