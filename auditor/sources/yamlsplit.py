"""Where the items of a ``kubectl get -o yaml`` List are, so they can be parsed a batch at a time.

A List document is one YAML document: parsed whole, libyaml's node tree of a 20,000-object List
alone takes over a gigabyte. kubectl writes a List as a block mapping at column 0 whose ``items:``
key holds a block sequence, every item starting with ``- `` at one indentation. This module
finds those item starts from the text (pure string scanning, no parsing) and cuts the items into
batches; :mod:`yamlload` parses each batch as a sequence of its own and the rest (``apiVersion``,
``kind``, ``metadata``) as the header.

The cut is only a proposal: anything it cannot explain (directives, more than one document, a
line at an unexpected indentation such as a multi-line quoted scalar's continuation) means None,
and every parse error, alias across batches or unexpected shape in a batch makes the loader fall
back to parsing the whole text as one document, with that path's exact errors and lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BATCH = 200
"""Items per batch: large enough to amortise a parser per batch, small enough to keep the
composed nodes of a batch a few megabytes."""

_ITEMS = re.compile(r"^items:[ \t]*(?:#[^\n]*)?\r?\n", re.M)
_MARKERS = re.compile(r"^(?:---|\.\.\.|%)", re.M)
_CONTENT = re.compile(r"^[ \t]*[^ \t\r\n#]", re.M)


@dataclass(frozen=True, slots=True, kw_only=True)
class Batch:
    """Consecutive items: their text (a YAML block sequence) and the 1-based line it starts on."""

    text: str
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ListSplit:
    """The header document (the List without its items) and the items in batches."""

    header: str
    batches: tuple[Batch, ...]


def split_list(text: str, *, batch: int = BATCH) -> ListSplit | None:
    """The List in ``text`` cut into header and item batches, or None when ``text`` is not one
    List document in kubectl's block layout."""
    body = text[4:] if text.startswith("---\n") else text
    if _MARKERS.search(body):
        return None
    found = list(_ITEMS.finditer(body))
    if len(found) != 1:
        return None
    items_at, block_at = found[0].start(), found[0].end()
    starts, end = _item_starts(body, block_at)
    if not starts:
        return None
    header = body[:items_at] + "items: []\n" + body[end:]
    batches = []
    line = (2 if body is not text else 1) + body.count("\n", 0, starts[0])
    for i in range(0, len(starts), batch):
        first = starts[i]
        last = starts[i + batch] if i + batch < len(starts) else end
        batches.append(Batch(text=body[first:last], line=line))
        line += body.count("\n", first, last)
    return ListSplit(header=header, batches=tuple(batches))


def _item_starts(body: str, block_at: int) -> tuple[list[int], int]:
    """Offsets of the item lines of the block sequence at ``block_at`` and where it ends."""
    first = _CONTENT.search(body, block_at)
    if first is None:
        return [], len(body)
    indent = first.end() - 1 - first.start()
    starts: list[int] = []
    # only lines indented up to the items' own indentation: item starts, or the block's end
    for match in re.compile(rf"^ {{0,{indent}}}[^ \t\r\n#]", re.M).finditer(body, block_at):
        at = match.start()
        column = match.end() - 1 - at
        marker = body[match.end() - 1] == "-" and body[match.end() : match.end() + 1] in (
            " ",
            "\n",
            "\r",
        )
        if column == indent and marker:
            starts.append(at)
            continue
        return (starts, at) if column < indent or indent == 0 else ([], at)
    return starts, len(body)
