"""Golden drift cases: testdata/drift/<case>/{desired,live,expected}.yaml.

``expected.yaml`` holds ``findings`` (check, severity, message, changes, hidden_changes) and
optionally ``crds: standard|experimental`` (default standard) and ``builtin: false``. Every case
runs against the real v1.6.1 CRD bundle, and — unless ``builtin: false`` (ST-006 needs a real
CRD) — again with the built-in fallback table (no CRDs at all), expecting the same findings.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor.checks.drift import DriftSettings, check_drift
from auditor.keys import key_of
from auditor.model import Body, KubeObject, Origin
from auditor.normalize import SchemaRegistry

REPO = Path(__file__).resolve().parents[2]
CRDS = REPO / ".." / "shared" / "crds" / "gateway-api" / "v1.6.1"
CASES = Path(__file__).resolve().parent / "testdata" / "drift"
COMPARED = ("check", "severity", "message", "changes", "hidden_changes")


@functools.cache
def crd_bodies(channel: str) -> tuple[Body, ...]:
    with (CRDS / f"{channel}.yaml").open() as f:
        docs = yaml.load_all(f, Loader=yaml.CSafeLoader)
        return tuple(d for d in docs if d and d.get("kind") == "CustomResourceDefinition")


def load_docs(path: Path) -> list[Body]:
    with path.open() as f:
        return [d for d in yaml.load_all(f, Loader=yaml.CSafeLoader) if d]


@functools.cache
def load_case(name: str) -> tuple[list[KubeObject], list[KubeObject], dict[str, Any]]:
    case = CASES / name
    desired = [
        KubeObject(
            key=key_of(body),
            body=body,
            origin=Origin(repository="gitops", commit="c0ffee", path=f"{name}/desired.yaml"),
        )
        for body in load_docs(case / "desired.yaml")
    ]
    live = [KubeObject(key=key_of(body), body=body) for body in load_docs(case / "live.yaml")]
    expected = load_docs(case / "expected.yaml")[0]
    return desired, live, expected


def run_case(name: str, schemas: SchemaRegistry) -> list[dict[str, Any]]:
    desired, live, _ = load_case(name)
    observed = frozenset(o.key.group_kind for o in (*desired, *live))
    findings = check_drift(
        cluster="prod",
        desired=desired,
        live=live,
        observed=observed,
        schemas=schemas,
        settings=DriftSettings(),
    )
    return [{k: f.as_dict()[k] for k in COMPARED} for f in findings]


ALL_CASES = sorted(p.name for p in CASES.iterdir() if p.is_dir())
BUILTIN_CASES = [name for name in ALL_CASES if load_case(name)[2].get("builtin", True)]


@pytest.mark.parametrize("name", ALL_CASES)
def test_golden_case_with_real_crds(name: str) -> None:
    expected = load_case(name)[2]
    schemas = SchemaRegistry.from_crds(crd_bodies(expected.get("crds", "standard")))
    assert run_case(name, schemas) == expected["findings"]


@pytest.mark.parametrize("name", BUILTIN_CASES)
def test_golden_case_with_builtin_fallback(name: str) -> None:
    schemas = SchemaRegistry.from_crds([])
    desired, _, expected = load_case(name)
    assert all(schemas.uses_builtin(o.key.group_kind) for o in desired)
    assert run_case(name, schemas) == expected["findings"]


def test_every_gateway_api_kind_has_a_no_drift_case() -> None:
    kinds = {load_case(n)[0][0].key.kind for n in ALL_CASES if n.endswith("-no-drift")}
    assert kinds >= {
        "GatewayClass",
        "Gateway",
        "ListenerSet",
        "HTTPRoute",
        "GRPCRoute",
        "TLSRoute",
        "TCPRoute",
        "UDPRoute",
        "ReferenceGrant",
        "BackendTLSPolicy",
    }
