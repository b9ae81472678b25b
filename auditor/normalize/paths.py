"""Field paths in the DESIGN §6 syntax: build, format, parse and match them.

A path is a tuple of segments: a ``str`` map key, an ``int`` list index, or a :class:`Keyed`
list-map element. Formatted: ``spec.listeners[name=https].port``, composite keys
``[containerPort=80,protocol=TCP]``, map keys that are not plain identifiers in quoted brackets
(``metadata.labels["istio.io/dataplane-mode"]``). Patterns (ignore rules) may use ``[*]`` for any
list element and ``*`` for any map key; a pattern also matches every path below it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BARE_VALUE = re.compile(r"[A-Za-z0-9_.:/*@+-]+")
_JSON_WORDS = frozenset({"null", "true", "false"})


@dataclass(frozen=True, slots=True)
class Keyed:
    """A list-map element, by its key fields in schema order: ``(("name", "https"),)``."""

    items: tuple[tuple[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.items)


@dataclass(frozen=True, slots=True)
class Wildcard:
    """Pattern segment: ``[*]`` (``element=True``) or ``*`` as a map key."""

    element: bool


Segment = str | int | Keyed
Path = tuple[Segment, ...]
PatternSegment = Segment | Wildcard
Pattern = tuple[PatternSegment, ...]


def _format_value(value: Any) -> str:
    if (
        isinstance(value, str)
        and _BARE_VALUE.fullmatch(value)
        and value not in ("null", "true", "false")
    ):
        return value
    return json.dumps(value, sort_keys=True)


def format_segment(seg: PatternSegment) -> str:
    """One segment as it appears in a path (with its leading ``.`` for map keys)."""
    if isinstance(seg, Wildcard):
        return "[*]" if seg.element else ".*"
    if isinstance(seg, bool):
        raise TypeError(f"bool is not a path segment: {seg!r}")
    if isinstance(seg, int):
        return f"[{seg}]"
    if isinstance(seg, Keyed):
        return "[" + ",".join(f"{k}={_format_value(v)}" for k, v in seg.items) + "]"
    if _IDENT.fullmatch(seg):
        return f".{seg}"
    return f"[{json.dumps(seg)}]"


def format_path(path: Pattern) -> str:
    """``("spec", "rules", 0, "backendRefs")`` → ``spec.rules[0].backendRefs``."""
    return "".join(format_segment(s) for s in path).removeprefix(".")


class PathSyntaxError(ValueError):
    """A path or pattern string that does not follow the DESIGN §6 syntax."""


def parse_path(text: str) -> Pattern:
    """Parse a path or pattern string; raises :class:`PathSyntaxError` naming the offending text."""
    parser = _Parser(text)
    return parser.parse()


class _Parser:
    __slots__ = ("pos", "segments", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.segments: list[PatternSegment] = []

    def error(self, what: str) -> PathSyntaxError:
        return PathSyntaxError(f"invalid path {self.text!r} at offset {self.pos}: {what}")

    def parse(self) -> Pattern:
        if not self.text:
            raise self.error("empty path")
        self.key()
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == ".":
                self.pos += 1
                self.key()
            elif char == "[":
                self.bracket()
            else:
                raise self.error(f"unexpected {char!r}")
        return tuple(self.segments)

    def key(self) -> None:
        if self.text.startswith("*", self.pos):
            self.pos += 1
            self.segments.append(Wildcard(element=False))
            return
        if self.text.startswith("[", self.pos):
            return
        match = _IDENT.match(self.text, self.pos)
        if not match:
            raise self.error("expected a field name")
        self.segments.append(match.group())
        self.pos = match.end()

    def bracket(self) -> None:
        end = self._closing()
        inner = self.text[self.pos + 1 : end]
        if inner == "*":
            self.segments.append(Wildcard(element=True))
        elif inner.isdigit():
            self.segments.append(int(inner))
        elif inner.startswith('"'):
            self.segments.append(self._json_string(inner))
        elif "=" in inner:
            self.segments.append(self._keyed(inner))
        else:
            raise self.error(f"bad bracket [{inner}]")
        self.pos = end + 1

    def _closing(self) -> int:
        pos, quoted = self.pos + 1, False
        while pos < len(self.text):
            char = self.text[pos]
            if char == "\\" and quoted:
                pos += 2
                continue
            if char == '"':
                quoted = not quoted
            elif char == "]" and not quoted:
                return pos
            pos += 1
        raise self.error("unclosed [")

    def _json_string(self, inner: str) -> str:
        try:
            value = json.loads(inner)
        except json.JSONDecodeError as e:
            raise self.error(f"bad quoted key {inner}") from e
        return str(value)  # a JSON text starting with '"' is a string

    def _keyed(self, inner: str) -> Keyed:
        items: list[tuple[str, Any]] = []
        for part in _split_top(inner):
            name, sep, raw = part.partition("=")
            if not sep or not _IDENT.fullmatch(name):
                raise self.error(f"bad key {part!r}")
            items.append((name, self._key_value(raw)))
        return Keyed(tuple(items))

    def _key_value(self, raw: str) -> Any:
        if _BARE_VALUE.fullmatch(raw) and raw not in _JSON_WORDS:
            return raw
        try:
            return json.loads(raw)
        except json.JSONDecodeError as e:
            raise self.error(f"bad key value {raw!r}") from e


def _split_top(inner: str) -> list[str]:
    """Split ``a=1,b="x,y"`` at commas outside quotes."""
    parts, current, quoted = [], "", False
    for char in inner:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _segment_matches(pattern: PatternSegment, seg: Segment) -> bool:
    if isinstance(pattern, Wildcard):
        return pattern.element == (not isinstance(seg, str))
    return format_segment(pattern) == format_segment(seg)


def matches(pattern: Pattern, path: Path) -> bool:
    """True when ``path`` is the pattern's path or lies below it (wildcards match one segment)."""
    if len(pattern) > len(path):
        return False
    return all(_segment_matches(p, s) for p, s in zip(pattern, path, strict=False))
