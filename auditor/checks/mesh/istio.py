"""The Istio vocabulary of MESH_SEMANTICS §2: enrollment, ambient, waypoints and their bindings,
ztunnel-bound AuthorizationPolicies, HTTP attributes, and what istiod's ztunnel translator makes
of a policy with HTTP attributes.

The translation follows istio/istio ``pilot/pkg/serviceregistry/ambient/authorization.go``
(``convertAuthorizationPolicy``, ``handleRule``, ``hasEffectiveRules``): in an ALLOW policy a rule
with HTTP attributes is dropped; in a DENY policy its HTTP parts are dropped and the rest kept, and
a rule whose every remaining match is empty never fires, so a DENY left with no firing rule has no
effect at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from auditor.checks.common.fields import as_list, as_map, as_str, labels_of, path, spec
from auditor.checks.mesh.index import (
    GATEWAY,
    GATEWAYCLASS,
    WAYPOINT_CLASS,
    WAYPOINT_CONTROLLER,
    MeshIndex,
    Workload,
)
from auditor.keys import ResourceKey
from auditor.model import KubeObject, Ref

logger = logging.getLogger(__name__)

INJECTION = "istio-injection"
REVISION = "istio.io/rev"
DATAPLANE_MODE = "istio.io/dataplane-mode"
USE_WAYPOINT = "istio.io/use-waypoint"
USE_WAYPOINT_NAMESPACE = "istio.io/use-waypoint-namespace"
WAYPOINT_FOR = "istio.io/waypoint-for"
DRY_RUN = "istio.io/dry-run"
SIDECAR_INJECT = "sidecar.istio.io/inject"

HTTP_OPERATION_FIELDS = ("hosts", "notHosts", "methods", "notMethods", "paths", "notPaths")
HTTP_SOURCE_FIELDS = (
    "requestPrincipals",
    "notRequestPrincipals",
    "remoteIpBlocks",
    "notRemoteIpBlocks",
    "trustDomains",
    "notTrustDomains",
)
L4_SOURCE_FIELDS = (
    "ipBlocks",
    "notIpBlocks",
    "namespaces",
    "notNamespaces",
    "serviceAccounts",
    "notServiceAccounts",
    "principals",
    "notPrincipals",
)
L4_WHEN_KEYS = frozenset(
    {"source.ip", "source.namespace", "source.principal", "destination.ip", "destination.port"}
)


# -- enrollment -----------------------------------------------------------------------------------


def enrolled_namespace(labels: Mapping[str, str]) -> bool:
    return (
        labels.get(INJECTION) == "enabled"
        or REVISION in labels
        or labels.get(DATAPLANE_MODE) == "ambient"
    )


def ambient_namespace(labels: Mapping[str, str]) -> bool:
    """Ambient unless sidecar injection also applies (injection wins)."""
    return (
        labels.get(DATAPLANE_MODE) == "ambient"
        and labels.get(INJECTION) != "enabled"
        and REVISION not in labels
    )


def enrolled_workload(index: MeshIndex, workload: Workload) -> bool:
    """In the mesh: an ambient workload, or a pod of a sidecar-injected namespace that does not
    refuse injection (``sidecar.istio.io/inject: "false"``, label over annotation)."""
    labels = index.labels_of(workload.namespace)
    if ambient_namespace(labels):
        return workload.labels.get(DATAPLANE_MODE) != "none"
    # the label wins over the annotation (istioctl's injection analyzer)
    inject = workload.labels.get(SIDECAR_INJECT, workload.annotations.get(SIDECAR_INJECT, ""))
    return enrolled_namespace(labels) and inject.lower() != "false"


# -- waypoints ------------------------------------------------------------------------------------


class Traffic(StrEnum):
    """What a waypoint binding carries: a Service's (or ServiceEntry's) or a workload's traffic."""

    SERVICE = "service"
    WORKLOAD = "workload"
    NAMESPACE = "namespace"


def is_waypoint(index: MeshIndex, gateway: KubeObject) -> bool:
    class_name = as_str(spec(gateway.body).get("gatewayClassName")) or ""
    gateway_class = index.get(ResourceKey(GATEWAYCLASS.group, GATEWAYCLASS.kind, "", class_name))
    if gateway_class is not None:
        return as_str(spec(gateway_class.body).get("controllerName")) == WAYPOINT_CONTROLLER
    return class_name == WAYPOINT_CLASS


def waypoint_for(gateway: KubeObject) -> str:
    return labels_of(gateway.body).get(WAYPOINT_FOR, "service")


