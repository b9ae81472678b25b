"""Leases against the test API server (the real ``kubernetes`` client over HTTP): acquisition,
refusal while held, renewal, optimistic-concurrency conflicts, release, hand-over after expiry."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from auditor.scheduler.leases import LeaseApi, Leases, lease_name, open_leases
from auditor.sources.kubeclient import api_client
from tests.integration.conftest_k8s import K8sApi, K8sApiFactory

NS = "auditor"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def api(k8s_api: K8sApiFactory) -> K8sApi:
    return k8s_api(channel=None)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def replicas(api: K8sApi, clock: Clock) -> Iterator[tuple[Leases, Leases, list[tuple[str, bool]]]]:
    seen: list[tuple[str, bool]] = []
    made = []
    for holder in ("replica-a", "replica-b"):
        client = api_client(name="lease", kubeconfig=str(api.kubeconfig), context=None, environ={})
        made.append(
            Leases(
                LeaseApi(client, NS),
                holder=holder,
                duration_seconds=15,
                clock=clock,
                observe=lambda cluster, held, h=holder: seen.append((f"{h}/{cluster}", held)),
            )
        )
    yield made[0], made[1], seen
    for leases in made:
        leases.api.close()


def test_one_replica_holds_a_cluster_the_other_waits_for_expiry(
    api: K8sApi, clock: Clock, replicas: tuple[Leases, Leases, list[tuple[str, bool]]]
) -> None:
    a, b, seen = replicas
    assert a.acquire("prod") and a.held("prod")
    stored = api.emulator.lease(NS, lease_name("prod"))
    assert stored is not None
    assert stored["spec"]["holderIdentity"] == "replica-a"
    assert stored["spec"]["leaseDurationSeconds"] == 15
    assert not b.acquire("prod") and not b.held("prod")
    assert b.acquire("lab"), "Leases are per cluster"

    clock.advance(10)
    assert a.acquire("prod"), "its own holder renews"
    renewed = api.emulator.lease(NS, lease_name("prod"))
    assert renewed is not None
    assert renewed["spec"]["renewTime"] > stored["spec"]["renewTime"]
    assert renewed["spec"]["acquireTime"] == stored["spec"]["acquireTime"]

    clock.advance(14)
    assert not b.acquire("prod"), "renewed 14 s ago: still valid"
    clock.advance(2)
    assert b.acquire("prod"), "expired: taken over"
    taken = api.emulator.lease(NS, lease_name("prod"))
    assert taken is not None
    assert taken["spec"]["holderIdentity"] == "replica-b"
    assert taken["spec"]["leaseTransitions"] == 1

    a.renew_all()
    assert not a.held("prod"), "its write carried a stale resourceVersion: 409, lost"
    assert ("replica-a/prod", False) in seen and ("replica-b/prod", True) in seen


def test_release_hands_over_at_once(
    api: K8sApi, replicas: tuple[Leases, Leases, list[tuple[str, bool]]]
) -> None:
    a, b, _ = replicas
    assert a.acquire("prod")
    assert not b.acquire("prod")
    a.release_all()
    assert not a.held("prod")
    released = api.emulator.lease(NS, lease_name("prod"))
    assert released is not None and "holderIdentity" not in released["spec"]
    assert b.acquire("prod")


def test_racing_writers_one_wins(
    api: K8sApi, replicas: tuple[Leases, Leases, list[tuple[str, bool]]]
) -> None:
    """The emulator's optimistic concurrency, as the Lease code relies on it."""
    a, b, _ = replicas
    assert a.acquire("prod")
    body = a.api.get(lease_name("prod"))
    assert body is not None
    assert b.acquire("prod") is False
    a.renew_all()  # changes the resourceVersion
    stale = {**body, "spec": {**body["spec"], "holderIdentity": "intruder"}}
    with pytest.raises(Exception, match=r"Conflict|modified"):
        b.api.replace(lease_name("prod"), stale)
    conflicts = [r for r in api.emulator.requests if r.method == "PUT"]
    assert conflicts, "writes went through the API"
    with pytest.raises(Exception, match=r"AlreadyExists|Conflict"):
        b.api.create(body)


def version(lease: dict[str, Any]) -> int:
    return int(lease["metadata"]["resourceVersion"])


def test_renewal_thread_keeps_the_lease_fresh(api: K8sApi) -> None:
    client = api_client(name="lease", kubeconfig=str(api.kubeconfig), context=None, environ={})
    leases = Leases(LeaseApi(client, NS), holder="a", duration_seconds=1)
    try:
        assert leases.acquire("prod")
        first = api.emulator.lease(NS, lease_name("prod"))
        leases.start_renewing()
        assert first is not None
        deadline = time.monotonic() + 15  # renewed every third of a second; polled, not slept
        later = first
        while time.monotonic() < deadline and version(later) <= version(first):
            time.sleep(0.1)
            later = api.emulator.lease(NS, lease_name("prod")) or first
        assert version(later) > version(first)
        assert leases.held("prod")
    finally:
        leases.release_all()
        client.close()


def test_unavailable_api_means_not_held(api: K8sApi, clock: Clock) -> None:
    api.emulator.fail("coordination.k8s.io", "leases", status=403)
    client = api_client(name="lease", kubeconfig=str(api.kubeconfig), context=None, environ={})
    leases = Leases(LeaseApi(client, NS), holder="a", duration_seconds=5, clock=clock)
    assert not leases.acquire("prod")
    api.emulator.clear_faults()
    assert leases.acquire("prod")
    api.emulator.fail("coordination.k8s.io", "leases", status=500)
    leases.renew_all()
    assert leases.held("prod"), "a failed renewal keeps the lease until it expires"
    clock.advance(6)
    leases.renew_all()
    assert not leases.held("prod"), "not renewed within its duration: no longer ours"
    assert leases.acquire("prod") is False
    api.emulator.clear_faults()
    assert leases.acquire("prod")
    leases.release_all()
    assert not leases.held("prod")
    client.close()


def test_open_leases_only_in_a_cluster_or_with_a_kubeconfig(api: K8sApi) -> None:
    def off(enabled: bool, kubeconfig: str | None, environ: dict[str, str]) -> bool:
        leases = open_leases(
            enabled=enabled,
            kubeconfig=kubeconfig,
            namespace=None,
            duration_seconds=5,
            environ=environ,
            observe=lambda c, h: None,
        )
        if leases is not None:
            leases.api.close()
        return leases is None

    assert off(False, str(api.kubeconfig), {})
    assert off(True, None, {})
    assert not off(True, str(api.kubeconfig), {"POD_NAMESPACE": "x"})


def test_emulator_leases_are_json(api: K8sApi) -> None:
    import urllib.request

    request = urllib.request.Request(
        f"{api.url}/apis/coordination.k8s.io/v1/namespaces/{NS}/leases",
        data=b"not json",
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)
    assert raised.value.code == 400
    assert json.loads(raised.value.read())["reason"] == "BadRequest"
