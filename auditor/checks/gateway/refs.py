"""Reference extraction with the Gateway API semantic defaults, and ReferenceGrant matching.

Owns GATEWAY_SEMANTICS §1 (evaluation-time defaults of parentRefs, backendRefs, certificateRefs,
CA refs, the ListenerSet parentRef) and §3.2 (matching a cross-namespace reference against grants).
``object_ref`` applies the same defaults to the policy references of ``policyrefs``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from auditor.checks.common.fields import as_int, as_list, as_map, as_str, path, spec
from auditor.checks.gateway.index import Grant, Index, Parent
from auditor.keys import ResourceKey
from auditor.kinds import CONFIGMAP, GATEWAY_GROUP, SECRET
from auditor.model import KubeObject, Ref

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParentRef:
    """A parentRef with group, kind and namespace defaulted (§1)."""

    index: int
    group: str
    kind: str
    namespace: str
    name: str
    section_name: str | None
    port: int | None

    @property
    def target(self) -> ResourceKey:
        return ResourceKey(self.group, self.kind, self.namespace, self.name)

    @property
    def ref(self) -> Ref:
        return Ref(
            group=self.group,
            kind=self.kind,
            namespace=self.namespace,
            name=self.name,
            section_name=self.section_name,
            port=self.port,
        )

    def describe(self) -> str:
        kind = f"{self.group}/{self.kind}" if self.group not in ("", GATEWAY_GROUP) else self.kind
        where = f"{kind} {self.namespace}/{self.name}"
        extra = [f"sectionName {self.section_name}"] if self.section_name is not None else []
        extra += [f"port {self.port}"] if self.port is not None else []
        return f"{where} ({', '.join(extra)})" if extra else where


def parse_parent_ref(raw: object, *, index: int, namespace: str) -> ParentRef:
    """One parentRef entry, defaulted relative to the referrer's ``namespace``."""
    entry = as_map(raw)
    group = entry.get("group")
    return ParentRef(
        index=index,
        group=group if isinstance(group, str) else GATEWAY_GROUP,
        kind=as_str(entry.get("kind")) or "Gateway",
        namespace=as_str(entry.get("namespace")) or namespace,
        name=as_str(entry.get("name")) or "",
        section_name=as_str(entry.get("sectionName")),
        port=as_int(entry.get("port")),
    )


def route_parent_refs(route: KubeObject) -> tuple[ParentRef, ...]:
    """Every ``spec.parentRefs`` entry of a route (parsed once per object: attachment, grants and
    enforcement all ask)."""
    found: tuple[ParentRef, ...] | None = route.parsed.get("parent-refs")
    if found is None:
        raw = as_list(spec(route.body).get("parentRefs"))
        found = tuple(
            parse_parent_ref(r, index=i, namespace=route.key.namespace) for i, r in enumerate(raw)
        )
        route.parsed["parent-refs"] = found
    return found


def listenerset_parent_ref(listenerset: KubeObject) -> ParentRef | None:
    """``spec.parentRef`` of a ListenerSet (None when absent)."""
    raw = spec(listenerset.body).get("parentRef")
    if not isinstance(raw, Mapping):
        return None
    return parse_parent_ref(raw, index=0, namespace=listenerset.key.namespace)


def is_mesh_parent(pref: ParentRef) -> bool:
    """A GAMMA parent: core Service (group ``""``)."""
    return pref.group == "" and pref.kind == "Service"


class CertRole(StrEnum):
    """Which TLS field a certificate reference sits in: it decides the kinds a conformant
    implementation resolves and the condition reason it sets when the reference is invalid."""

    LISTENER = "listener"  # Gateway/ListenerSet tls.certificateRefs
    CLIENT = "client"  # Gateway spec.tls.backend.clientCertificateRef
    FRONTEND_CA = "frontend-ca"  # Gateway spec.tls.frontend.*.validation.caCertificateRefs
    BACKEND_CA = "backend-ca"  # BackendTLSPolicy spec.validation.caCertificateRefs
    OTHER = "other"  # policy and XBackend Secret references (no kind rule)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reference:
    """One object reference from a route, Gateway, ListenerSet or policy to a namespaced object.

    ``certificate``: the target holds Secret/ConfigMap material (BE-003 when missing), not a
    backend; ``role`` says which TLS field it is. ``policy``: the referrer is a policy or XBackend
    (RG-003 when refused).
    """

    referrer: KubeObject
    target: ResourceKey
    field: str
    port: int | None = None
    listener: str | None = None
    certificate: bool = False
    role: CertRole = CertRole.OTHER
    policy: bool = False

    @property
    def cross_namespace(self) -> bool:
        return self.target.namespace != self.referrer.key.namespace

    @property
    def ref(self) -> Ref:
        t = self.target
        return Ref(group=t.group, kind=t.kind, namespace=t.namespace, name=t.name)


def object_ref(
    raw: object, *, referrer: KubeObject, field: str, group: str, kind: str, **extra: Any
) -> Reference:
    """An object reference with ``group``/``kind`` defaults and the referrer's namespace."""
    entry = as_map(raw)
    raw_group = entry.get("group")
    target = ResourceKey(
        raw_group if isinstance(raw_group, str) else group,
        as_str(entry.get("kind")) or kind,
        as_str(entry.get("namespace")) or referrer.key.namespace,
        as_str(entry.get("name")) or "",
    )
    return Reference(referrer=referrer, target=target, field=field, **extra)


