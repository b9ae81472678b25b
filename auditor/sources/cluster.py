"""Live state from a Kubernetes API server. The only module that imports ``kubernetes``.

Owns: a dedicated client per read (kubeconfig file + context, or the in-cluster service account;
never the library's global default), discovery of which requested kinds are served (plural, scope,
preferred version), paginated raw-JSON lists (restarted from the start when a continue token
expires), Secrets as metadata only, the CRD schemas of the served custom groups, and the mapping
of failures: one kind that cannot be read becomes a ``Skipped`` record, a cluster that cannot be
reached at all becomes a ``ClusterError``. No ``kubernetes``/``urllib3`` exception leaves here.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import urllib3.exceptions
from kubernetes.client import ApiClient, Configuration
from kubernetes.client.exceptions import OpenApiException
from kubernetes.config import ConfigException, new_client_from_config
from kubernetes.config.incluster_config import (
    SERVICE_CERT_FILENAME,
    SERVICE_TOKEN_FILENAME,
    InClusterConfigLoader,
)

from auditor.errors import ClusterError
from auditor.kinds import NAMESPACE, SECRET, SERVICE
from auditor.model import Body, GroupKind, LiveState, Skipped

logger = logging.getLogger(__name__)

_JSON = "application/json"
_METADATA_LIST = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
_CUT = 200
_MAX_RESTARTS = 3
# Holds the full applied object, i.e. the Secret's data, when `kubectl apply` created the Secret.
_SECRET_UNSAFE_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})


class _RequestFailed(Exception):
    """One GET failed. ``reason`` is the stable text of a Skipped record; ``detail`` is for logs."""

    def __init__(
        self, reason: str, *, status: int | None = None, transient: bool = False, detail: str = ""
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.transient = transient
        self.detail = detail

    def describe(self) -> str:
        return f"{self.reason} ({self.detail})" if self.detail else self.reason


class _Expired(Exception):
    """The continue token of a paginated list expired (410 Gone)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Resource:
    """A served kind as discovery reported it, at its preferred version."""

    kind: GroupKind
    version: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.kind.group}/{self.version}" if self.kind.group else self.version

    @property
    def path(self) -> str:
        root = "/apis" if self.kind.group else "/api"
        return f"{root}/{self.api_version}/{self.plural}"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Http:
    """GETs of JSON documents on one API server, with retries of transient failures."""

    client: Any  # kubernetes.client.ApiClient
    cluster: str
    timeout: float
    attempts: int
    backoff: float

    def get(self, path: str, *, query: Sequence[tuple[str, Any]] = (), accept: str = _JSON) -> Body:
        attempt = 1
        while True:
            try:
                return self._get_once(path, list(query), accept)
            except _RequestFailed as e:
                if not e.transient:
                    raise
                if attempt >= self.attempts:
                    tries = f"{attempt} attempt" + ("s" if attempt > 1 else "")
                    raise _RequestFailed(
                        f"{e.reason} after {tries}",
                        status=e.status,
                        transient=True,
                        detail=e.detail,
                    ) from e
                delay = self.backoff * 2 ** (attempt - 1)
                extra = {"action": "retry", "resource": path, "cluster": self.cluster}
                logger.debug("GET %s: %s, retry in %.2fs", path, e.reason, delay, extra=extra)
                time.sleep(delay)
                attempt += 1

    def _get_once(self, path: str, query: list[tuple[str, Any]], accept: str) -> Body:
        try:
            method, url, headers, _, _ = self.client.param_serialize(
                "GET",
                path,
                query_params=query,
                header_params={"Accept": accept},
                auth_settings=["BearerToken"],
            )
            response = self.client.call_api(
                method, url, header_params=headers, _request_timeout=self.timeout
            )
            try:
                data: bytes = response.read()
            finally:
                response.response.release_conn()
        except (OpenApiException, ConfigException) as e:
            raise _RequestFailed("client error", detail=_cut(e)) from e
        except urllib3.exceptions.NewConnectionError as e:
            raise _RequestFailed("connection failed", transient=True, detail=_cut(e)) from e
        except urllib3.exceptions.TimeoutError as e:
            raise _RequestFailed("timeout", transient=True, detail=_cut(e)) from e
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise _RequestFailed("connection failed", transient=True, detail=_cut(e)) from e
        return _decode(response.status, data)


