"""Ambient enrollment and waypoint checks AM-002, AM-003, AM-004, AM-007 and the drift-backed
AM-001 (MESH_SEMANTICS §3).

Workloads owned by a controller (a Deployment's ReplicaSet, a ReplicaSet's pods) are reported
through their controller only, so one opted-out Deployment is one finding, not one per pod.
AM-007 follows istioctl's IST0123 analyzer (``pkg/config/analysis/analyzers/injection``).
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterator

from auditor.checkids import AM_001, AM_002, AM_003, AM_004, AM_007
from auditor.checks.common.fields import as_list, as_map, as_str, labels_of, spec
from auditor.checks.mesh.authz import target_ref
from auditor.checks.mesh.context import MeshContext
from auditor.checks.mesh.index import (
    AUTHORIZATION_POLICY,
    GATEWAY,
    GRPCROUTE,
    HTTPROUTE,
    REQUEST_AUTHENTICATION,
    SERVICE_ENTRY,
    TELEMETRY,
    Workload,
)
from auditor.checks.mesh.istio import (
    DATAPLANE_MODE,
    INJECTION,
    REVISION,
    USE_WAYPOINT,
    Traffic,
    ambient_namespace,
    applies_to,
    binding_problem,
    http_attributes,
    own_binding,
    target_refs,
    working_waypoint,
    ztunnel_bound,
)
from auditor.keys import GroupKind, ResourceKey
from auditor.kinds import SERVICE
from auditor.model import Finding, KubeObject

logger = logging.getLogger(__name__)


def ambient_findings(ctx: MeshContext) -> Iterator[Finding | None]:
    yield from _opt_outs(ctx)
    yield from _bindings(ctx)
    yield from _l7_without_waypoint(ctx)
    yield from _conflicting_labels(ctx)


# -- AM-002 ---------------------------------------------------------------------------------------


def _opt_outs(ctx: MeshContext) -> Iterator[Finding | None]:
    index = ctx.index
    exceptions = ctx.settings.ambient_exceptions
    for namespace, workloads in sorted(index.workloads.items()):
        if not ambient_namespace(index.labels_of(namespace)):
            continue
        for w in workloads:
            if w.owned or w.labels.get(DATAPLANE_MODE) != "none":
                continue
            name = f"{namespace}/{w.obj.key.name}"
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in exceptions):
                continue
            yield ctx.mesh_finding(
                AM_002,
                w.obj,
                f"{w.obj.key} opts out of ambient (istio.io/dataplane-mode=none) in ambient "
                f"namespace {namespace}: its traffic bypasses ztunnel, mTLS and every "
                "AuthorizationPolicy. Add it to mesh.ambient_exceptions if intended.",
            )


# -- AM-003 ---------------------------------------------------------------------------------------


def _bindings(ctx: MeshContext) -> Iterator[Finding | None]:
    index = ctx.index
    if not index.observed(GATEWAY):
        return
    labelled: list[tuple[KubeObject, dict[str, str], Traffic]] = [
        (ns, labels_of(ns.body), Traffic.NAMESPACE) for ns in index.namespaces.values()
    ]
    for gk in (SERVICE, SERVICE_ENTRY):
        labelled.extend((o, labels_of(o.body), Traffic.SERVICE) for o in index.of_kind(gk))
    labelled.extend(
        (w.obj, dict(w.labels), Traffic.WORKLOAD) for w in index.all_workloads() if not w.owned
    )
    for obj, labels, traffic in labelled:
        bound = own_binding(obj, labels)
        if bound is None:
            continue
        problem = binding_problem(index, bound, traffic)
        if problem is None:
            continue
        yield ctx.mesh_finding(
            AM_003,
            obj,
            f"{obj.key} has istio.io/use-waypoint={labels.get(USE_WAYPOINT)} but {problem}: its "
            "traffic goes through no waypoint and L7 policy for it is not enforced.",
            ref=bound.ref,
        )


# -- AM-004 ---------------------------------------------------------------------------------------


def _l7_without_waypoint(ctx: MeshContext) -> Iterator[Finding | None]:
    index = ctx.index
    for gk in (HTTPROUTE, GRPCROUTE):
        for route in index.of_kind(gk):
            yield from _route(ctx, route)
    for gk in (AUTHORIZATION_POLICY, REQUEST_AUTHENTICATION, TELEMETRY):
        for policy in index.of_kind(gk):
            if target_refs(policy.body):
                if gk != AUTHORIZATION_POLICY or http_attributes(policy.body):
                    yield from _targeted(ctx, policy)
            elif gk == AUTHORIZATION_POLICY and http_attributes(policy.body):
                yield from _selected(ctx, policy)


def _unbound_ambient_service(ctx: MeshContext, key: ResourceKey) -> KubeObject | None:
    """The Service at ``key`` when it is an ambient target without a working waypoint."""
    service = ctx.index.get(key)
    if service is None or not ambient_namespace(ctx.index.labels_of(key.namespace)):
        return None
    return service if working_waypoint(ctx.index, service) is None else None


def _route(ctx: MeshContext, route: KubeObject) -> Iterator[Finding | None]:
    for raw in as_list(spec(route.body).get("parentRefs")):
        parent = as_map(raw)
        if as_str(parent.get("kind")) != "Service" or (as_str(parent.get("group")) or "") != "":
            continue
        namespace = as_str(parent.get("namespace")) or route.key.namespace
        key = ResourceKey("", "Service", namespace, as_str(parent.get("name")) or "")
        service = _unbound_ambient_service(ctx, key)
        if service is not None:
            yield _finding(ctx, route, service)


def _targeted(ctx: MeshContext, policy: KubeObject) -> Iterator[Finding | None]:
    for raw in target_refs(policy.body):
        ref = target_ref(policy, raw, {"Service": SERVICE})
        if GroupKind(ref.group, ref.kind) != SERVICE:
            continue
        service = _unbound_ambient_service(
            ctx, ResourceKey(ref.group, ref.kind, ref.namespace, ref.name)
        )
        if service is not None:
            yield _finding(ctx, policy, service)


def _finding(ctx: MeshContext, obj: KubeObject, service: KubeObject) -> Finding | None:
    return ctx.mesh_finding(
        AM_004,
        obj,
        f"{obj.key} configures L7 behaviour for ambient Service {service.key.namespace}/"
        f"{service.key.name}, which has no waypoint: ztunnel only handles L4, so it is not "
        "applied.",
    )


def _selected(ctx: MeshContext, policy: KubeObject) -> Iterator[Finding | None]:
    """Kiali's ``l7nowaypoint``: a ztunnel-bound policy with HTTP rules whose workloads and
    namespace carry no ``use-waypoint``."""
    index = ctx.index
    namespace = policy.key.namespace
    if not ztunnel_bound(index, policy) or namespace == index.meshes.root_namespace:
        return
    if USE_WAYPOINT in index.labels_of(namespace):
        return
    workloads: list[Workload] = [
        w for w in index.workloads.get(namespace, ()) if applies_to(policy, w)
    ]
    if any(USE_WAYPOINT in w.labels for w in workloads):
        return
    yield ctx.mesh_finding(
        AM_004,
        policy,
        f"{policy.key} has HTTP rules, but neither namespace {namespace} nor its workloads use "
        "a waypoint: only ztunnel sees this traffic and it cannot apply HTTP rules.",
    )


# -- AM-007 ---------------------------------------------------------------------------------------


def _conflicting_labels(ctx: MeshContext) -> Iterator[Finding | None]:
    index = ctx.index
    for name, namespace in sorted(index.namespaces.items()):
        if name == "istio-system":
            continue
        labels = labels_of(namespace.body)
        injection = labels.get(INJECTION)
        counted = [INJECTION] if injection is not None else []
        if injection in (None, "enabled"):
            counted += [k for k in (REVISION, DATAPLANE_MODE) if k in labels]
        if len(counted) > 1:
            shown = ", ".join(f"{k}={labels[k]}" for k in counted)
            yield ctx.mesh_finding(
                AM_007,
                namespace,
                f"Namespace {name} has conflicting Istio labels ({shown}): which data plane its "
                "pods get depends on label precedence, not on intent.",
            )


# -- AM-001 ---------------------------------------------------------------------------------------


def ambient_drift_findings(live: MeshContext, git: MeshContext) -> Iterator[Finding | None]:
    """Namespaces ambient in Git whose live ``istio.io/dataplane-mode`` is missing or other."""
    for name, declared in sorted(git.index.namespaces.items()):
        if declared.origin is None or labels_of(declared.body).get(DATAPLANE_MODE) != "ambient":
            continue
        actual = live.index.namespaces.get(name)
        if actual is None:
            continue  # missing altogether: PDA-DR-001
        value = labels_of(actual.body).get(DATAPLANE_MODE)
        if value == "ambient":
            continue
        now = f"is {value}" if value is not None else "is missing"
        yield git.mesh_finding(
            AM_001,
            declared,
            f"Namespace {name} is ambient in Git but its live istio.io/dataplane-mode {now}: its "
            "pods are outside the mesh (no mTLS, no AuthorizationPolicy).",
        )
