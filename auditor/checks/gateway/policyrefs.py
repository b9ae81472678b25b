"""Object references made by policies and XBackends, for PDA-RG-003 and the BE checks.

Owns which fields of which referrer kinds are cross-namespace references that need a
ReferenceGrant whose ``from`` entry names the referrer's own group and kind
(GATEWAY_SEMANTICS §3.1: XBackend "by analogy"; Envoy Gateway: documented behaviour):

- ``gateway.networking.x-k8s.io`` XBackend: ``spec.tls.clientCertificateRef`` → Secret.
- ``gateway.envoyproxy.io`` SecurityPolicy: ``spec.extAuth.{grpc,http}.backendRefs[]`` and the
  older singular ``backendRef``, ``spec.jwt.providers[].remoteJWKS.backendRefs[]`` and
  ``spec.oidc.provider.backendRefs[]`` → Service; ``spec.basicAuth.users``,
  ``spec.oidc.clientSecret``, ``spec.oidc.clientIDRef`` and ``spec.apiKeyAuth.credentialRefs[]``
  → Secret.
- ``gateway.envoyproxy.io`` EnvoyExtensionPolicy: ``spec.extProc[].backendRefs[]`` → Service;
  ``spec.wasm[].code.image.pullSecretRef`` → Secret.

Defaults as for Gateway API references: a backendRef is group ``""`` kind Service, a secret
reference group ``""`` kind Secret, and the namespace is the referrer's. Secret references are
``certificate`` references (BE-003 when missing); backend references are checked for existence and
ports like route backends (BE-001) but never for kind (BE-002 is for route backends only).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from auditor.checks.common.fields import as_int, as_list, as_map, path, spec
from auditor.checks.gateway.index import Index
from auditor.checks.gateway.refs import Reference, object_ref
from auditor.keys import GroupKind
from auditor.kinds import ENVOY_GATEWAY_GROUP, GATEWAY_X_GROUP, SECRET, SERVICE
from auditor.model import KubeObject

logger = logging.getLogger(__name__)

XBACKEND = GroupKind(GATEWAY_X_GROUP, "XBackend")
SECURITY_POLICY = GroupKind(ENVOY_GATEWAY_GROUP, "SecurityPolicy")
EXTENSION_POLICY = GroupKind(ENVOY_GATEWAY_GROUP, "EnvoyExtensionPolicy")
POLICY_REFERRER_KINDS: frozenset[GroupKind] = frozenset(
    {XBACKEND, SECURITY_POLICY, EXTENSION_POLICY}
)
"""Kinds whose references ``policy_references`` extracts."""


def policy_referrers(index: Index) -> list[KubeObject]:
    """The XBackends and Envoy Gateway policies of the state, in key order."""
    objects = index.state.objects
    return [objects[k] for k in sorted(k for k in objects if k.group_kind in POLICY_REFERRER_KINDS)]


def policy_references(obj: KubeObject) -> Iterator[Reference]:
    """Every reference of ``obj`` listed in the module docstring (none for other kinds)."""
    body_spec = spec(obj.body)
    gk = obj.key.group_kind
    if gk == XBACKEND:
        yield from _secret(
            obj, path(body_spec, "tls", "clientCertificateRef"), "spec.tls.clientCertificateRef"
        )
    elif gk == SECURITY_POLICY:
        yield from _security_policy(obj, body_spec)
    elif gk == EXTENSION_POLICY:
        yield from _extension_policy(obj, body_spec)


def _security_policy(obj: KubeObject, body_spec: Mapping[str, Any]) -> Iterator[Reference]:
    ext_auth = as_map(body_spec.get("extAuth"))
    for service in ("grpc", "http"):
        config = as_map(ext_auth.get(service))
        at = f"spec.extAuth.{service}"
        yield from _backends(obj, config.get("backendRefs"), f"{at}.backendRefs")
        yield from _backend(obj, config.get("backendRef"), f"{at}.backendRef")
    for i, provider in enumerate(as_list(path(body_spec, "jwt", "providers"))):
        refs = path(as_map(provider), "remoteJWKS", "backendRefs")
        yield from _backends(obj, refs, f"spec.jwt.providers[{i}].remoteJWKS.backendRefs")
    oidc = as_map(body_spec.get("oidc"))
    yield from _backends(
        obj, path(oidc, "provider", "backendRefs"), "spec.oidc.provider.backendRefs"
    )
    yield from _secret(obj, oidc.get("clientSecret"), "spec.oidc.clientSecret")
    yield from _secret(obj, oidc.get("clientIDRef"), "spec.oidc.clientIDRef")
    yield from _secret(obj, path(body_spec, "basicAuth", "users"), "spec.basicAuth.users")
    credentials = as_list(path(body_spec, "apiKeyAuth", "credentialRefs"))
    for i, raw in enumerate(credentials):
        yield from _secret(obj, raw, f"spec.apiKeyAuth.credentialRefs[{i}]")


def _extension_policy(obj: KubeObject, body_spec: Mapping[str, Any]) -> Iterator[Reference]:
    for i, ext_proc in enumerate(as_list(body_spec.get("extProc"))):
        refs = as_map(ext_proc).get("backendRefs")
        yield from _backends(obj, refs, f"spec.extProc[{i}].backendRefs")
    for i, wasm in enumerate(as_list(body_spec.get("wasm"))):
        pull_secret = path(as_map(wasm), "code", "image", "pullSecretRef")
        yield from _secret(obj, pull_secret, f"spec.wasm[{i}].code.image.pullSecretRef")


def _backends(obj: KubeObject, raw: object, at: str) -> Iterator[Reference]:
    for k, entry in enumerate(as_list(raw)):
        yield from _backend(obj, entry, f"{at}[{k}]")


def _backend(obj: KubeObject, raw: object, field: str) -> Iterator[Reference]:
    if not isinstance(raw, Mapping):
        return
    yield object_ref(
        raw,
        referrer=obj,
        field=field,
        group=SERVICE.group,
        kind=SERVICE.kind,
        port=as_int(raw.get("port")),
        policy=True,
    )


def _secret(obj: KubeObject, raw: object, field: str) -> Iterator[Reference]:
    if not isinstance(raw, Mapping):
        return
    yield object_ref(
        raw,
        referrer=obj,
        field=field,
        group=SECRET.group,
        kind=SECRET.kind,
        certificate=True,
        policy=True,
    )
