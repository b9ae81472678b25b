"""Listener and Gateway validity: PDA-LS-001 … PDA-LS-004, the conditions a conformant controller
sets on a listener or Gateway from its spec alone.

- LS-001 (listener ``ResolvedRefs=False``, ``InvalidRouteKinds``): an explicit
  ``allowedRoutes.kinds`` entry that is not a route kind or that the listener's core protocol
  cannot carry (GATEWAY_SEMANTICS §2.3; conformance GatewayInvalidRouteKind,
  TLSRouteListenerPassthroughSupportedKinds, ListenerSetAllowedRoutesSupportedKinds). The valid
  entries still attach routes.
- LS-002 (listener ``Accepted=False``, ``UnsupportedProtocol``): a protocol that is neither a core
  protocol (HTTP, HTTPS, TLS, TCP, UDP) nor domain-prefixed (conformance
  GatewayInvalidListenersUnsupportedProtocol).
- LS-003 (listener ``Programmed=False``, ``Invalid``): an HTTPS listener, or a TLS listener in
  mode Terminate, with no ``tls.certificateRefs`` ("required to have at least one element when
  the mode is set to Terminate", ListenerTLSConfig godoc; the v1.6.0-rc.1 CEL rule was reverted,
  so the API server admits it).
- LS-004 (Gateway ``Accepted=False``, ``InvalidParameters``): ``spec.infrastructure.parametersRef``
  names an object that does not exist (conformance GatewayInvalidParametersRef). Judged when the
  kind was read, and in the manifests view (where what is absent from the input does not exist).

Findings are about the Gateway or ListenerSet; ``listener`` and ``ref`` (owner + sectionName)
name the listener, so each listener has its own finding id. Category ``status``: a predicted
negative condition, not an attachment refused for a route.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from auditor.checkids import LS_001, LS_002, LS_003, LS_004
from auditor.checks.common.fields import as_list, as_map, as_str, path, spec
from auditor.checks.gateway.context import Context
from auditor.checks.gateway.index import Listener, Parent
from auditor.checks.gateway.listeners import PROTOCOL_KINDS, invalid_kinds, protocol_supported
from auditor.checks.gateway.tenancy import listener_ref
from auditor.keys import GroupKind, ResourceKey
from auditor.kinds import GATEWAY_GROUP
from auditor.model import Finding, Ref, View

logger = logging.getLogger(__name__)


def validity_findings(ctx: Context) -> Iterator[Finding | None]:
    for parent in [*ctx.index.gateways.values(), *ctx.index.listenersets.values()]:
        for listener in parent.listeners:
            yield _unsupported_protocol(ctx, parent, listener)
            yield _invalid_kinds(ctx, parent, listener)
            yield _no_certificates(ctx, parent, listener)
    for gateway in ctx.index.gateways.values():
        yield _parameters(ctx, gateway)


def _on_listener(
    ctx: Context, check: str, parent: Parent, listener: Listener, reason: str, message: str
) -> Finding | None:
    """A finding about one listener: ``listener`` and ``ref`` (owner + sectionName) name it."""
    return ctx.finding(
        check,
        parent.obj,
        message,
        reason=reason,
        listener=listener.name,
        ref=listener_ref(listener),
    )


def _where(parent: Parent, listener: Listener) -> str:
    return f"Listener {listener.name} of {parent.key.kind} {parent.key.namespace}/{parent.key.name}"


def _unsupported_protocol(ctx: Context, parent: Parent, listener: Listener) -> Finding | None:
    if protocol_supported(listener.protocol):
        return None
    core = ", ".join(PROTOCOL_KINDS)
    shown = repr(listener.protocol) if listener.protocol else "<missing>"
    return _on_listener(
        ctx,
        LS_002,
        parent,
        listener,
        "UnsupportedProtocol",
        f"{_where(parent, listener)} has protocol {shown}, which is neither a core protocol "
        f"({core}) nor domain-prefixed (example.com/proto): the listener is Accepted=False "
        f"with reason UnsupportedProtocol and no route attaches to it.",
    )


def _kind_text(gk: GroupKind) -> str:
    return gk.kind if gk.group == GATEWAY_GROUP else f"{gk.group or 'core'}/{gk.kind}"


def _invalid_kinds(ctx: Context, parent: Parent, listener: Listener) -> Finding | None:
    bad = invalid_kinds(listener)
    if not bad:
        return None
    valid = [gk for gk in listener.kinds if gk not in bad]
    still = (
        f"; routes of kind {', '.join(_kind_text(gk) for gk in valid)} still attach"
        if valid
        else "; no route kind is left, so no route attaches"
    )
    carries = ", ".join(sorted(PROTOCOL_KINDS[listener.protocol]))
    return _on_listener(
        ctx,
        LS_001,
        parent,
        listener,
        "InvalidRouteKinds",
        f"{_where(parent, listener)} lists allowedRoutes.kinds "
        f"{', '.join(_kind_text(gk) for gk in bad)}, which protocol {listener.protocol} cannot "
        f"carry (unknown route kinds or kinds of another protocol; it carries {carries}): "
        f"ResolvedRefs=False with reason InvalidRouteKinds{still}.",
    )


def _no_certificates(ctx: Context, parent: Parent, listener: Listener) -> Finding | None:
    terminates = listener.protocol == "HTTPS" or (
        listener.protocol == "TLS" and listener.tls_mode == "Terminate"
    )
    if not terminates or as_list(path(listener.body, "tls", "certificateRefs")):
        return None
    mode = "HTTPS" if listener.protocol == "HTTPS" else "TLS mode Terminate"
    return _on_listener(
        ctx,
        LS_003,
        parent,
        listener,
        "Invalid",
        f"{_where(parent, listener)} terminates TLS ({mode}) but sets no tls.certificateRefs: "
        f"it has no certificate to serve, so it is not programmed (reason Invalid).",
    )


def _parameters(ctx: Context, gateway: Parent) -> Finding | None:
    raw = path(spec(gateway.obj.body), "infrastructure", "parametersRef")
    if raw is None:
        return None
    entry = as_map(raw)
    group = as_str(entry.get("group"))
    target = ResourceKey(
        group if group is not None else "",
        as_str(entry.get("kind")) or "",
        gateway.key.namespace,
        as_str(entry.get("name")) or "",
    )
    gk = target.group_kind
    index = ctx.index
    # In the manifests view anything absent from the input does not exist (DESIGN §3); in the
    # Git and live views only a kind that was read can be said to lack the object.
    if index.exists(target) or not (index.observed(gk) or index.state.view == View.MANIFESTS):
        return None
    why = f"no {gk} named {target.name} exists in namespace {target.namespace}"
    return ctx.finding(
        LS_004,
        gateway.obj,
        f"Gateway {gateway.key.namespace}/{gateway.key.name} spec.infrastructure.parametersRef "
        f"names {gk} {target.name}, but {why}: the Gateway is Accepted=False with reason "
        f"InvalidParameters.",
        reason="InvalidParameters",
        ref=Ref(group=target.group, kind=target.kind, namespace=target.namespace, name=target.name),
    )
