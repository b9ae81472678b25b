"""Value equivalence (C7/C8) and the DESIGN §6 path syntax."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from auditor.normalize import (
    METADATA_NODE,
    Keyed,
    PathSyntaxError,
    Wildcard,
    canon,
    equivalent,
    format_path,
    is_empty,
    matches,
    parse_duration,
    parse_path,
    parse_quantity,
)
from auditor.normalize.schema import DURATION_PATTERN, compile_schema

DURATION = compile_schema({"type": "string", "pattern": DURATION_PATTERN})
QUANTITY = compile_schema(
    {
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "pattern": r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$",
        "x-kubernetes-int-or-string": True,
    }
)
INT_OR_STRING = compile_schema({"x-kubernetes-int-or-string": True})
LABELS = METADATA_NODE.child("labels")
assert LABELS is not None
LABEL = LABELS.child("any")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1000m", "1"),
        ("0.5", "500m"),
        ("1000M", "1G"),
        ("3072Mi", "3Gi"),
        ("1e3", "1k"),
        ("+2", "2"),
    ],
)
def test_quantities_compare_canonically(a: str, b: str) -> None:
    assert equivalent(a, b)
    assert equivalent(a, b, QUANTITY)


def test_quantity_fields_accept_numbers() -> None:
    assert equivalent(1, "1000m", QUANTITY)
    assert equivalent(0.5, "500m", QUANTITY)
    assert not equivalent(1, "1000m")  # outside a quantity field a number is not a string


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "10 m", "Mi"])
def test_not_quantities(text: str) -> None:
    assert parse_quantity(text) is None


def test_parse_quantity_values() -> None:
    assert parse_quantity("1.5Gi") == Decimal(1.5 * 2**30)
    assert parse_quantity("250u") == Decimal("0.00025")


def test_numbers_ints_floats_and_bools() -> None:
    assert equivalent(8080, 8080.0)
    assert not equivalent(1, 1.5)
    assert not equivalent(True, 1)
    assert equivalent(True, True)
    assert not equivalent(False, 0)


def test_int_or_string_compares_by_type() -> None:
    assert not equivalent(80, "80", INT_OR_STRING)
    assert equivalent("http", "http", INT_OR_STRING)
    assert not equivalent("25%", 25, INT_OR_STRING)


def test_durations_only_in_duration_fields() -> None:
    assert equivalent("1m", "60s", DURATION)
    assert equivalent("1h30m", "90m", DURATION)
    assert equivalent("1500ms", "1s500ms", DURATION)
    assert not equivalent("1m", "61s", DURATION)
    assert not equivalent("1m", "soon", DURATION)
    assert not equivalent("1m", "60s", LABEL)
    assert parse_duration("1d") is None
    assert parse_duration("2h") == 7_200_000


def test_label_values_are_literal() -> None:
    assert not equivalent("1", "1.0", LABEL)
    assert equivalent("1", "1.0")  # unknown field: both parse as the same quantity
    assert not equivalent({"v": "1"}, {"v": "1.0"}, LABELS)


def test_schema_typed_strings_are_not_quantities() -> None:
    """A CRD ``type: string`` field (a header value, a hostname) is compared literally:
    "1.10" -> "1.1" is a real change, not the same quantity."""
    text = compile_schema({"type": "string"})
    assert not equivalent("1.10", "1.1", text)
    assert not equivalent("010", "10", text)
    assert not equivalent("1e3", "1000", text)
    assert equivalent("1.10", "1.10", text)
    assert equivalent("1000m", "1", QUANTITY)  # quantity fields still compare by amount


@pytest.mark.parametrize("value", [None, {}, []])
def test_empty_equals_absent(value: Any) -> None:
    assert is_empty(value)
    assert equivalent(value, None)
    assert not equivalent(value, "")
    assert not equivalent(0, None)


def test_canon_of_containers() -> None:
    assert canon({"a": 1, "b": None, "c": {}}) == canon({"a": 1.0})
    set_node = compile_schema(
        {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}
    )
    assert canon(["a", "b"], set_node) == canon(["b", "a"], set_node)
    assert canon(["a", "b"]) != canon(["b", "a"])
    assert canon(["a", "a"], set_node) != canon(["a"], set_node)
    assert canon(object()) != canon(object())


# --- paths ------------------------------------------------------------------------------------

PATHS = [
    (("spec", "rules", 0, "backendRefs", 1, "weight"), "spec.rules[0].backendRefs[1].weight"),
    (("spec", "listeners", Keyed((("name", "https"),)), "port"), "spec.listeners[name=https].port"),
    (
        ("spec", "ports", Keyed((("containerPort", 80), ("protocol", "TCP")))),
        "spec.ports[containerPort=80,protocol=TCP]",
    ),
    (
        ("metadata", "labels", "istio.io/dataplane-mode"),
        'metadata.labels["istio.io/dataplane-mode"]',
    ),
    (("metadata", "annotations", 'odd"key'), 'metadata.annotations["odd\\"key"]'),
    (("spec", "x", Keyed((("name", "a,b"),))), 'spec.x[name="a,b"]'),
    (("spec", "x", Keyed((("name", "true"),))), 'spec.x[name="true"]'),
    (("spec", "x", Keyed((("name", None),))), "spec.x[name=null]"),
    (("data", "tls.crt"), 'data["tls.crt"]'),
]


@pytest.mark.parametrize(("path", "text"), PATHS)
def test_format_and_parse_round_trip(path: tuple[Any, ...], text: str) -> None:
    assert format_path(path) == text
    assert format_path(parse_path(text)) == text


def test_parse_wildcards() -> None:
    pattern = parse_path("spec.rules[*].backendRefs[*].weight")
    assert pattern == (
        "spec",
        "rules",
        Wildcard(element=True),
        "backendRefs",
        Wildcard(element=True),
        "weight",
    )
    assert format_path(pattern) == "spec.rules[*].backendRefs[*].weight"
    assert parse_path("metadata.labels.*") == ("metadata", "labels", Wildcard(element=False))
    assert parse_path('["top"].x') == ("top", "x")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "spec..x",
        "spec.[0",
        "spec[abc]",
        'spec["x]',
        "spec[=1]",
        "spec!",
        'spec[1"]',
        'spec[a="x]',
        'spec[5"',
        'spec["\\q"]',
        "spec[a=b=c]",
        'spec[a="x"y]',
        "spec.1",
    ],
)
def test_bad_paths_are_refused(text: str) -> None:
    with pytest.raises(PathSyntaxError):
        parse_path(text)


def test_matching_prefix_and_wildcards() -> None:
    path = ("spec", "rules", 0, "backendRefs", 1, "weight")
    assert matches(parse_path("spec.rules[*].backendRefs[*].weight"), path)
    assert matches(parse_path("spec.rules"), path)
    assert matches(parse_path("spec.rules[0]"), path)
    assert not matches(parse_path("spec.rules[1]"), path)
    assert not matches(parse_path("spec.rules[*].backendRefs[*].weight.x"), path)
    assert not matches(parse_path("spec.*[*]"), ("spec", 0))
    keyed = ("spec", "listeners", Keyed((("name", "https"),)), "port")
    assert matches(parse_path("spec.listeners[*].port"), keyed)
    assert matches(parse_path("spec.listeners[name=https]"), keyed)
    assert not matches(parse_path("spec.listeners[name=http]"), keyed)
    assert matches(parse_path("metadata.labels.*"), ("metadata", "labels", "a/b"))
    assert matches(parse_path("spec.x[port=443]"), ("spec", "x", Keyed((("port", 443),))))


def test_bool_is_not_a_segment() -> None:
    with pytest.raises(TypeError):
        format_path(("spec", True))


def test_strictly_equal_does_not_conflate_bool_int_and_float() -> None:
    from auditor.normalize import strictly_equal

    assert strictly_equal({"a": [1, "x"]}, {"a": [1, "x"]})
    assert not strictly_equal({"w": 1}, {"w": True})
    assert not strictly_equal([1], [1.0])
    assert not strictly_equal(1, True)
    assert not strictly_equal({"a": 1}, {"a": 2})
    assert strictly_equal("s", "s")


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ({"a": {"b": [1, {"c": True}]}}, {"a": {"b": [1, {"c": True}]}}, True),
        ({"a": {"b": [1, {"c": True}]}}, {"a": {"b": [1, {"c": 1}]}}, False),
        ({"a": [{"b": 2}]}, {"a": [{"b": 2.0}]}, False),
        ({"b": 1, "a": [True]}, {"a": [True], "b": 1}, True),  # key order does not matter
        ({1: "x"}, {True: "x"}, False),  # equal non-string keys of different types
        ({1: "x"}, {1: "x"}, True),
        ([[0]], [[False]], False),
        ("1", 1, False),
        (None, None, True),
    ],
)
def test_strictly_equal_checks_types_at_every_depth(a: object, b: object, equal: bool) -> None:
    from auditor.normalize import strictly_equal

    assert strictly_equal(a, b) is equal
