"""Linkerd checks LK-002, LK-004 and LK-005 (MESH_SEMANTICS §3).

Readings of the Linkerd policy controller (linkerd2 ``policy-controller/k8s/index``): an
AuthorizationPolicy whose target or required authentication does not exist is not indexed, so it
authorizes nothing; ServiceAccount authentication refs are turned into identities by name and
never looked up, so they are not judged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from auditor.checkids import LK_002, LK_004, LK_005
from auditor.checks.common.fields import as_list, as_map, as_str, path, spec
from auditor.checks.mesh.context import MeshContext
from auditor.checks.mesh.index import (
    HTTPROUTE,
    LINKERD_AUTHZ,
    LINKERD_HTTPROUTE,
    LINKERD_POLICY,
    LINKERD_SERVER,
    MESH_TLS_AUTHN,
    NETWORK_AUTHN,
)
from auditor.keys import GroupKind, ResourceKey
from auditor.model import Finding, KubeObject, Ref

logger = logging.getLogger(__name__)

DEFAULT_INBOUND_POLICY = "config.linkerd.io/default-inbound-policy"
PERMISSIVE = frozenset({"all-unauthenticated", "cluster-unauthenticated", "audit"})
AUTHN_KINDS = {"MeshTLSAuthentication": MESH_TLS_AUTHN, "NetworkAuthentication": NETWORK_AUTHN}


def linkerd_findings(ctx: MeshContext) -> Iterator[Finding | None]:
    yield from _inbound_policies(ctx)
    for policy in ctx.index.of_kind(LINKERD_AUTHZ):
        yield from _target(ctx, policy)
        yield from _authentications(ctx, policy)


def _inbound_policies(ctx: MeshContext) -> Iterator[Finding | None]:
    index = ctx.index
    annotated: list[tuple[KubeObject, str | None]] = [
        (ns, as_str(as_map(path(ns.body, "metadata", "annotations")).get(DEFAULT_INBOUND_POLICY)))
        for ns in index.namespaces.values()
    ]
    annotated += [
        (w.obj, w.annotations.get(DEFAULT_INBOUND_POLICY))
        for w in index.all_workloads()
        if not w.owned
    ]
    for obj, value in annotated:
        if value in PERMISSIVE:
            yield ctx.mesh_finding(
                LK_002,
                obj,
                f"{obj.key} sets {DEFAULT_INBOUND_POLICY}: {value}: the proxy admits traffic no "
                "AuthorizationPolicy allows.",
            )


def _target(ctx: MeshContext, policy: KubeObject) -> Iterator[Finding | None]:
    raw = as_map(spec(policy.body).get("targetRef"))
    kind = as_str(raw.get("kind")) or ""
    group = as_str(raw.get("group")) or ""
    name = as_str(raw.get("name")) or ""
    namespace = policy.key.namespace
    if kind == "Namespace" and group == "":
        if name != namespace:
            ref = Ref(group="", kind="Namespace", namespace="", name=name)
            yield ctx.mesh_finding(
                LK_004,
                policy,
                f"{policy.key} targets Namespace {name}, not its own ({namespace}): the policy "
                "controller ignores it.",
                ref=ref,
            )
        return
    gk = GroupKind(group, kind)
    if gk not in (LINKERD_SERVER, LINKERD_HTTPROUTE, HTTPROUTE) or not ctx.index.observed(gk):
        return
    if ctx.index.exists(ResourceKey(group, kind, namespace, name)):
        return
    yield ctx.mesh_finding(
        LK_004,
        policy,
        f"{policy.key} targets {kind} {namespace}/{name}, which does not exist: it authorizes "
        "nothing.",
        ref=Ref(group=group, kind=kind, namespace=namespace, name=name),
    )


def _authentications(ctx: MeshContext, policy: KubeObject) -> Iterator[Finding | None]:
    for raw in as_list(spec(policy.body).get("requiredAuthenticationRefs")):
        entry = as_map(raw)
        kind = as_str(entry.get("kind")) or ""
        gk = AUTHN_KINDS.get(kind)
        if gk is None or (as_str(entry.get("group")) or LINKERD_POLICY) != LINKERD_POLICY:
            continue  # ServiceAccount refs are identities built from the name, never looked up
        namespace = as_str(entry.get("namespace")) or policy.key.namespace
        name = as_str(entry.get("name")) or ""
        if not ctx.index.observed(gk) or ctx.index.exists(
            ResourceKey(gk.group, gk.kind, namespace, name)
        ):
            continue
        yield ctx.mesh_finding(
            LK_005,
            policy,
            f"{policy.key} requires {kind} {namespace}/{name}, which does not exist: the policy "
            "controller drops the policy and it authorizes nothing.",
            ref=Ref(group=gk.group, kind=kind, namespace=namespace, name=name),
        )
