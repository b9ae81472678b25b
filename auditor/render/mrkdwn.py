"""Slack mrkdwn escaping: text from Git or the cluster must arrive inert.

Slack parses ``<...>`` as links and mentions (``<!channel>``, ``<http://evil|click>``) and ``&``
starts an entity; escaping exactly these three characters (Slack's own rule) makes any such
text literal. Control characters are dropped so a value cannot break the layout.
"""

from __future__ import annotations

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\n\t")


def escape(text: object) -> str:
    """``text`` (any value, rendered with ``str``) safe to embed in mrkdwn."""
    return str(text).translate(_CONTROL).translate(_ESCAPES)


def code(text: object) -> str:
    """Escaped inline code; backticks inside would end the span, so they become quotes."""
    return "`" + escape(text).replace("`", "'").replace("\n", " ") + "`"


def cap(text: str, limit: int) -> str:
    """At most ``limit`` characters, with an ellipsis when cut (Slack rejects long blocks)."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