def _backend(raw: object, route: KubeObject, field: str) -> Reference:
    port = as_int(as_map(raw).get("port"))
    return object_ref(raw, referrer=route, field=field, group="", kind="Service", port=port)


def _filter_backends(filters: object, route: KubeObject, at: str) -> Iterator[Reference]:
    for j, raw_filter in enumerate(as_list(filters)):
        flt = as_map(raw_filter)
        for name in ("requestMirror", "externalAuth"):
            backend = path(flt, name, "backendRef")
            if isinstance(backend, Mapping):
                yield _backend(backend, route, f"{at}.filters[{j}].{name}.backendRef")


def backend_refs(route: KubeObject) -> Iterator[Reference]:
    """Rule backendRefs, backendRef-level and rule-level mirror/externalAuth backends."""
    for i, raw_rule in enumerate(as_list(spec(route.body).get("rules"))):
        rule = as_map(raw_rule)
        at = f"spec.rules[{i}]"
        for k, raw in enumerate(as_list(rule.get("backendRefs"))):
            yield _backend(raw, route, f"{at}.backendRefs[{k}]")
            yield from _filter_backends(as_map(raw).get("filters"), route, f"{at}.backendRefs[{k}]")
        yield from _filter_backends(rule.get("filters"), route, at)


def certificate_refs(parent: Parent) -> Iterator[Reference]:
    """Listener certificateRefs (not for Passthrough), Gateway client cert and frontend CA refs."""
    obj = parent.obj
    for listener in parent.listeners:
        if listener.tls_mode == "Passthrough":
            continue
        refs = as_list(path(listener.body, "tls", "certificateRefs"))
        for i, raw in enumerate(refs):
            field = f"spec.listeners[name={listener.name}].tls.certificateRefs[{i}]"
            yield object_ref(
                raw,
                referrer=obj,
                field=field,
                group="",
                kind=SECRET.kind,
                listener=listener.name,
                certificate=True,
                role=CertRole.LISTENER,
            )
    tls = as_map(spec(obj.body).get("tls"))
    client = path(tls, "backend", "clientCertificateRef")
    if isinstance(client, Mapping):
        yield object_ref(
            client,
            referrer=obj,
            field="spec.tls.backend.clientCertificateRef",
            group="",
            kind=SECRET.kind,
            certificate=True,
            role=CertRole.CLIENT,
        )
    yield from _ca_refs(parent, tls)


def _ca_refs(parent: Parent, tls: Mapping[str, Any]) -> Iterator[Reference]:
    """Frontend CA refs; ``listener`` is the port for a perPort entry (the HTTPS listeners on
    that port are the ones it governs), null for the default."""
    obj = parent.obj
    frontend = as_map(tls.get("frontend"))
    sources: list[tuple[str, Mapping[str, Any], str | None]] = [
        ("spec.tls.frontend.default", as_map(frontend.get("default")), None)
    ]
    for i, raw_port in enumerate(as_list(frontend.get("perPort"))):
        port = as_int(as_map(raw_port).get("port"))
        sources.append(
            (
                f"spec.tls.frontend.perPort[{i}].tls",
                as_map(as_map(raw_port).get("tls")),
                str(port) if port is not None else None,
            )
        )
    for at, config, port_label in sources:
        for i, raw in enumerate(as_list(path(config, "validation", "caCertificateRefs"))):
            yield object_ref(
                raw,
                referrer=obj,
                field=f"{at}.validation.caCertificateRefs[{i}]",
                group="",
                kind=CONFIGMAP.kind,
                listener=port_label,
                certificate=True,
                role=CertRole.FRONTEND_CA,
            )


def backend_tls_ca_refs(policy: KubeObject) -> Iterator[Reference]:
    """BackendTLSPolicy ``spec.validation.caCertificateRefs``: LocalObjectReferences (no
    namespace field, so a ``namespace`` written in Git is pruned and never read here)."""
    refs = as_list(path(spec(policy.body), "validation", "caCertificateRefs"))
    for i, raw in enumerate(refs):
        local = {k: v for k, v in as_map(raw).items() if k != "namespace"}
        yield object_ref(
            local,
            referrer=policy,
            field=f"spec.validation.caCertificateRefs[{i}]",
            group="",
            kind=CONFIGMAP.kind,
            certificate=True,
            role=CertRole.BACKEND_CA,
        )


def matching_grants(index: Index, reference: Reference) -> tuple[Grant, ...]:
    """The grants that permit ``reference`` (§3.2); empty when none does.

    A grant lives in the target's namespace, has a ``from`` entry naming the referrer's exact
    group, kind and namespace, and a ``to`` entry with the target's group and kind and an empty or
    equal name.
    """
    src, dst = reference.referrer.key, reference.target
    slot = (dst.namespace, src.group, src.kind, src.namespace)
    return tuple(g for g in index.grants_for(slot) if g.admits(dst.group, dst.kind, dst.name))
