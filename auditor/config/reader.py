"""Typed access to the raw config mapping, with key paths for every error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.durations import parse_duration as _parse_duration
from auditor.errors import ConfigError


def parse_duration(text: str) -> int:
    """Whole seconds of a duration (``30s``, ``5m``, ``2h``, ``180d``, ``2w``); ValueError otherwise.

    The units and bounds are those of :func:`auditor.durations.parse_duration`.
    """
    return int(_parse_duration(text).total_seconds())


class ConfigReader:
    """Typed access to one mapping of the config, with key paths for errors."""

    def __init__(self, data: Mapping[str, Any], *, file: str, path: str) -> None:
        self.data, self.file, self.path = data, file, path

    def error(self, key: str | None, expected: str) -> ConfigError:
        where = self._join(key) if key is not None else (self.path or "(top level)")
        return ConfigError(f"{self.file}: {where}: {expected}")

    def _join(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def check_keys(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                raise self.error(
                    str(key), f"unknown key (expected one of: {', '.join(sorted(allowed))})"
                )

    def get(
        self,
        key: str,
        kind: type | tuple[type, ...],
        default: Any = None,
        *,
        required: bool = False,
    ) -> Any:
        if key not in self.data or self.data[key] is None:
            if required:
                raise self.error(key, "is required")
            return default
        value = self.data[key]
        if kind is int and isinstance(value, bool):
            raise self.error(key, f"expected an integer, got {value!r}")
        if not isinstance(value, kind):
            raise self.error(
                key, f"expected {_kind_name(kind)}, got {type(value).__name__} {value!r}"
            )
        return value

    def str_list(self, key: str) -> tuple[str, ...]:
        value = self.get(key, list, [])
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.error(f"{key}[{i}]", f"expected a string, got {item!r}")
        return tuple(value)

    def child(self, key: str, *, required: bool = False) -> ConfigReader:
        return ConfigReader(
            self.get(key, dict, {}, required=required), file=self.file, path=self._join(key)
        )

    def children(self, key: str, *, required: bool = False) -> list[ConfigReader]:
        items = self.get(key, list, [], required=required)
        readers = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.error(f"{key}[{i}]", f"expected a mapping, got {item!r}")
            readers.append(ConfigReader(item, file=self.file, path=self._join(f"{key}[{i}]")))
        return readers

    def duration(self, key: str, default: str, *, allow_zero: bool = False) -> int:
        """Seconds of a duration with a unit (``auditor.durations``; a bare number other than 0 is
        refused). Positive (or zero when ``allow_zero``), at most 100 years."""
        value = self.get(key, (str, int), default)
        if isinstance(value, bool):
            raise self.error(key, f"expected a duration like 30s, 5m, 2h or 180d, got {value!r}")
        try:
            seconds = parse_duration(str(value))
        except ValueError as e:
            raise self.error(key, str(e)) from e
        if seconds < 0 or (seconds == 0 and not allow_zero):
            raise self.error(key, f"expected a positive duration, got {value!r}")
        return seconds


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        int: "an integer",
        bool: "a boolean",
    }
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)
