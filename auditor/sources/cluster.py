"""Live state from a Kubernetes API server, through the client of ``sources/kubeclient.py`` (the
one source module that imports ``kubernetes``).

Owns: discovery of which requested kinds are served (plural, scope,
preferred version), paginated raw-JSON lists (restarted from the start when a continue token
expires), Secrets as metadata only, the CRD schemas of the served custom groups, and the mapping
of failures: one kind that cannot be read becomes a ``Skipped`` record, a cluster that cannot be
reached at all becomes a ``ClusterError``. No ``kubernetes``/``urllib3`` exception leaves here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from auditor.errors import ClusterError
from auditor.keys import GroupKind
from auditor.kinds import (
    MESH_MARKERS,
    NAMESPACE,
    POD,
    SECRET,
    SERVICE,
    WORKLOAD_KINDS,
    MeshMarker,
)
from auditor.model import Body, LiveState, Skipped
from auditor.sources.apidocs import (
    JSON,
    MAX_RESTARTS,
    METADATA_LIST,
    Expired,
    RequestFailed,
    Resource,
    pod_metadata,
    resources,
    secret_metadata,
    typed,
    versions,
    workload_template,
)
from auditor.sources.kubeclient import Http as _Http
from auditor.sources.kubeclient import connect as _connect
from auditor.sources.managedfields import SharedFields

logger = logging.getLogger(__name__)

_WORKLOADS = frozenset(WORKLOAD_KINDS)


# -- discovery ------------------------------------------------------------------------------------


def _discover(
    http: _Http, *, name: str, wanted: Sequence[GroupKind]
) -> tuple[dict[GroupKind, Resource], list[Skipped]]:
    """Which wanted kinds are served, at which version; per-group discovery failures as Skipped."""
    try:
        core = http.get("/api/v1")
        groups = http.get("/apis")
    except RequestFailed as e:
        raise ClusterError(
            f"cluster {name}: API discovery failed: {e.describe()}",
            subject=f"cluster {name}",
            transient=e.transient,
        ) from e
    found = {r.kind: r for r in resources(core, "", "v1") if r.kind in wanted}
    skipped: list[Skipped] = []
    for group in dict.fromkeys(gk.group for gk in wanted if gk.group):
        kinds = {gk for gk in wanted if gk.group == group}
        found_here, failures = _discover_group(http, group, versions(groups, group), kinds)
        found.update(found_here)
        skipped.extend(
            Skipped(subject=_subject(name, gk), reason=f"discovery failed: {'; '.join(failures)}")
            for gk in sorted(kinds - found_here.keys())
            if failures
        )
    return found, skipped


def _discover_group(
    http: _Http, group: str, versions: list[str], kinds: set[GroupKind]
) -> tuple[dict[GroupKind, Resource], list[str]]:
    found: dict[GroupKind, Resource] = {}
    failures: list[str] = []
    for version in versions:
        if kinds <= found.keys():
            break
        try:
            doc = http.get(f"/apis/{group}/{version}")
        except RequestFailed as e:
            if e.status != HTTPStatus.NOT_FOUND:  # 404: the version went away, nothing served
                failures.append(f"{group}/{version}: {e.reason}")
            continue
        for res in resources(doc, group, version):
            if res.kind in kinds and res.kind not in found:
                found[res.kind] = res
    return found, failures


# -- lists ----------------------------------------------------------------------------------------


def _list(
    http: _Http,
    res: Resource,
    *,
    page_size: int,
    accept: str = JSON,
    keep: Callable[[Body], Body] | None = None,
) -> list[Body]:
    """Every item of one resource, page by page; restarts when the continue token expires.

    Each page's items are reduced by ``keep`` (default: :func:`typed`) as the page arrives, so no
    raw page outlives its own reduction (one page of raw JSON at a time, not the whole list).
    """
    extra = {"action": "list-restart", "resource": str(res.kind), "cluster": http.cluster}
    reduce = keep or (lambda item: typed(item, res))
    for restart in range(MAX_RESTARTS + 1):
        try:
            return _list_pages(http, res, page_size=page_size, accept=accept, keep=reduce)
        except Expired:
            logger.info("continue token expired, restart %d", restart + 1, extra=extra)
    raise RequestFailed(f"410 Gone: continue token expired {MAX_RESTARTS + 1} times")


def _list_pages(
    http: _Http, res: Resource, *, page_size: int, accept: str, keep: Callable[[Body], Body]
) -> list[Body]:
    items: list[Body] = []
    token: str | None = None
    while True:
        query: list[tuple[str, Any]] = [("limit", page_size)]
        if token:
            query.append(("continue", token))
        try:
            page = http.get(res.path, query=query, accept=accept)
        except RequestFailed as e:
            if token and e.status == HTTPStatus.GONE:
                raise Expired from e
            raise
        raw = page.get("items")
        if not isinstance(raw, list):
            raise RequestFailed("unexpected list response: no items")
        items.extend(keep(item) for item in raw if isinstance(item, dict))
        meta = page.get("metadata")
        next_token = (meta.get("continue") if isinstance(meta, dict) else None) or None
        if next_token is not None and next_token == token:
            raise RequestFailed("list did not advance: the same continue token came back")
        if next_token is None:
            return items
        token = str(next_token)


def _read_kind(http: _Http, res: Resource, *, page_size: int, shared: SharedFields) -> list[Body]:
    """One kind's items: Secrets and Pods as metadata, workloads as their pod template, any
    other kind whole, its managedFields shared with its like (:class:`SharedFields`)."""
    if res.kind == SECRET:
        return _list(http, res, page_size=page_size, accept=METADATA_LIST, keep=secret_metadata)
    if res.kind == POD:
        return _list(http, res, page_size=page_size, accept=METADATA_LIST, keep=pod_metadata)
    if res.kind in _WORKLOADS:
        return _list(http, res, page_size=page_size, keep=lambda item: workload_template(item, res))
    return _list(http, res, page_size=page_size, keep=lambda item: shared.compact(typed(item, res)))


_CRD = Resource(
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
    except RequestFailed as e:
        extra = {"action": "list", "resource": str(_CRD.kind), "cluster": http.cluster}
        logger.warning("cannot list CRDs: %s", e.describe(), extra=extra)
        return Skipped(subject=f"cluster {http.cluster}: CRD schemas", reason=e.reason)
    return [c for c in items if (c.get("spec") or {}).get("group") in groups]


def _read_marker(http: _Http, marker: MeshMarker) -> Body | None:
    """The mesh's marker ConfigMap by name (None: absent). Never a list of ConfigMaps."""
    path = f"/api/v1/namespaces/{marker.namespace}/configmaps/{marker.name}"
    try:
        body = http.get(path)
    except RequestFailed as e:
        if e.status == HTTPStatus.NOT_FOUND:
            return None
        raise
    raw = body.get("metadata")
    meta: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {k: meta[k] for k in ("name", "namespace", "labels") if k in meta},
        "data": body.get("data") if isinstance(body.get("data"), dict) else {},
    }