def _decode(status: int, data: bytes) -> Body:
    """The JSON object of a 2xx answer; anything else raises _RequestFailed."""
    try:
        doc = json.loads(data)
    except ValueError:
        doc = None
    if not 200 <= status < 300:
        try:
            reason = f"{status} {HTTPStatus(status).phrase}"
        except ValueError:
            reason = f"HTTP {status}"
        message = doc.get("message") if isinstance(doc, dict) else None  # a Status body
        transient = status >= 500 or status == HTTPStatus.TOO_MANY_REQUESTS
        detail = _cut(message or data)
        raise _RequestFailed(reason, status=status, transient=transient, detail=detail)
    if not isinstance(doc, dict):
        raise _RequestFailed("invalid response: not a JSON object", detail=_cut(data))
    return doc


def _cut(value: object) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= _CUT else text[: _CUT - 1] + "…"


# -- client ---------------------------------------------------------------------------------------


def _connect(
    *, name: str, kubeconfig: str | None, context: str | None, environ: Mapping[str, str]
) -> Any:
    """A new ApiClient on its own Configuration; urllib3 retries off (we retry, with backoff)."""
    cfg = Configuration()
    cfg.retries = False
    in_cluster = kubeconfig is None and context is None and "KUBERNETES_SERVICE_HOST" in environ
    source = (
        "in-cluster config" if in_cluster else f"kubeconfig {_kubeconfig_path(kubeconfig, environ)}"
    )
    try:
        if in_cluster:
            loader = InClusterConfigLoader(  # type: ignore[no-untyped-call]
                token_filename=SERVICE_TOKEN_FILENAME,
                cert_filename=SERVICE_CERT_FILENAME,
                environ=environ,
            )
            loader.load_and_set(cfg)  # type: ignore[no-untyped-call]
            return ApiClient(configuration=cfg)
        path = _kubeconfig_path(kubeconfig, environ)
        if os.pathsep not in path and not os.path.exists(path):
            raise FileNotFoundError(f"no such file: {path}")
        return new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=path, context=context, persist_config=False, client_configuration=cfg
        )
    except Exception as e:  # the loaders raise ConfigException, OSError, YAML and type errors
        where = f"{source}, context {context}" if context else source
        raise ClusterError(
            f"cluster {name}: cannot load {where}: {_cut(e)}", subject=f"cluster {name}"
        ) from e


def _kubeconfig_path(kubeconfig: str | None, environ: Mapping[str, str]) -> str:
    if kubeconfig:
        return os.path.expanduser(kubeconfig)
    paths = environ.get("KUBECONFIG") or "~/.kube/config"
    return os.pathsep.join(os.path.expanduser(p) for p in paths.split(os.pathsep))


# -- discovery ------------------------------------------------------------------------------------


def _discover(
    http: _Http, *, name: str, wanted: Sequence[GroupKind]
) -> tuple[dict[GroupKind, _Resource], list[Skipped]]:
    """Which wanted kinds are served, at which version; per-group discovery failures as Skipped."""
    try:
        core = http.get("/api/v1")
        groups = http.get("/apis")
    except _RequestFailed as e:
        raise ClusterError(
            f"cluster {name}: API discovery failed: {e.describe()}",
            subject=f"cluster {name}",
            transient=e.transient,
        ) from e
    found = {r.kind: r for r in _resources(core, "", "v1") if r.kind in wanted}
    skipped: list[Skipped] = []
    for group in dict.fromkeys(gk.group for gk in wanted if gk.group):
        kinds = {gk for gk in wanted if gk.group == group}
        found_here, failures = _discover_group(http, group, _versions(groups, group), kinds)
        found.update(found_here)
        skipped.extend(
            Skipped(subject=_subject(name, gk), reason=f"discovery failed: {'; '.join(failures)}")
            for gk in sorted(kinds - found_here.keys())
            if failures
        )
    return found, skipped


