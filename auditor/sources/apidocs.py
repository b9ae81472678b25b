"""Pure pieces of reading an API server: discovery documents, list items, Status answers.

No ``kubernetes`` import here: :mod:`auditor.sources.cluster` does the I/O and calls these.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from auditor.keys import GroupKind
from auditor.kinds import POD, WORKLOAD_KINDS
from auditor.model import Body

JSON = "application/json"
METADATA_LIST = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
CUT = 200
MAX_RESTARTS = 3
# Holds the full applied object, i.e. the Secret's data, when `kubectl apply` created the Secret.
SECRET_UNSAFE_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})


class RequestFailed(Exception):
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


class Expired(Exception):
    """The continue token of a paginated list expired (410 Gone)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
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


def decode(status: int, data: bytes) -> Body:
    """The JSON object of a 2xx answer; anything else raises RequestFailed."""
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
        detail = cut(message or data)
        raise RequestFailed(reason, status=status, transient=transient, detail=detail)
    if not isinstance(doc, dict):
        raise RequestFailed("invalid response: not a JSON object", detail=cut(data))
    return doc


def cut(value: object) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= CUT else text[: CUT - 1] + "…"


def versions(groups_doc: Body, group: str) -> list[str]:
    """The group's versions from ``/apis``, preferred first."""
    for entry in groups_doc.get("groups") or []:
        if isinstance(entry, dict) and entry.get("name") == group:
            listed = [v.get("version") for v in entry.get("versions") or [] if isinstance(v, dict)]
            versions = [str(v) for v in listed if v]
            raw = entry.get("preferredVersion")
            preferred = raw.get("version") if isinstance(raw, dict) else None
            return sorted(versions, key=lambda v: v != preferred)
    return []


def resources(doc: Body, group: str, version: str) -> Iterator[Resource]:
    """Listable top-level resources of one APIResourceList."""
    for entry in doc.get("resources") or []:
        if not isinstance(entry, dict):
            continue
        plural, kind, verbs = entry.get("name"), entry.get("kind"), entry.get("verbs")
        if not plural or not kind or "/" in str(plural):
            continue
        if isinstance(verbs, list) and "list" not in verbs:
            continue
        yield Resource(
            kind=GroupKind(group, str(kind)),
            version=version,
            plural=str(plural),
            namespaced=bool(entry.get("namespaced")),
        )


def typed(item: Body, res: Resource) -> Body:
    """A list item with apiVersion and kind set (list items carry neither)."""
    rest = {k: v for k, v in item.items() if k not in ("apiVersion", "kind")}
    return {"apiVersion": res.api_version, "kind": res.kind.kind, **rest}


def secret_metadata(item: Body) -> Body:
    """A Secret reduced to its metadata, without annotations that may carry its data."""
    meta = dict(item["metadata"]) if isinstance(item.get("metadata"), dict) else {}
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        meta["annotations"] = {
            k: v for k, v in annotations.items() if k not in SECRET_UNSAFE_ANNOTATIONS
        }
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta}


POD_METADATA_FIELDS = ("name", "namespace", "uid", "labels", "annotations", "ownerReferences")
_WORKLOADS = frozenset(WORKLOAD_KINDS)


def pod_metadata(item: Body) -> Body:
    """A Pod reduced to the metadata the mesh checks read: identity, labels, annotations, owners."""
    raw = item.get("metadata")
    meta: dict[str, Any] = raw if isinstance(raw, dict) else {}
    kept = {k: meta[k] for k in POD_METADATA_FIELDS if k in meta}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": kept}


def workload_template(item: Body, res: Resource) -> Body:
    """A workload reduced to what the mesh checks read: its metadata, selector and its pod
    template's labels, annotations and service account — never containers, whose env may hold
    credentials."""
    return _workload(item, res.api_version, res.kind.kind)


def reduced_input(body: Body, gk: GroupKind) -> Body:
    """A snapshot's Pod or workload reduced as the cluster path reduces it as it lists them
    (:func:`pod_metadata`, :func:`workload_template`); any other body unchanged. Snapshots are
    usually ``kubectl get`` dumps of whole Pods, specs and env included."""
    if gk == POD:
        return pod_metadata(body)
    if gk in _WORKLOADS:
        return _workload(body, str(body.get("apiVersion", "")), gk.kind)
    return body


def _workload(item: Body, api_version: str, kind: str) -> Body:
    meta = _dict(item.get("metadata"))
    spec = _dict(item.get("spec"))
    if kind == "CronJob":
        job_spec = _dict(_dict(spec.get("jobTemplate")).get("spec"))
        reduced: dict[str, Any] = {"jobTemplate": {"spec": {"template": _template(job_spec)}}}
    else:
        reduced = {"template": _template(spec)}
    if "selector" in spec:
        reduced["selector"] = spec["selector"]
    kept = {k: meta[k] for k in POD_METADATA_FIELDS if k in meta}
    return {"apiVersion": api_version, "kind": kind, "metadata": kept, "spec": reduced}


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _template(spec: dict[str, Any]) -> dict[str, Any]:
    template = _dict(spec.get("template"))
    meta = _dict(template.get("metadata"))
    pod = _dict(template.get("spec"))
    account = (
        {"serviceAccountName": pod["serviceAccountName"]} if "serviceAccountName" in pod else {}
    )
    return {
        "metadata": {k: meta[k] for k in ("labels", "annotations") if k in meta},
        "spec": account,
    }
