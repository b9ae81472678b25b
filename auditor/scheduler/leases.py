"""Kubernetes Leases (``coordination.k8s.io/v1``): one per cluster job, so replicas split clusters.

A replica acquires a cluster's Lease before that cluster's tick and keeps it between ticks,
renewing it every third of its duration from a background thread; it releases its Leases on
shutdown (holder cleared, so another replica takes over at its next tick). A Lease whose holder
has not renewed within ``leaseDurationSeconds`` is taken over; a dead replica's clusters thereby
move to another replica within one lease duration. Every write carries the resourceVersion read
before it: of two replicas racing for a Lease, the API server lets exactly one win (409 for the
other). Expiry is judged by the holder's ``renewTime`` against this replica's clock, so replicas
need clocks in step (NTP), as the API server's own leader election assumes.

The Leases are an optimisation of who works; the database claim per (cluster, tick) is what
guarantees that no tick runs twice (``auditor.scheduler.worker``).
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import urllib3.exceptions
from kubernetes.client import CoordinationV1Api
from kubernetes.client.exceptions import ApiException, OpenApiException

from auditor.errors import AuditorError
from auditor.sources.kubeclient import api_client

logger = logging.getLogger(__name__)

NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
DEFAULT_DURATION = 60
REQUEST_TIMEOUT = 5.0


class LeaseUnavailable(AuditorError):
    """The Lease API could not be used (connection, permissions, server error)."""


class LeaseConflict(Exception):
    """Another writer changed the Lease first (HTTP 409), or it vanished (404)."""


def lease_name(cluster: str) -> str:
    """``auditor-<cluster>`` as a valid object name (lower case, ``[a-z0-9.-]``, ≤ 253)."""
    slug = re.sub(r"[^a-z0-9.-]+", "-", cluster.lower()).strip("-.") or "cluster"
    return f"auditor-{slug}"[:253].rstrip("-.")


def micro_time(moment: datetime) -> str:
    """A ``MicroTime`` as the API server writes it: ``2026-12-03T07:00:00.000000Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_micro_time(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def holder_identity(environ: Mapping[str, str]) -> str:
    """``$POD_NAME`` (else the hostname) plus a random suffix, unique per process."""
    base = environ.get("POD_NAME") or socket.gethostname() or "auditor"
    return f"{base}_{uuid.uuid4().hex[:8]}"


def lease_namespace(environ: Mapping[str, str], explicit: str | None = None) -> str:
    """``--lease-namespace``, else ``$POD_NAMESPACE``, else the service account's namespace,
    else ``default``."""
    if explicit:
        return explicit
    if environ.get("POD_NAMESPACE"):
        return environ["POD_NAMESPACE"]
    try:
        return NAMESPACE_FILE.read_text().strip() or "default"
    except OSError:
        return "default"


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseState:
    """What a Lease says, as far as the decision to take it goes."""

    holder: str | None
    acquired: datetime | None
    renewed: datetime | None
    duration: int
    transitions: int
    resource_version: str

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> LeaseState:
        spec = body.get("spec") or {}
        meta = body.get("metadata") or {}
        return cls(
            holder=spec.get("holderIdentity") or None,
            acquired=parse_micro_time(spec.get("acquireTime")),
            renewed=parse_micro_time(spec.get("renewTime") or spec.get("acquireTime")),
            duration=int(spec.get("leaseDurationSeconds") or DEFAULT_DURATION),
            transitions=int(spec.get("leaseTransitions") or 0),
            resource_version=str(meta.get("resourceVersion") or ""),
        )

    def free_for(self, holder: str, now: datetime) -> bool:
        """Nobody holds it, we hold it, or its holder let it expire."""
        if self.holder is None or self.holder == holder or self.renewed is None:
            return True
        return now >= self.renewed + timedelta(seconds=self.duration)


class LeaseApi:
    """Raw-JSON get/create/replace of Leases in one namespace through the official client."""

    def __init__(self, client: Any, namespace: str, *, timeout: float = REQUEST_TIMEOUT) -> None:
        self._client = client
        self._api = CoordinationV1Api(client)
        self.namespace = namespace
        self._timeout = timeout

    def close(self) -> None:
        self._client.close()

    def get(self, name: str) -> dict[str, Any] | None:
        try:
            return self._call(self._api.read_namespaced_lease, name, self.namespace)
        except LeaseConflict:
            return None

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._call(self._api.create_namespaced_lease, self.namespace, dict(body))

    def replace(self, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._call(self._api.replace_namespaced_lease, name, self.namespace, dict(body))

    def _call(self, method: Callable[..., Any], *args: Any) -> dict[str, Any]:
        try:
            response = method(*args, _preload_content=False, _request_timeout=self._timeout)
            data: dict[str, Any] = json.loads(response.data)
            return data
        except ApiException as e:
            if e.status in {404, 409}:
                raise LeaseConflict(str(e.reason)) from e
            raise LeaseUnavailable(
                f"Lease API in namespace {self.namespace}: HTTP {e.status} {e.reason}"
            ) from e
        except (OpenApiException, urllib3.exceptions.HTTPError, OSError, ValueError) as e:
            raise LeaseUnavailable(
                f"Lease API in namespace {self.namespace}: {type(e).__name__}"
            ) from e


Observer = Callable[[str, bool], None]


class Leases:
    """The Leases this replica holds, one per cluster. Thread-safe."""

    def __init__(
        self,
        api: LeaseApi,
        *,
        holder: str,
        duration_seconds: int = DEFAULT_DURATION,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        observe: Observer = lambda cluster, held: None,
    ) -> None:
        self.api = api
        self.holder = holder
        self.duration = max(1, duration_seconds)
        self._clock = clock
        self._observe = observe
        self._held: dict[str, dict[str, Any]] = {}  # cluster -> the Lease as we last wrote it
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def held(self, cluster: str) -> bool:
        with self._lock:
            return cluster in self._held

    def acquire(self, cluster: str) -> bool:
        """Hold the cluster's Lease (renew it if already ours); False when another replica
        holds it, lost a race for it, or the API is unavailable (logged)."""
        name = lease_name(cluster)
        try:
            current = self.api.get(name)
            now = self._clock()
            if current is None:
                written = self.api.create(self._body(name, None, now))
            else:
                state = LeaseState.of(current)
                if not state.free_for(self.holder, now):
                    self._set(cluster, None)
                    return False
                written = self.api.replace(name, self._body(name, state, now))
        except LeaseConflict:
            self._set(cluster, None)
            return False
        except LeaseUnavailable as e:
            logger.warning("cannot acquire Lease %s: %s", name, e, extra=_extra(cluster))
            self._set(cluster, None)
            return False
        self._set(cluster, written)
        return True

    def renew_all(self) -> None:
        """Renew every held Lease; a Lease someone else changed meanwhile is lost."""
        with self._lock:
            held = dict(self._held)
        for cluster, body in held.items():
            spec = {**body["spec"], "renewTime": micro_time(self._clock())}
            try:
                written = self.api.replace(body["metadata"]["name"], {**body, "spec": spec})
            except LeaseConflict:
                logger.warning("Lease lost", extra=_extra(cluster))
                self._set(cluster, None)
            except LeaseUnavailable as e:
                logger.warning("cannot renew Lease: %s", e, extra=_extra(cluster))
                if LeaseState.of(body).free_for("", self._clock()):  # expired meanwhile
                    self._set(cluster, None)
            else:
                self._set(cluster, written)

    def release_all(self) -> None:
        """Give every held Lease up (holder cleared), so another replica need not wait."""
        self.stop_renewing()
        with self._lock:
            held = dict(self._held)
        for cluster, body in held.items():
            spec = {k: v for k, v in body["spec"].items() if k != "holderIdentity"}
            try:
                self.api.replace(body["metadata"]["name"], {**body, "spec": spec})
            except (LeaseConflict, LeaseUnavailable) as e:
                logger.warning("cannot release Lease: %s", e, extra=_extra(cluster))
            self._set(cluster, None)

    def start_renewing(self) -> None:
        self._renewer = threading.Thread(target=self._renew_loop, name="lease-renewer", daemon=True)
        self._renewer.start()

    def stop_renewing(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(REQUEST_TIMEOUT * 2)

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.duration / 3):
            self.renew_all()

    def _body(self, name: str, state: LeaseState | None, now: datetime) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": name, "namespace": self.api.namespace}
        transitions = 0
        acquired = now
        if state is not None:
            metadata["resourceVersion"] = state.resource_version
            transitions = state.transitions
            if state.holder != self.holder:
                transitions += 1
            elif state.acquired is not None:
                acquired = state.acquired
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": metadata,
            "spec": {
                "holderIdentity": self.holder,
                "leaseDurationSeconds": self.duration,
                "acquireTime": micro_time(acquired),
                "renewTime": micro_time(now),
                "leaseTransitions": transitions,
            },
        }

    def _set(self, cluster: str, body: dict[str, Any] | None) -> None:
        with self._lock:
            before = cluster in self._held
            if body is None:
                self._held.pop(cluster, None)
            else:
                self._held[cluster] = body
            after = cluster in self._held
        self._observe(cluster, after)
        if before != after:
            logger.info(
                "Lease %s", "acquired" if after else "released or lost", extra=_extra(cluster)
            )


def _extra(cluster: str) -> dict[str, str]:
    return {"action": "lease", "cluster": cluster, "resource": lease_name(cluster)}


def open_leases(
    *,
    enabled: bool,
    kubeconfig: str | None,
    namespace: str | None,
    duration_seconds: int,
    environ: Mapping[str, str],
    observe: Observer,
) -> Leases | None:
    """The Leases to use, or None: off when ``serve.leases`` is false, or when neither in a
    cluster (``KUBERNETES_SERVICE_HOST``) nor given ``--lease-kubeconfig``."""
    if not enabled:
        return None
    if kubeconfig is None and "KUBERNETES_SERVICE_HOST" not in environ:
        logger.info(
            "not running in a cluster and no --lease-kubeconfig: Leases off "
            "(the database claim still keeps every tick single)",
            extra={"action": "lease"},
        )
        return None
    client = api_client(name="lease", kubeconfig=kubeconfig, context=None, environ=environ)
    api = LeaseApi(client, lease_namespace(environ, namespace))
    return Leases(
        api, holder=holder_identity(environ), duration_seconds=duration_seconds, observe=observe
    )


__all__ = [
    "LeaseApi",
    "LeaseState",
    "LeaseUnavailable",
    "Leases",
    "holder_identity",
    "lease_name",
    "lease_namespace",
    "open_leases",
]
