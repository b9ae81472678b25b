"""Listener logic: candidates, allowed kinds, allowed namespaces, hostname intersection.

Owns GATEWAY_SEMANTICS §2.2 (sectionName/port candidates), §2.3 (protocol compatibility and the
explicit ``kinds`` list), §2.4 (``allowedRoutes.namespaces`` incl. label selectors) and §2.5
(hostname intersection and wildcard containment). Pure functions of their arguments.

Decisions: GRPCRoute is in the default kind set of HTTP and HTTPS listeners (a conformant superset);
a listener with a domain-prefixed, implementation-specific protocol (``example.com/proto``) is
assumed to carry any route kind its explicit ``kinds`` list names, or every kind when the list is
empty, so that the auditor never refuses what it cannot know. A protocol that is neither core nor
domain-prefixed is ``UnsupportedProtocol`` (conformance GatewayInvalidListenersUnsupportedProtocol:
``supportedKinds: []``), so it carries no kind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from auditor.checks.common.fields import as_list, as_map, as_str
from auditor.checks.common.selectors import selector_matches
from auditor.checks.gateway.index import METADATA_NAME, Listener
from auditor.keys import GroupKind
from auditor.kinds import GATEWAY_GROUP
from auditor.model import KubeObject

logger = logging.getLogger(__name__)

PROTOCOL_KINDS: Mapping[str, frozenset[str]] = {
    "HTTP": frozenset({"HTTPRoute", "GRPCRoute"}),
    "HTTPS": frozenset({"HTTPRoute", "GRPCRoute"}),
    "TLS": frozenset({"TLSRoute"}),
    "TCP": frozenset({"TCPRoute"}),
    "UDP": frozenset({"UDPRoute"}),
}
HOSTNAME_KINDS = frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute"})


def candidates(
    listeners: Iterable[Listener], section_name: str | None, port: int | None
) -> tuple[Listener, ...]:
    """§2.2: the listeners a parentRef's sectionName and/or port select."""
    return tuple(
        lst
        for lst in listeners
        if (section_name is None or lst.name == section_name) and (port is None or lst.port == port)
    )


def kind_allowed(listener: Listener, kind: GroupKind) -> bool:
    """§2.3: the protocol can carry ``kind`` and the explicit ``kinds`` list (if any) names it."""
    if not protocol_supported(listener.protocol):
        return False
    compatible = PROTOCOL_KINDS.get(listener.protocol)
    if compatible is not None and (kind.group != GATEWAY_GROUP or kind.kind not in compatible):
        return False
    return not listener.kinds or kind in listener.kinds


def protocol_supported(protocol: str) -> bool:
    """A core protocol, or a domain-prefixed implementation-specific one (GEP: ProtocolType)."""
    return protocol in PROTOCOL_KINDS or "/" in protocol


def invalid_kinds(listener: Listener) -> tuple[GroupKind, ...]:
    """Entries of an explicit ``allowedRoutes.kinds`` that are not route kinds or that a core
    protocol cannot carry (§2.3, conformance GatewayInvalidRouteKind,
    TLSRouteListenerPassthroughSupportedKinds). Empty for implementation-specific protocols."""
    compatible = PROTOCOL_KINDS.get(listener.protocol)
    if compatible is None:
        return ()
    return tuple(
        gk for gk in listener.kinds if gk.group != GATEWAY_GROUP or gk.kind not in compatible
    )


def namespace_allowed(listener: Listener, namespace: str, labels: Mapping[str, str]) -> bool:
    """§2.4: ``allowedRoutes.namespaces`` admits a route in ``namespace`` with Namespace ``labels``."""
    match listener.namespaces_from:
        case "All":
            return True
        case "Same":
            return namespace == listener.owner.namespace
        case "Selector":
            return selector_matches(listener.selector, labels)
        case _:
            return False


