"""Scenario catalogue for the Gateway API analysis (tests/unit/testdata/gateway/*.yaml).

Each file is a multi-document YAML: a header (scenario, spec, optional teams, view, now,
disabled, unobserved, assume_namespace_labels, expect) followed by the cluster objects. The test asserts that
check_gateway returns exactly the expected findings: every expected entry matches one distinct
finding on check, object and reason (plus ref/listener/severity/team/other_team when given), and no
finding is left over.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor.checks.gateway import GatewaySettings, check_gateway
from auditor.keys import GroupKind, key_of
from auditor.kinds import BUILTIN_KINDS, CLUSTER_SCOPED, GATEWAY_KINDS
from auditor.model import AllowedParent, ClusterState, Finding, KubeObject, Origin, TeamPolicy, View

DATA = Path(__file__).resolve().parent / "testdata" / "gateway"
SCENARIOS = sorted(DATA.glob("*.yaml"))


def load(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs[0], docs[1:]


def team_policy(raw: Mapping[str, Any]) -> TeamPolicy:
    parents = raw.get("allowed_parents")
    allowed = None
    if parents is not None:
        allowed = tuple(
            AllowedParent(
                namespace=p["gateway"].split("/")[0],
                name=p["gateway"].split("/")[1],
                kind=p.get("kind", "Gateway"),
                sections=tuple(p.get("sections", ())),
            )
            for p in parents
        )
    return TeamPolicy(
        name=raw["name"],
        namespaces=tuple(raw.get("namespaces", ())),
        namespace_selector=raw.get("namespace_selector", {}),
        allowed_parents=allowed,
        hostnames=tuple(raw.get("hostnames", ())),
        gateway_classes=tuple(raw["gateway_classes"]) if "gateway_classes" in raw else None,
    )


def build_state(header: Mapping[str, Any], bodies: list[dict[str, Any]], name: str) -> ClusterState:
    objects = {}
    for i, body in enumerate(bodies):
        gk = GroupKind.from_api_version(str(body.get("apiVersion", "")), str(body.get("kind", "")))
        key = key_of(body, default_namespace="" if gk in CLUSTER_SCOPED else "default")
        origin = Origin(repository="test", commit="0" * 40, path=name, line=i + 1)
        objects[key] = KubeObject(key=key, body=body, origin=origin)
    observed = set(BUILTIN_KINDS) | set(GATEWAY_KINDS) | {k.group_kind for k in objects}
    for text in header.get("unobserved", ()):
        group, _, kind = text.rpartition("/")
        observed.discard(GroupKind(group, kind))
    return ClusterState(
        cluster="test",
        view=View(header.get("view", "manifests")),
        objects=objects,
        observed=frozenset(observed),
    )


def settings_of(header: Mapping[str, Any]) -> GatewaySettings:
    now = header.get("now")
    return GatewaySettings(
        teams=tuple(team_policy(t) for t in header.get("teams", ())),
        disabled=frozenset(header.get("disabled", ())),
        now=datetime.fromisoformat(str(now).replace("Z", "+00:00")) if now else None,
        assume_namespace_labels=bool(header.get("assume_namespace_labels", False)),
    )


def object_text(f: Finding) -> str:
    assert f.object is not None
    where = f"{f.object.namespace}/{f.object.name}" if f.object.namespace else f.object.name
    return f"{f.object.kind} {where}"


def matches(expected: Mapping[str, Any], f: Finding) -> bool:
    if (expected["check"], expected["object"], expected.get("reason")) != (
        f.check,
        object_text(f),
        f.reason,
    ):
        return False
    for field in ("listener", "team", "other_team"):
        if field in expected and expected[field] != getattr(f, field):
            return False
    if "severity" in expected and expected["severity"] != str(f.severity):
        return False
    if "ref" in expected:
        actual = f.ref.as_dict() if f.ref else {}
        if any(actual.get(k) != v for k, v in expected["ref"].items()):
            return False
    return True


def describe(f: Finding) -> str:
    ref = f.ref.as_dict() if f.ref else None
    return f"{f.check} {object_text(f)} reason={f.reason} ref={ref} listener={f.listener} :: {f.message}"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    header, bodies = load(path)
    findings = check_gateway(build_state(header, bodies, path.name), settings=settings_of(header))
    remaining = list(findings)
    missing = []
    expects = sorted(header.get("expect") or [], key=len, reverse=True)
    for expected in expects:
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


def test_catalogue_is_large_enough() -> None:
    assert len(SCENARIOS) >= 60
    names = [load(p)[0]["scenario"] for p in SCENARIOS]
    assert len(names) == len(set(names))