def _read_markers(
    http: _Http, *, name: str, observed: set[GroupKind]
) -> tuple[list[Body], list[Skipped]]:
    """The marker ConfigMaps present (asked only for a mesh whose kinds were listed); a marker
    that cannot be read leaves its mesh's kinds unread
    (removed from ``observed``), so the mesh checks are neither run nor trusted to resolve."""
    found: list[Body] = []
    skipped: list[Skipped] = []
    for marker in MESH_MARKERS:
        if not any(gk.group in marker.groups for gk in observed):
            continue  # none of the mesh's kinds is served: not installed, nothing to gate
        try:
            body = _read_marker(http, marker)
        except RequestFailed as e:
            extra = {"action": "get", "resource": str(marker.key), "cluster": name}
            logger.warning("cannot read mesh marker: %s", e.describe(), extra=extra)
            subject = f"cluster {name}: ConfigMap {marker.namespace}/{marker.name}"
            skipped.append(Skipped(subject=subject, reason=e.reason))
            observed.difference_update({gk for gk in observed if gk.group in marker.groups})
            continue
        if body is not None:
            found.append(body)
    return found, skipped


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
    shared = SharedFields()
    for gk in wanted:
        if gk not in served:
            continue
        log_extra = {"action": "list", "resource": str(gk), "cluster": name}
        try:
            items = _read_kind(http, served[gk], page_size=page_size, shared=shared)
        except RequestFailed as e:
            logger.warning("cannot list %s: %s", gk, e.describe(), extra=log_extra)
            skipped.append(Skipped(subject=_subject(name, gk), reason=e.reason))
            continue
        logger.debug("listed %d %s", len(items), gk, extra=log_extra)
        objects.extend(items)
        observed.add(gk)
    markers, unread = _read_markers(http, name=name, observed=observed)
    objects.extend(markers)
    skipped.extend(unread)
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