def covers(waypoint_traffic: str, traffic: Traffic) -> bool:
    match traffic:
        case Traffic.SERVICE:
            return waypoint_traffic in ("service", "all")
        case Traffic.WORKLOAD:
            return waypoint_traffic in ("workload", "all")
        case _:
            return waypoint_traffic != "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class Binding:
    """A ``use-waypoint`` label in effect for a resource: the Gateway it names and who set it."""

    gateway: ResourceKey
    labelled: KubeObject | None
    """The object carrying the label (the resource itself or its Namespace; None when the
    Namespace object is not in the state)."""

    @property
    def ref(self) -> Ref:
        return Ref(
            group=self.gateway.group,
            kind=self.gateway.kind,
            namespace=self.gateway.namespace,
            name=self.gateway.name,
        )


def own_binding(obj: KubeObject, labels: Mapping[str, str]) -> Binding | None:
    """The binding set by ``labels`` on ``obj`` itself (None: no label, or ``none``)."""
    name = labels.get(USE_WAYPOINT)
    if not name or name == "none":
        return None
    namespace = labels.get(USE_WAYPOINT_NAMESPACE) or obj.key.namespace or obj.key.name
    key = ResourceKey(GATEWAY.group, GATEWAY.kind, namespace, name)
    return Binding(gateway=key, labelled=obj)


def binding(index: MeshIndex, obj: KubeObject, labels: Mapping[str, str]) -> Binding | None:
    """The binding of a Service, ServiceEntry or workload: its own label overrides its
    Namespace's; ``none`` on the resource opts out of the namespace's waypoint."""
    if USE_WAYPOINT in labels:
        return own_binding(obj, labels)
    namespace = obj.key.namespace
    ns_obj = index.namespaces.get(namespace)
    ns_labels = index.labels_of(namespace)
    name = ns_labels.get(USE_WAYPOINT)
    if not name or name == "none":
        return None
    gw_ns = ns_labels.get(USE_WAYPOINT_NAMESPACE) or namespace
    return Binding(gateway=ResourceKey(GATEWAY.group, GATEWAY.kind, gw_ns, name), labelled=ns_obj)


def binding_problem(index: MeshIndex, bound: Binding, traffic: Traffic) -> str | None:
    """Why ``bound`` does not work for ``traffic`` (None: it works, or Gateways were not read
    and it cannot be judged)."""
    gateway = index.get(bound.gateway)
    where = f"{bound.gateway.namespace}/{bound.gateway.name}"
    if gateway is None and not index.observed(GATEWAY):
        return None
    if gateway is None:
        return f"waypoint {where} does not exist"
    if not is_waypoint(index, gateway):
        return f"Gateway {where} is not a waypoint (its class is not istio.io/mesh-controller)"
    carries = waypoint_for(gateway)
    if not covers(carries, traffic):
        return (
            f"waypoint {where} has waypoint-for: {carries}, which does not take {traffic} traffic"
        )
    return None


def working_waypoint(
    index: MeshIndex, obj: KubeObject, traffic: Traffic = Traffic.SERVICE
) -> KubeObject | None:
    """The waypoint that really takes ``obj``'s traffic, or None."""
    bound = binding(index, obj, labels_of(obj.body))
    if bound is None or binding_problem(index, bound, traffic) is not None:
        return None
    return index.get(bound.gateway)


def waypoint_identity(index: MeshIndex, waypoint: KubeObject) -> str:
    """``<trustDomain>/ns/<namespace>/sa/<gateway name>``."""
    td = index.meshes.trust_domain
    return f"{td}/ns/{waypoint.key.namespace}/sa/{waypoint.key.name}"


# -- AuthorizationPolicy --------------------------------------------------------------------------