def selector_keys(selector: Mapping[str, Any]) -> set[str]:
    """Label keys a selector tests."""
    keys = {str(k) for k in as_map(selector.get("matchLabels"))}
    keys |= {as_str(as_map(e).get("key")) or "" for e in as_list(selector.get("matchExpressions"))}
    return keys


def only_metadata_name(selector: Mapping[str, Any]) -> bool:
    keys = selector_keys(selector)
    return bool(keys) and keys == {METADATA_NAME}


def intersects(listener_host: str | None, route_host: str) -> bool:
    """§2.5: a listener hostname (None = ``*``) and a route hostname intersect."""
    lh, rh = (listener_host or "*").lower(), route_host.lower()
    if lh == "*" or rh == "*":
        return True
    lw, rw = lh.startswith("*."), rh.startswith("*.")
    if not lw and not rw:
        return lh == rh
    if lw and not rw:
        return rh.endswith(lh[1:])
    if rw and not lw:
        return lh.endswith(rh[1:])
    a, b = lh[2:], rh[2:]
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def contained(hostname: str, pattern: str) -> bool:
    """``hostname`` (maybe a wildcard) lies entirely within delegated ``pattern``."""
    host, pat = hostname.lower(), pattern.lower()
    if pat == "*":
        return True
    if host == "*":
        return False
    if not pat.startswith("*."):
        return host == pat
    suffix = pat[1:]  # ".example.com"
    if host.startswith("*."):
        return host[1:] == suffix or host[1:].endswith(suffix)
    return host.endswith(suffix)


def route_hostnames(body: Mapping[str, Any]) -> list[str]:
    """``spec.hostnames`` lower-cased (empty = ``*``)."""
    spec = as_map(body.get("spec"))
    return [h.lower() for h in as_list(spec.get("hostnames")) if isinstance(h, str)]


def hostnames_of(route: KubeObject) -> tuple[str, ...]:
    """:func:`route_hostnames` of a route object, parsed once per object (attachment, the
    hostname checks and the conflict checks all ask, per attached listener)."""
    found: tuple[str, ...] | None = route.parsed.get("hostnames")
    if found is None:
        found = route.parsed["hostnames"] = tuple(route_hostnames(route.body))
    return found


def hostname_match(listener: Listener, hostnames: Sequence[str]) -> bool:
    """Any route hostname (or ``*`` when none) intersects the listener's."""
    return any(intersects(listener.hostname, h) for h in hostnames or ["*"])


def describe_namespaces(listener: Listener) -> str:
    """A phrase for a listener's namespace policy."""
    match listener.namespaces_from:
        case "All":
            return "admits routes from all namespaces"
        case "Same":
            return (
                f"admits routes only from its own namespace {listener.owner.namespace} (from: Same)"
            )
        case "Selector":
            return (
                f"admits routes only from namespaces matching selector {_selector_text(listener)}"
            )
        case other:
            return f"has allowedRoutes.namespaces.from {other!r}, which admits no routes"


def _selector_text(listener: Listener) -> str:
    if listener.selector is None:
        return "<missing> (matches nothing)"
    parts = [f"{k}={v}" for k, v in as_map(listener.selector.get("matchLabels")).items()]
    for e in map(as_map, as_list(listener.selector.get("matchExpressions"))):
        values = ",".join(str(v) for v in as_list(e.get("values")))
        parts.append(
            f"{e.get('key')} {e.get('operator')} ({values})"
            if values
            else f"{e.get('key')} {e.get('operator')}"
        )
    return "{" + "; ".join(parts) + "}"


def describe_kinds(listener: Listener) -> str:
    if listener.kinds:
        names = ", ".join(
            gk.kind if gk.group == GATEWAY_GROUP else f"{gk.group or 'core'}/{gk.kind}"
            for gk in listener.kinds
        )
        return f"protocol {listener.protocol} with kinds [{names}]"
    allowed = sorted(PROTOCOL_KINDS.get(listener.protocol, frozenset()))
    return f"protocol {listener.protocol} (carries {', '.join(allowed) or 'any kind'})"
