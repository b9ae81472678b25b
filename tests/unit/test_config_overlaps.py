"""Team namespace overlaps: found through a dict for names and globs matched against names,
reporting exactly what comparing every pair of teams (the reference below) reports."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import load
from auditor.errors import ConfigError

NAMES = st.sampled_from(["pay", "pay-1", "pay-2", "web", "pay-*", "*-1", "we?", "[pw]ay", "ops"])


def _pairwise(teams: list[tuple[str, list[str]]]) -> str | None:
    """The former check: every pair of teams, every pair of names."""
    for i, (team, names) in enumerate(teams):
        for j in range(i + 1, len(teams)):
            for a in names:
                for b in teams[j][1]:
                    if a == b or fnmatch.fnmatchcase(a, b) or fnmatch.fnmatchcase(b, a):
                        return f"teams[{j}].namespaces: namespace {b!r} overlaps {a!r} of team {team!r}"
    return None


def _config(tmp_path: Path, teams: list[tuple[str, list[str]]]) -> Path:
    lines = ["teams:"]
    for name, namespaces in teams:
        quoted = ", ".join(f"'{n}'" for n in namespaces)
        lines.append(f"  - {{name: {name}, namespaces: [{quoted}]}}")
    path = tmp_path / "auditor.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(NAMES, min_size=1, max_size=4), min_size=1, max_size=5))
def test_overlaps_are_reported_as_the_pairwise_comparison_reports_them(
    tmp_path_factory: pytest.TempPathFactory, namespaces: list[list[str]]
) -> None:
    tmp_path = tmp_path_factory.mktemp("cfg")
    teams = [(f"t{i}", names) for i, names in enumerate(namespaces)]
    expected = _pairwise(teams)
    try:
        load(_config(tmp_path, teams), environ={})
    except ConfigError as e:
        assert expected is not None and expected in str(e), (str(e), expected)
    else:
        assert expected is None


def test_a_fleet_of_literal_names_loads(tmp_path: Path) -> None:
    """500 teams of 10 names each: the pairwise comparison took 4.4 s here."""
    teams = [(f"t{i}", [f"ns-{i}-{k}" for k in range(10)]) for i in range(500)]
    load(_config(tmp_path, teams), environ={})
    teams.append(("late", ["ns-7-3"]))
    try:
        load(_config(tmp_path, teams), environ={})
    except ConfigError as e:
        assert "teams[500].namespaces: namespace 'ns-7-3' overlaps 'ns-7-3' of team 't7'" in str(e)
    else:  # pragma: no cover - the assertion above is the test
        raise AssertionError("the overlap was not found")