def target_refs(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """``spec.targetRefs`` plus the deprecated single ``spec.targetRef``."""
    s = spec(body)
    refs = [as_map(r) for r in as_list(s.get("targetRefs"))]
    single = s.get("targetRef")
    if isinstance(single, Mapping):
        refs.append(as_map(single))
    return refs


def action(body: Mapping[str, Any]) -> str:
    return as_str(spec(body).get("action")) or "ALLOW"


def selector_labels(body: Mapping[str, Any]) -> Mapping[str, str] | None:
    """``spec.selector.matchLabels`` (None: no selector, namespace-wide)."""
    raw = path(body, "spec", "selector", "matchLabels")
    labels = {str(k): str(v) for k, v in as_map(raw).items()}
    return labels or None


def selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def rules(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [as_map(r) for r in as_list(spec(body).get("rules"))]


def _operations(rule: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [as_map(as_map(t).get("operation")) for t in as_list(rule.get("to"))]


def _sources(rule: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [as_map(as_map(f).get("source")) for f in as_list(rule.get("from"))]


def _conditions(rule: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [as_map(w) for w in as_list(rule.get("when"))]


def rule_http_attributes(rule: Mapping[str, Any]) -> set[str]:
    found = {f for op in _operations(rule) for f in HTTP_OPERATION_FIELDS if as_list(op.get(f))}
    found |= {f for src in _sources(rule) for f in HTTP_SOURCE_FIELDS if as_list(src.get(f))}
    found |= {
        key
        for cond in _conditions(rule)
        if (key := as_str(cond.get("key")) or "") and key not in L4_WHEN_KEYS
    }
    return found


def http_attributes(body: Mapping[str, Any]) -> list[str]:
    """The HTTP attributes ztunnel cannot enforce, sorted (empty: an L4-only policy)."""
    return sorted({a for rule in rules(body) for a in rule_http_attributes(rule)})


def _ports(values: Iterable[Any]) -> bool:
    return any(str(v).isdigit() and int(str(v)) <= 65535 for v in values)


def _fires(rule: Mapping[str, Any]) -> bool:
    """Whether ztunnel's form of a DENY rule can match: every clause (to, from, each when)
    keeps at least one non-empty match once HTTP attributes are dropped."""
    clauses: list[list[bool]] = []
    if as_list(rule.get("to")):
        clauses.append(
            [
                _ports(as_list(op.get("ports")) + as_list(op.get("notPorts")))
                for op in _operations(rule)
            ]
        )
    if as_list(rule.get("from")):
        clauses.append(
            [any(as_list(src.get(f)) for f in L4_SOURCE_FIELDS) for src in _sources(rule)]
        )
    for cond in _conditions(rule):
        key = as_str(cond.get("key")) or ""
        values = as_list(cond.get("values")) + as_list(cond.get("notValues"))
        if key == "destination.port":
            clauses.append([_ports(values)])
        else:
            clauses.append([key in L4_WHEN_KEYS and bool(values)])
    return all(any(clause) for clause in clauses)


class ZtunnelOutcome(StrEnum):
    ALLOW_NARROWED = "allow-narrowed"
    DENY_NO_EFFECT = "deny-no-effect"
    DENY_BROADENED = "deny-broadened"


def ztunnel_outcome(body: Mapping[str, Any]) -> ZtunnelOutcome | None:
    """What ztunnel makes of an ALLOW or DENY policy with HTTP attributes (None: none)."""
    if not http_attributes(body):
        return None
    match action(body):
        case "ALLOW":
            return ZtunnelOutcome.ALLOW_NARROWED
        case "DENY":
            if any(_fires(rule) for rule in rules(body)):
                return ZtunnelOutcome.DENY_BROADENED
            return ZtunnelOutcome.DENY_NO_EFFECT
        case _:
            return None


def allows_nothing(body: Mapping[str, Any]) -> bool:
    """No selector, no targetRefs, ALLOW and no rules: the baseline deny-by-default policy."""
    return (
        selector_labels(body) is None
        and not target_refs(body)
        and action(body) == "ALLOW"
        and not rules(body)
    )


def ztunnel_bound(index: MeshIndex, policy: KubeObject) -> bool:
    """No targetRefs, and a scope over ambient workloads: in an ambient namespace, or in the
    root namespace (mesh-wide)."""
    if target_refs(policy.body):
        return False
    namespace = policy.key.namespace
    return namespace == index.meshes.root_namespace or ambient_namespace(index.labels_of(namespace))


def dry_run(body: Mapping[str, Any]) -> bool:
    value = as_str(as_map(path(body, "metadata", "annotations")).get(DRY_RUN)) or ""
    return value.lower() in ("true", "1", "t")


def covered_workloads(index: MeshIndex, policy: KubeObject) -> list[Workload]:
    """The workloads a policy without targetRefs applies to (root namespace: mesh-wide)."""
    namespace = policy.key.namespace
    pool = (
        index.all_workloads()
        if namespace == index.meshes.root_namespace
        else list(index.workloads.get(namespace, ()))
    )
    selector = selector_labels(policy.body)
    if selector is None:
        return pool
    return [w for w in pool if selects(selector, w.labels)]


def applies_to(policy: KubeObject, workload: Workload) -> bool:
    """Whether a policy without targetRefs, in the workload's namespace or the root namespace,
    selects the workload (no selector: all of them)."""
    selector = selector_labels(policy.body)
    return selector is None or selects(selector, workload.labels)


def admits_only(body: Mapping[str, Any], identity: str) -> bool:
    """An ALLOW whose every rule admits only ``identity`` (by principal or service account)."""
    namespace_sa = identity.split("/ns/", 1)[-1].replace("/sa/", "/")
    found = rules(body)
    if not found:
        return False
    for rule in found:
        sources = _sources(rule)
        if not sources:
            return False
        for src in sources:  # a source's fields are ANDed: others only narrow it further
            principals = {str(p) for p in as_list(src.get("principals"))}
            accounts = {str(a) for a in as_list(src.get("serviceAccounts"))}
            if not principals and not accounts:
                return False
            if principals - {identity} or accounts - {namespace_sa}:
                return False
    return True
