"""Kubernetes API fixtures: the in-repo emulator (tests/k8s_emulator.py) behind a kubeconfig file.

Register from ``tests/conftest.py`` with ``pytest_plugins = ["tests.integration.conftest_k8s"]``.

``k8s_api(channel="standard"|"experimental"|None, context="emulator", token=None)`` starts an
emulator serving the Gateway API v1.6.1 CRDs of that channel (None: built-ins only), writes a
kubeconfig for it into ``tmp_path`` and returns a ``K8sApi``. Every emulator is stopped at teardown.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.k8s_emulator import K8sEmulator, load_crd_bundle


@dataclass(frozen=True, slots=True, kw_only=True)
class K8sApi:
    """A running emulator and the kubeconfig (file and context) that points at it."""

    emulator: K8sEmulator
    kubeconfig: Path
    context: str

    @property
    def url(self) -> str:
        return self.emulator.url


K8sApiFactory = Callable[..., K8sApi]


@pytest.fixture
def k8s_api(tmp_path: Path) -> Iterator[K8sApiFactory]:
    """Factory of emulated API servers (one kubeconfig file each, in tmp_path)."""
    started: list[K8sEmulator] = []
    numbers = itertools.count(1)

    def start(
        *, channel: str | None = "standard", context: str = "emulator", token: str | None = None
    ) -> K8sApi:
        emulator = K8sEmulator().start()
        started.append(emulator)
        if channel is not None:
            emulator.add_crds(load_crd_bundle(channel))
        path = tmp_path / f"kubeconfig-{next(numbers)}.yaml"
        emulator.write_kubeconfig(path, context=context, token=token)
        return K8sApi(emulator=emulator, kubeconfig=path, context=context)

    yield start
    for emulator in started:
        emulator.stop()