def _discover_group(
    http: _Http, group: str, versions: list[str], kinds: set[GroupKind]
) -> tuple[dict[GroupKind, _Resource], list[str]]:
    found: dict[GroupKind, _Resource] = {}
    failures: list[str] = []
    for version in versions:
        if kinds <= found.keys():
            break
        try:
            doc = http.get(f"/apis/{group}/{version}")
        except _RequestFailed as e:
            if e.status != HTTPStatus.NOT_FOUND:  # 404: the version went away, nothing served
                failures.append(f"{group}/{version}: {e.reason}")
            continue
        for res in _resources(doc, group, version):
            if res.kind in kinds and res.kind not in found:
                found[res.kind] = res
    return found, failures


def _versions(groups_doc: Body, group: str) -> list[str]:
    """The group's versions from ``/apis``, preferred first."""
    for entry in groups_doc.get("groups") or []:
        if isinstance(entry, dict) and entry.get("name") == group:
            listed = [v.get("version") for v in entry.get("versions") or [] if isinstance(v, dict)]
            versions = [str(v) for v in listed if v]
            preferred = (entry.get("preferredVersion") or {}).get("version")
            return sorted(versions, key=lambda v: v != preferred)
    return []


def _resources(doc: Body, group: str, version: str) -> Iterator[_Resource]:
    """Listable top-level resources of one APIResourceList."""
    for entry in doc.get("resources") or []:
        if not isinstance(entry, dict):
            continue
        plural, kind, verbs = entry.get("name"), entry.get("kind"), entry.get("verbs")
        if not plural or not kind or "/" in str(plural):
            continue
        if isinstance(verbs, list) and "list" not in verbs:
            continue
        yield _Resource(
            kind=GroupKind(group, str(kind)),
            version=version,
            plural=str(plural),
            namespaced=bool(entry.get("namespaced")),
        )


# -- lists ----------------------------------------------------------------------------------------


def _list(http: _Http, res: _Resource, *, page_size: int, accept: str = _JSON) -> list[Body]:
    """Every item of one resource, page by page; restarts when the continue token expires."""
    extra = {"action": "list-restart", "resource": str(res.kind), "cluster": http.cluster}
    for restart in range(_MAX_RESTARTS + 1):
        try:
            return _list_pages(http, res, page_size=page_size, accept=accept)
        except _Expired:
            logger.info("continue token expired, restart %d", restart + 1, extra=extra)
    raise _RequestFailed(f"410 Gone: continue token expired {_MAX_RESTARTS + 1} times")


def _list_pages(http: _Http, res: _Resource, *, page_size: int, accept: str) -> list[Body]:
    items: list[Body] = []
    token: str | None = None
    while True:
        query: list[tuple[str, Any]] = [("limit", page_size)]
        if token:
            query.append(("continue", token))
        try:
            page = http.get(res.path, query=query, accept=accept)
        except _RequestFailed as e:
            if token and e.status == HTTPStatus.GONE:
                raise _Expired from e
            raise
        raw = page.get("items")
        if not isinstance(raw, list):
            raise _RequestFailed("unexpected list response: no items")
        items.extend(item for item in raw if isinstance(item, dict))
        next_token = (page.get("metadata") or {}).get("continue") or None
        if next_token is not None and next_token == token:
            raise _RequestFailed("list did not advance: the same continue token came back")
        if next_token is None:
            return items
        token = str(next_token)


def _typed(item: Body, res: _Resource) -> Body:
    """A list item with apiVersion and kind set (list items carry neither)."""
    rest = {k: v for k, v in item.items() if k not in ("apiVersion", "kind")}
    return {"apiVersion": res.api_version, "kind": res.kind.kind, **rest}


def _secret_metadata(item: Body) -> Body:
    """A Secret reduced to its metadata, without annotations that may carry its data."""
    meta = dict(item["metadata"]) if isinstance(item.get("metadata"), dict) else {}
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        meta["annotations"] = {
            k: v for k, v in annotations.items() if k not in _SECRET_UNSAFE_ANNOTATIONS
        }
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta}


