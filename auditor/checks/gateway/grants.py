"""Cross-namespace references: RG-001, RG-002, RG-003 (RefNotPermitted), BE-001, BE-002, BE-003.

References (GATEWAY_SEMANTICS §3.1): route backendRefs of every route kind (rule level,
backendRef-level filters, requestMirror, externalAuth); Gateway and ListenerSet listener
``tls.certificateRefs`` (not for Passthrough); Gateway ``spec.tls.backend.clientCertificateRef`` and
frontend ``caCertificateRefs``; the XBackend and Envoy Gateway policy references listed in
``policyrefs`` (RG-003). One finding per (referring object, target object).

Order per reference: an unknown route backend group/kind is BE-002 InvalidKind (the kind is a
static property of the reference, so it reveals nothing about the other namespace); then a
cross-namespace reference no grant permits is RG-001 (route backend), RG-002 (Gateway/ListenerSet
certificate or CA) or RG-003 (policy, XBackend) RefNotPermitted whether or not the target exists;
then a permitted reference to a missing object of an observed kind is BE-001 BackendNotFound /
BE-003 InvalidCertificateRef. Routes whose parents are all Services (GAMMA) need no grant.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from auditor.checkids import BE_001, BE_002, BE_003, RG_001, RG_002, RG_003
from auditor.checks.common.fields import as_int, as_list, as_map, as_str, spec
from auditor.checks.gateway.context import Context
from auditor.checks.gateway.index import REFERENCEGRANT, Grant, Index
from auditor.checks.gateway.policyrefs import policy_references, policy_referrers
from auditor.checks.gateway.refs import (
    CertRole,
    Reference,
    backend_refs,
    backend_tls_ca_refs,
    certificate_refs,
    is_mesh_parent,
    matching_grants,
    route_parent_refs,
)
from auditor.keys import GroupKind, ResourceKey
from auditor.kinds import GATEWAY_X_GROUP, INFERENCE_POOL, INFERENCE_X_GROUP
from auditor.model import Finding, KubeObject

logger = logging.getLogger(__name__)

KNOWN_BACKEND_KINDS: frozenset[GroupKind] = frozenset(
    {
        GroupKind("", "Service"),
        GroupKind("multicluster.x-k8s.io", "ServiceImport"),
        GroupKind(GATEWAY_X_GROUP, "XBackend"),
        GroupKind("networking.istio.io", "Hostname"),
        INFERENCE_POOL,
        GroupKind(INFERENCE_X_GROUP, "InferencePool"),
    }
)
"""Backend kinds a conformant implementation may resolve: core Service and known extensions."""

_SECRET_KIND = GroupKind("", "Secret")
_CONFIGMAP_KIND = GroupKind("", "ConfigMap")


@dataclass(frozen=True, slots=True, kw_only=True)
class CertRule:
    """What a certificate field may name and the reasons a conformant controller sets."""

    kinds: frozenset[GroupKind] | None  # None: no kind rule (policy references)
    missing: str
    wrong_kind: str


CERT_RULES: dict[CertRole, CertRule] = {
    # gateway-invalid-tls-configuration: unsupported group or kind → InvalidCertificateRef.
    CertRole.LISTENER: CertRule(
        kinds=frozenset({_SECRET_KIND}),
        missing="InvalidCertificateRef",
        wrong_kind="InvalidCertificateRef",
    ),
    # gateway-invalid-tls-backend-configuration: every case → InvalidClientCertificateRef.
    CertRole.CLIENT: CertRule(
        kinds=frozenset({_SECRET_KIND}),
        missing="InvalidClientCertificateRef",
        wrong_kind="InvalidClientCertificateRef",
    ),
    # gateway-with-invalid-clientcertificate-validation: missing ConfigMap →
    # InvalidCACertificateRef, a Service → InvalidCACertificateKind. Secret is a common
    # implementation-specific kind, so it is not called invalid.
    CertRole.FRONTEND_CA: CertRule(
        kinds=frozenset({_CONFIGMAP_KIND, _SECRET_KIND}),
        missing="InvalidCACertificateRef",
        wrong_kind="InvalidCACertificateKind",
    ),
    # backendtlspolicy-invalid-ca-certificate-ref / backendtlspolicy-invalid-kind.
    CertRole.BACKEND_CA: CertRule(
        kinds=frozenset({_CONFIGMAP_KIND, _SECRET_KIND}),
        missing="InvalidCACertificateRef",
        wrong_kind="InvalidKind",
    ),
    CertRole.OTHER: CertRule(
        kinds=None, missing="InvalidCertificateRef", wrong_kind="InvalidCertificateRef"
    ),
}


@dataclass(slots=True, kw_only=True)
class TargetRefs:
    """All references of one referrer to one target object."""

    first: Reference
    fields: list[str] = field(default_factory=list)
    ports: set[int] = field(default_factory=set)
    listeners: list[str] = field(default_factory=list)

    def add(self, reference: Reference) -> None:
        self.fields.append(reference.field)
        if reference.port is not None:
            self.ports.add(reference.port)
        if reference.listener is not None and reference.listener not in self.listeners:
            self.listeners.append(reference.listener)

    @property
    def where(self) -> str:
        """`` (listener a, b)`` — or `` (port 443)`` for a perPort frontend CA ref — or empty."""
        if not self.listeners:
            return ""
        label = "port" if self.first.role == CertRole.FRONTEND_CA else "listener"
        return f" ({label} {', '.join(self.listeners)})"


@dataclass(slots=True, kw_only=True)
class ReferenceResult:
    """The findings and the grants that some reference of the state matched."""

    findings: list[Finding] = field(default_factory=list)
    used_grants: set[ResourceKey] = field(default_factory=set)
    refused: list[TargetRefs] = field(default_factory=list)
    """Cross-namespace (referrer, target) pairs no grant permits (even when RG-00x is disabled)."""


def reference_findings(ctx: Context) -> ReferenceResult:
    result = ReferenceResult()
    for target, mesh_only in grouped_references(ctx.index):
        _evaluate(ctx, result, target, mesh_only=mesh_only)
    return result


def grouped_references(index: Index) -> list[tuple[TargetRefs, bool]]:
    """Every (referrer, target) of the state with its references, and whether the referrer is a
    mesh-only route (all parents Services, so it needs no grant). Built once per view (memoised
    on the state: the view's checks and the Git-change comparison all read it)."""
    return index.state.memo(
        ("gateway-references", index.assume_namespace_labels),
        lambda: list(_grouped_references(index)),
    )


def _grouped_references(index: Index) -> Iterator[tuple[TargetRefs, bool]]:
    for route in index.routes:
        prefs = route_parent_refs(route)
        mesh_only = bool(prefs) and all(is_mesh_parent(p) for p in prefs)
        for target in _grouped(backend_refs(route)):
            yield target, mesh_only
    for parent in [*index.gateways.values(), *index.listenersets.values()]:
        for target in _grouped(certificate_refs(parent)):
            yield target, False
    for policy in index.backend_tls_policies:
        for target in _grouped(backend_tls_ca_refs(policy)):
            yield target, False
    for referrer in policy_referrers(index):
        for target in _grouped(policy_references(referrer)):
            yield target, False


def needs_grant(target: TargetRefs, *, mesh_only: bool) -> bool:
    """A cross-namespace reference that only a ReferenceGrant can permit (not an unknown backend
    kind, which is refused as InvalidKind first, and not from a mesh-only route)."""
    reference = target.first
    if not reference.cross_namespace or mesh_only:
        return False
    return not is_route_backend(reference) or reference.target.group_kind in KNOWN_BACKEND_KINDS


def is_route_backend(reference: Reference) -> bool:
    return not reference.certificate and not reference.policy


def _grouped(references: Iterator[Reference]) -> list[TargetRefs]:
    targets: dict[ResourceKey, TargetRefs] = {}
    for reference in references:
        targets.setdefault(reference.target, TargetRefs(first=reference)).add(reference)
    return list(targets.values())


def _evaluate(
    ctx: Context, result: ReferenceResult, target: TargetRefs, *, mesh_only: bool
) -> None:
    reference = target.first
    key = reference.target
    if is_route_backend(reference) and key.group_kind not in KNOWN_BACKEND_KINDS:
        _emit(
            ctx,
            result,
            BE_002,
            target,
            "InvalidKind",
            f"{_kind(key)} is not a backend kind a conformant implementation resolves",
        )
        return
    rule = CERT_RULES[reference.role]
    if reference.certificate and rule.kinds is not None and key.group_kind not in rule.kinds:
        allowed = " or ".join(sorted(str(k) for k in rule.kinds))
        _emit(
            ctx,
            result,
            BE_003,
            target,
            rule.wrong_kind,
            f"{_kind(key)} is not a kind this field resolves (expected {allowed})",
        )
        return
    if reference.cross_namespace and not mesh_only and not ctx.index.observed(REFERENCEGRANT):
        return  # without the grants, whether the reference is permitted is unknown
    if reference.cross_namespace:
        grants = matching_grants(ctx.index, reference)
        result.used_grants.update(g.key for g in grants)
        if not grants and not mesh_only:
            result.refused.append(target)
            _refused(ctx, result, target)
            return
    _existence(ctx, result, target)


def _refused(ctx: Context, result: ReferenceResult, target: TargetRefs) -> None:
    ref = target.first
    src = ref.referrer.key
    why = (
        f"the reference is not permitted: no ReferenceGrant in namespace {ref.target.namespace} allows "
        f"from {{group: {src.group!r}, kind: {src.kind}, namespace: {src.namespace}}} to "
        f"{{group: {ref.target.group!r}, kind: {ref.target.kind}, name: {ref.target.name}}}"
    )
    check = RG_003 if ref.policy else RG_002 if ref.certificate else RG_001
    _emit(ctx, result, check, target, "RefNotPermitted", why)


def _existence(ctx: Context, result: ReferenceResult, target: TargetRefs) -> None:
    ref = target.first
    key = ref.target
    if not ctx.index.observed(key.group_kind):
        return
    check, reason = (
        (BE_003, CERT_RULES[ref.role].missing) if ref.certificate else (BE_001, "BackendNotFound")
    )
    obj = ctx.index.state.objects.get(key)
    if obj is None:
        _emit(
            ctx,
            result,
            check,
            target,
            reason,
            f"{_kind(key)} {key.namespace}/{key.name} does not exist",
        )
        return
    missing = _missing_ports(obj, target.ports) if not ref.certificate else []
    if missing:
        ports = ", ".join(str(p) for p in missing)
        _emit(
            ctx,
            result,
            check,
            target,
            reason,
            f"Service {key.namespace}/{key.name} has no port {ports}",
        )


def _missing_ports(service: KubeObject, ports: set[int]) -> list[int]:
    """Ports the backendRefs use that a core Service does not declare (ExternalName exempt)."""
    if service.key.group_kind != GroupKind("", "Service"):
        return []
    body_spec = spec(service.body)
    declared = {as_int(as_map(p).get("port")) for p in as_list(body_spec.get("ports"))}
    if as_str(body_spec.get("type")) == "ExternalName" or not declared:
        return []
    return sorted(p for p in ports if p not in declared)


def _emit(
    ctx: Context, result: ReferenceResult, check: str, target: TargetRefs, reason: str, why: str
) -> None:
    ref = target.first
    where = ", ".join(target.fields[:3]) + (" …" if len(target.fields) > 3 else "")
    listeners = target.where
    message = f"{ref.referrer.key}{listeners} references {_describe(ref)} at {where}: {why}; reason {reason}."
    found = ctx.finding(
        check,
        ref.referrer,
        message,
        ref=ref.ref,
        reason=reason,
        listener=target.listeners[0] if target.listeners else None,
        other_namespace=ref.target.namespace,
    )
    if found is not None:
        result.findings.append(found)


def _describe(ref: Reference) -> str:
    return f"{_kind(ref.target)} {ref.target.namespace}/{ref.target.name}"


def _kind(key: ResourceKey) -> str:
    return str(key.group_kind)


def grant_used(grant: Grant, used: set[ResourceKey]) -> bool:
    return grant.key in used
