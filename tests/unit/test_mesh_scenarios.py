"""Scenario catalogue for the mesh analysis (tests/unit/testdata/mesh/*.yaml).

Same format and matching as the Gateway catalogue (test_gateway_scenarios): a header (scenario,
spec — the source line or document sentence the scenario follows —, optional teams,
ambient_exceptions, unobserved, expect) and the cluster objects. Every mesh kind counts as
observed (absent = does not exist) unless listed in ``unobserved``. The test asserts that
check_mesh returns exactly the expected findings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from auditor.checks.mesh import MeshSettings, check_mesh
from auditor.keys import GroupKind
from auditor.kinds import MESH_KINDS, POLICY_KINDS
from auditor.model import ClusterState
from tests.unit.test_gateway_scenarios import build_state, describe, load, matches, team_policy

DATA = Path(__file__).resolve().parent / "testdata" / "mesh"
SCENARIOS = sorted(DATA.glob("*.yaml"))


def mesh_state(header: Mapping[str, Any], bodies: list[dict[str, Any]], name: str) -> ClusterState:
    state = build_state(header, bodies, name)
    unobserved = {GroupKind(*text.rpartition("/")[::2]) for text in header.get("unobserved", ())}
    observed = (state.observed | set(MESH_KINDS) | set(POLICY_KINDS)) - unobserved
    return dataclasses.replace(state, observed=frozenset(observed))


def settings_of(header: Mapping[str, Any]) -> MeshSettings:
    return MeshSettings(
        teams=tuple(team_policy(t) for t in header.get("teams", ())),
        disabled=frozenset(header.get("disabled", ())),
        ambient_exceptions=tuple(header.get("ambient_exceptions", ())),
    )


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    header, bodies = load(path)
    assert header.get("spec"), "every scenario cites the source it follows"
    findings = check_mesh(mesh_state(header, bodies, path.name), settings=settings_of(header))
    remaining = list(findings)
    missing = []
    for expected in sorted(header.get("expect") or [], key=len, reverse=True):
        hit = next((f for f in remaining if matches(expected, f)), None)
        if hit is None:
            missing.append(expected)
        else:
            remaining.remove(hit)
    assert not missing and not remaining, (
        f"\nmissing: {missing}\nunexpected:\n  "
        + "\n  ".join(describe(f) for f in remaining)
        + "\nall:\n  "
        + "\n  ".join(describe(f) for f in findings)
    )


def _corrupt(value: Any, depth: int = 0) -> Any:
    """Every mapping value replaced by a value of the wrong type (lists ↔ strings ↔ numbers)."""
    if isinstance(value, dict):
        return {k: _corrupt(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return "not-a-list" if depth % 2 else [_corrupt(v, depth + 1) for v in value]
    if isinstance(value, str):
        return [value] if depth % 2 else 7
    return {"unexpected": value}


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_malformed_bodies_never_crash_the_analysis(path: Path) -> None:
    header, bodies = load(path)
    broken = [
        {
            "apiVersion": b["apiVersion"],
            "kind": b["kind"],
            "metadata": {
                **b["metadata"],
                "labels": _corrupt(b["metadata"].get("labels", {})),
                "annotations": "x",
            },
            **{k: _corrupt(v) for k, v in b.items() if k not in ("apiVersion", "kind", "metadata")},
        }
        for b in bodies
    ]
    findings = check_mesh(mesh_state(header, broken, path.name), settings=settings_of(header))
    assert all(f.check.startswith("PDA-") for f in findings)
