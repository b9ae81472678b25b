"""The one duration parser for the config and the command line (stdlib only).

Units ``s`` ``m`` ``h`` ``d`` ``w`` (seconds to weeks), combinable as ``1h30m``. A bare number is
refused: ``retention: 100`` read as seconds silently pruned everything older than 100 s, while
``--since 100`` meant nothing; so ``100`` now asks for a unit (docs/decisions.md). ``0`` is the
one exception, since zero is the same in every unit. Values are bounded by :data:`MAX_DURATION`
(100 years), so no later date arithmetic can overflow.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["MAX_DURATION", "UNITS", "format_duration", "parse_duration"]

UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
"""Seconds per unit."""

MAX_DURATION = timedelta(days=36500)
"""The longest accepted duration (100 years)."""

_WHOLE = re.compile(r"(?:\d{1,12}[smhdw])+")
_PART = re.compile(r"(\d{1,12})([smhdw])")
_EXPECTED = "expected a duration like 90s, 30m, 24h, 7d, 2w or 1h30m"


def parse_duration(text: str) -> timedelta:
    """``text`` (``7d``, ``1h30m``, ``0``) as a timedelta; ValueError naming what was wrong."""
    given = text.strip()
    if given == "0":
        return timedelta(0)
    if given.isdigit():
        raise ValueError(f"{_EXPECTED}; a bare number has no unit: write {given}s or {given}d")
    if not _WHOLE.fullmatch(given):
        raise ValueError(f"{_EXPECTED}, got {text!r}")
    seconds = sum(int(n) * UNITS[unit] for n, unit in _PART.findall(given))
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"{text!r} is longer than the maximum of 100 years (36500d)")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """``value`` in the largest unit that divides it exactly (``2w``, ``180d``, ``90m``, ``0s``)."""
    seconds = int(value.total_seconds())
    for unit, size in UNITS.items():
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
