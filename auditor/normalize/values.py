"""Value equivalence (DRIFT_RULES C7, C8): canonical, hashable forms of JSON values.

Two values are equivalent when their :func:`canon` forms are equal:

* JSON ``null``, ``{}``, ``[]`` and an absent field are the same (:func:`is_empty`);
* an integral float equals the int (``8080.0`` = ``8080``); a bool never equals a number;
* Gateway API durations (GEP-2257) compare by length of time (``1m`` = ``60s``);
* a string that parses as a Kubernetes quantity compares by amount (``1000m`` = ``1``,
  ``3072Mi`` = ``3Gi``) in quantity fields and fields of unknown type, never in fields the schema
  types as plain strings (``"1.10"`` ≠ ``"1.1"``); in known quantity fields a number also equals
  its quantity string;
* IntOrString values compare by type (``80`` ≠ ``"80"``) outside quantity fields.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.normalize.schema import SchemaNode

logger = logging.getLogger(__name__)

_QUANTITY = re.compile(
    r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE]?)"
)
_SUFFIX = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
_DURATION = re.compile(r"(?:[0-9]{1,5}(?:h|ms|m|s)){1,4}")
_DURATION_PART = re.compile(r"([0-9]{1,5})(h|ms|m|s)")
_DURATION_MS = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}


def copy_json(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars): much faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value


def is_empty(value: Any) -> bool:
    """``null``, ``{}`` and ``[]`` count as absent (C8)."""
    return value is None or (isinstance(value, dict | list) and not value)


def parse_quantity(text: str) -> Decimal | None:
    """The amount of a Kubernetes quantity string (``"500m"`` → 0.5), or None."""
    match = _QUANTITY.fullmatch(text.strip()) if text else None
    if not match:
        return None
    number, suffix = match.groups()
    try:
        if suffix[:1] in ("e", "E"):
            return Decimal(number + suffix).normalize()
        return (Decimal(number) * _SUFFIX[suffix]).normalize()
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        return None


def parse_duration(text: str) -> int | None:
    """Milliseconds of a GEP-2257 duration (``"1h30m"``), or None when it is not one."""
    if not _DURATION.fullmatch(text):
        return None
    return sum(int(n) * _DURATION_MS[unit] for n, unit in _DURATION_PART.findall(text))


def _canon_scalar(value: Any, node: SchemaNode | None) -> Any:
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        if node is not None and node.quantity:
            return ("qty", Decimal(str(value)).normalize())
        return ("num", int(value) if isinstance(value, float) and value.is_integer() else value)
    if isinstance(value, str):
        return _canon_string(value, node)
    return ("other", repr(value))


def _canon_string(value: str, node: SchemaNode | None) -> Any:
    if node is not None and node.duration:
        millis = parse_duration(value)
        if millis is not None:
            return ("dur", millis)
    if node is None or node.quantity or (node.type != "string" and not node.plain_string):
        amount = parse_quantity(value)
        if amount is not None:
            return ("qty", amount)
    return ("str", value)


def strictly_equal(a: Any, b: Any) -> bool:
    """``a == b`` without Python's ``1 == True == 1.0`` conflation: JSON types must match too.

    The C-speed ``==`` decides first; only equal values are then walked for their types (a
    third of the cost of comparing their canonical JSON texts, which it replaced).
    """
    return a == b and _same_types(a, b)


_CONTAINERS = (dict, list)


def _same_types(a: Any, b: Any) -> bool:
    """Whether two values already known equal (``a == b``) also have the same JSON types
    throughout. Equal dicts hold the same keys, so ``b[k]`` is ``a[k]``'s counterpart."""
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is dict:
        if not all(type(k) is str for k in a):  # 1 and True are one key: compare the texts
            return json.dumps(a, sort_keys=True, default=repr) == json.dumps(
                b, sort_keys=True, default=repr
            )
        pairs: Any = ((v, b[k]) for k, v in a.items())
    elif kind is list:
        pairs = zip(a, b, strict=True)
    else:
        return True
    for v, w in pairs:
        if type(v) is not type(w):
            return False
        if isinstance(v, _CONTAINERS) and not _same_types(v, w):
            return False
    return True


def canon(value: Any, node: SchemaNode | None = None) -> Any:
    """A hashable canonical form: equal forms mean equivalent values under ``node``'s schema."""
    if isinstance(value, dict):
        return (
            "map",
            frozenset(
                (k, canon(v, node.child(k) if node else None))
                for k, v in value.items()
                if not is_empty(v)
            ),
        )
    if isinstance(value, list):
        item = node.items if node else None
        forms = [canon(v, item) for v in value]
        if node is not None and node.list_type in ("set", "map"):
            return ("bag", frozenset(Counter(forms).items()))
        return ("list", tuple(forms))
    return _canon_scalar(value, node)


def equivalent(a: Any, b: Any, node: SchemaNode | None = None) -> bool:
    """True when ``a`` and ``b`` are the same value after C7/C8 equivalences."""
    if is_empty(a) or is_empty(b):
        return is_empty(a) and is_empty(b)
    return bool(canon(a, node) == canon(b, node))
