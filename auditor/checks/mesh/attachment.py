"""Policy attachment check PA-001 (MESH_SEMANTICS §3): a ``targetRefs`` entry of a policy kind
other than the Istio and Linkerd AuthorizationPolicies (which report AZ-002 and LK-004) that names
nothing, or names a ``sectionName`` its target does not have (a Service port name, a Gateway
listener name).

Istio's own kinds (RequestAuthentication, Telemetry, WasmPlugin) are judged only when Istio is
installed; Gateway API and vendor policies always.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from auditor.checkids import PA_001
from auditor.checks.common.fields import as_list, as_map, as_str, spec
from auditor.checks.mesh.authz import target_ref
from auditor.checks.mesh.context import MeshContext
from auditor.checks.mesh.index import (
    GATEWAY,
    REQUEST_AUTHENTICATION,
    TELEMETRY,
    WASM_PLUGIN,
)
from auditor.checks.mesh.istio import target_refs
from auditor.keys import GroupKind, ResourceKey
from auditor.kinds import GATEWAY_KINDS, SERVICE, VENDOR_POLICY_KINDS
from auditor.model import Finding, KubeObject

logger = logging.getLogger(__name__)

ISTIO_POLICY_KINDS = (REQUEST_AUTHENTICATION, TELEMETRY, WASM_PLUGIN)
OTHER_POLICY_KINDS = (
    *(gk for gk in GATEWAY_KINDS if gk.kind.endswith("Policy")),
    *VENDOR_POLICY_KINDS,
)
DEFAULT_GROUPS = {"Service": "", "ServiceEntry": "networking.istio.io"}


def attachment_findings(ctx: MeshContext) -> Iterator[Finding | None]:
    kinds = (*(ISTIO_POLICY_KINDS if ctx.index.meshes.istio else ()), *OTHER_POLICY_KINDS)
    for gk in kinds:
        for policy in ctx.index.of_kind(gk):
            yield from _dangling(ctx, policy)


def _dangling(ctx: MeshContext, policy: KubeObject) -> Iterator[Finding | None]:
    index = ctx.index
    for raw in target_refs(policy.body):
        kind = as_str(raw.get("kind")) or ""
        defaults = {kind: GroupKind(DEFAULT_GROUPS.get(kind, GATEWAY.group), kind)}
        ref = target_ref(policy, raw, defaults)
        gk = GroupKind(ref.group, ref.kind)
        if not index.observed(gk):
            continue
        target = index.get(ResourceKey(ref.group, ref.kind, ref.namespace, ref.name))
        if target is None:
            problem = "which does not exist"
        elif ref.section_name is not None and ref.section_name not in _sections(target):
            problem = f"which has no port or listener named {ref.section_name}"
        else:
            continue
        yield ctx.mesh_finding(
            PA_001,
            policy,
            f"{policy.key} targets {ref.kind} {ref.namespace + '/' if ref.namespace else ''}"
            f"{ref.name}, {problem}: the policy attaches to nothing there.",
            ref=ref,
        )


def _sections(target: KubeObject) -> set[str]:
    """Names a ``sectionName`` can select: Service port names, Gateway listener names."""
    field = "ports" if target.key.group_kind == SERVICE else "listeners"
    return {
        name
        for item in as_list(spec(target.body).get(field))
        if (name := as_str(as_map(item).get("name")))
    }
