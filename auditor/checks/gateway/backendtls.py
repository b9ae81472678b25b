"""BackendTLSPolicy (standard since v1.4): BT-001 conflicts, BT-002 invalid CA configuration. Its
``validation.caCertificateRefs`` are judged with the other certificate references in ``grants``
(BE-003 ``InvalidCACertificateRef`` / ``InvalidKind``); targets that name nothing are PA-001 of the
policy-attachment check (``checks/mesh/attachment``), which covers every Gateway API policy kind.
- BT-001 (``Accepted=False``, ``Conflicted``; ``ref`` = the contested target): two policies target
  the same object and the same ``sectionName`` (or both none). The older policy wins
  (creationTimestamp, then namespace/name: BackendTLSPolicySpec.targetRefs godoc, GEP-713); every
  other one is reported naming the winner (conformance BackendTLSPolicyConflictResolution). A
  policy with a sectionName and one without do not conflict.
- BT-002 (``Accepted=False``, ``Invalid``): ``wellKnownCACertificates`` together with
  ``caCertificateRefs``, or neither (the CEL rules of BackendTLSValidation: refused at admission,
  so reported before merge), a ``wellKnownCACertificates`` value other than ``System`` ("not
  recognized" → Invalid), or a ``caCertificateRefs`` entry that names another namespace (a
  LocalObjectReference has no namespace: the API server prunes the field and the reference
  resolves in the policy's own namespace instead; "a resource in another namespace … is invalid").
  An invalid policy takes no part in BT-001 conflict resolution (it is not Accepted itself).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from auditor.checkids import BT_001, BT_002
from auditor.checks.common.fields import as_list, as_map, as_str, path, spec
from auditor.checks.gateway.context import Context
from auditor.checks.gateway.evaluate import created
from auditor.model import Finding, KubeObject, Ref

logger = logging.getLogger(__name__)

WELL_KNOWN = frozenset({"System"})


def backend_tls_findings(ctx: Context) -> Iterator[Finding | None]:
    claims: dict[Ref, list[KubeObject]] = {}
    for policy in ctx.index.backend_tls_policies:
        problems = _problems(policy)
        for target in _targets(policy):
            if not problems:
                claims.setdefault(target, []).append(policy)
        if problems:
            yield ctx.finding(
                BT_002,
                policy,
                f"{policy.key} has an invalid TLS validation: {'; '.join(problems)}; the policy "
                f"is Accepted=False with reason Invalid (or refused at admission).",
                reason="Invalid",
            )
    for target, policies in claims.items():
        ordered = sorted(
            {p.key: p for p in policies}.values(),
            key=lambda p: (created(p), p.key.namespace, p.key.name),
        )
        for loser in ordered[1:]:
            yield _conflicted(ctx, loser, ordered[0], target)


def _targets(policy: KubeObject) -> list[Ref]:
    out = []
    for raw in map(as_map, as_list(spec(policy.body).get("targetRefs"))):
        group = raw.get("group")
        out.append(
            Ref(
                group=group if isinstance(group, str) else "",
                kind=as_str(raw.get("kind")) or "",
                namespace=policy.key.namespace,
                name=as_str(raw.get("name")) or "",
                section_name=as_str(raw.get("sectionName")) or None,
            )
        )
    return out


def _describe(target: Ref) -> str:
    kind = target.kind if not target.group else f"{target.group}/{target.kind}"
    section = f" (sectionName {target.section_name})" if target.section_name else ""
    return f"{kind} {target.namespace}/{target.name}{section}"


def _conflicted(ctx: Context, loser: KubeObject, winner: KubeObject, target: Ref) -> Finding | None:
    return ctx.finding(
        BT_001,
        loser,
        f"{loser.key} targets {_describe(target)}, which the older {winner.key} already targets "
        f"with the same sectionName: the older policy wins, this one is Accepted=False with "
        f"reason Conflicted and has no effect.",
        reason="Conflicted",
        ref=target,
        other_namespace=winner.key.namespace,
    )


def _problems(policy: KubeObject) -> list[str]:
    validation = as_map(spec(policy.body).get("validation"))
    refs = as_list(validation.get("caCertificateRefs"))
    well_known = as_str(validation.get("wellKnownCACertificates")) or ""
    problems: list[str] = []
    if refs and well_known:
        problems.append("it sets both caCertificateRefs and wellKnownCACertificates")
    elif not refs and not well_known:
        problems.append("it sets neither caCertificateRefs nor wellKnownCACertificates")
    if well_known and well_known not in WELL_KNOWN:
        problems.append(
            f"wellKnownCACertificates {well_known!r} is not a recognized value (System)"
        )
    for i, raw in enumerate(refs):
        namespace = as_str(path(raw, "namespace"))
        if namespace and namespace != policy.key.namespace:
            problems.append(
                f"caCertificateRefs[{i}] names namespace {namespace}, but CA references are local: "
                f"the field is pruned and the reference resolves in {policy.key.namespace}"
            )
    return problems
