"""Output safety for text taken from Git or a cluster (stdlib only).

Anyone who can open a pull request controls object names, file names and annotation values, and
those reach terminals, CI logs, spreadsheets and Slack. Each job has exactly one function here,
used by every renderer:

- :func:`terminal_safe`: control characters (C0, DEL, C1, ESC, bidi overrides, line separators)
  become visible escapes such as ``\\x1b``, so no byte can move the cursor, clear the screen, change
  colours or forge an OSC-8 link. ``\\n`` is kept only when the cell is multi-line.
- :func:`csv_safe`: a cell that a spreadsheet would run as a formula (first character ``=`` ``+``
  ``-`` ``@``, tab or carriage return; OWASP "CSV injection") gets a leading ``'``; plain numbers
  such as ``-1.5`` are left alone.
- :func:`cap_value`: a value copied into a finding longer than :data:`CAP_BYTES` (its JSON text
  for lists and mappings) is cut and marked with its original size, so a 10 MB annotation cannot
  bloat the database or the table output.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["CAP_BYTES", "cap_value", "csv_safe", "terminal_safe"]

CAP_BYTES = 4096
"""Largest value (UTF-8 bytes) copied into a finding unchanged."""

# C0 controls, DEL, C1 controls (which include CSI/OSC as single bytes), the Unicode line and
# paragraph separators, and the bidirectional overrides/isolates ("Trojan Source").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_NEWLINE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_NAMED = {"\t": "\\t", "\r": "\\r", "\n": "\\n"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def terminal_safe(text: str, *, multiline: bool = False) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\u202e``, ``\\t``).

    ``multiline`` keeps ``\\n`` for cells that hold several lines on purpose.
    """
    pattern = _CONTROL_BUT_NEWLINE if multiline else _CONTROL
    return pattern.sub(_visible, text)


def csv_safe(cell: Any) -> Any:
    """``cell`` for a CSV file: strings that would start a formula get a leading ``'``.

    Non-strings and numeric strings (``-1``, ``+2.5e3``) are returned unchanged.
    """
    if not isinstance(cell, str) or not cell.startswith(_FORMULA_START):
        return cell
    if _NUMBER.fullmatch(cell):
        return cell
    return "'" + cell


def cap_value(value: Any, *, limit: int = CAP_BYTES) -> Any:
    """``value`` itself when its text is at most ``limit`` bytes, else a cut string marked
    ``… [truncated: N bytes]`` (N the original size). Lists and mappings are measured as JSON."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= limit:
        return value
    head = encoded[:limit].decode("utf-8", "ignore")
    return f"{head}… [truncated: {len(encoded)} bytes]"


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