def _read_kind(http: _Http, res: _Resource, *, page_size: int) -> list[Body]:
    if res.kind == SECRET:
        items = _list(http, res, page_size=page_size, accept=_METADATA_LIST)
        return [_secret_metadata(item) for item in items]
    return [_typed(item, res) for item in _list(http, res, page_size=page_size)]


_CRD = _Resource(
    kind=GroupKind("apiextensions.k8s.io", "CustomResourceDefinition"),
    version="v1",
    plural="customresourcedefinitions",
    namespaced=False,
)


def _read_crds(http: _Http, *, groups: set[str], page_size: int) -> list[Body] | Skipped:
    """The CRDs of the given API groups (none read when no group is given)."""
    if not groups:
        return []
    try:
        items = _list(http, _CRD, page_size=page_size)
    except _RequestFailed as e:
        extra = {"action": "list", "resource": str(_CRD.kind), "cluster": http.cluster}
        logger.warning("cannot list CRDs: %s", e.describe(), extra=extra)
        return Skipped(subject=f"cluster {http.cluster}: CRD schemas", reason=e.reason)
    crds = [_typed(item, _CRD) for item in items]
    return [c for c in crds if (c.get("spec") or {}).get("group") in groups]


# -- the source -----------------------------------------------------------------------------------


def _subject(cluster: str, kind: GroupKind) -> str:
    return f"cluster {cluster}: {kind}"


def _wanted(kinds: Sequence[GroupKind], *, secret_metadata: bool) -> list[GroupKind]:
    """Requested kinds plus Namespaces and Services; Secrets only as metadata, when enabled."""
    extra = [NAMESPACE, SERVICE, *([SECRET] if secret_metadata else [])]
    return [gk for gk in dict.fromkeys([*kinds, *extra]) if gk != SECRET or secret_metadata]


def read_cluster(
    *,
    name: str,
    kinds: Sequence[GroupKind],
    kubeconfig: str | None = None,
    context: str | None = None,
    secret_metadata: bool = False,
    page_size: int = 500,
    request_timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 0.5,
    environ: Mapping[str, str],
) -> LiveState:
    """Read the requested kinds (plus Namespaces, Services, CRD schemas) from one cluster.

    ``retries`` is the number of attempts for a request failing with 5xx/429/timeout/connection
    errors, with ``backoff * 2**n`` seconds between attempts. Raises ``ClusterError`` when the
    cluster cannot be used at all; everything narrower is a ``Skipped`` record in the result.
    """
    client = _connect(name=name, kubeconfig=kubeconfig, context=context, environ=environ)
    try:
        http = _Http(
            client=client,
            cluster=name,
            timeout=request_timeout,
            attempts=max(1, retries),
            backoff=backoff,
        )
        wanted = _wanted(kinds, secret_metadata=secret_metadata)
        return _read(http, name=name, wanted=wanted, page_size=max(1, page_size))
    finally:
        client.close()


def _read(http: _Http, *, name: str, wanted: list[GroupKind], page_size: int) -> LiveState:
    served, skipped = _discover(http, name=name, wanted=wanted)
    objects: list[Body] = []
    observed: set[GroupKind] = set()
    for gk in wanted:
        if gk not in served:
            continue
        log_extra = {"action": "list", "resource": str(gk), "cluster": name}
        try:
            items = _read_kind(http, served[gk], page_size=page_size)
        except _RequestFailed as e:
            logger.warning("cannot list %s: %s", gk, e.describe(), extra=log_extra)
            skipped.append(Skipped(subject=_subject(name, gk), reason=e.reason))
            continue
        logger.debug("listed %d %s", len(items), gk, extra=log_extra)
        objects.extend(items)
        observed.add(gk)
    crds = _read_crds(http, groups={gk.group for gk in served if gk.group}, page_size=page_size)
    if isinstance(crds, Skipped):
        skipped.append(crds)
    return LiveState(
        cluster=name,
        objects=tuple(objects),
        crds=() if isinstance(crds, Skipped) else tuple(crds),
        observed=frozenset(observed),
        served=frozenset(served),
        skipped=tuple(skipped),
        scopes={gk: res.namespaced for gk, res in served.items()},
    )
