"""Pure listener logic: hostname intersection/containment, label selectors, candidates, kinds."""

from __future__ import annotations

import pytest

from auditor.checks.common.selectors import selector_matches
from auditor.checks.gateway.index import parse_listeners
from auditor.checks.gateway.listeners import (
    candidates,
    contained,
    intersects,
    kind_allowed,
    namespace_allowed,
)
from auditor.keys import GroupKind, ResourceKey

OWNER = ResourceKey("gateway.networking.k8s.io", "Gateway", "infra", "gw")
HTTPROUTE = GroupKind("gateway.networking.k8s.io", "HTTPRoute")


@pytest.mark.parametrize(
    ("listener", "route", "expected"),
    [
        ("very.specific.com", "*.specific.com", True),
        ("*.wildcard.io", "foo.bar.wildcard.io", True),
        ("*.wildcard.io", "wildcard.io", False),
        ("*.example.com", "*.com", True),
        ("*.com", "abc.example.com", True),
        ("*.com", "example.com", True),
        ("*.example.com", "*.example.org", False),
        (None, "anything.io", True),
        ("a.example.com", "*", True),
        ("a.example.com", "b.example.com", False),
        ("A.Example.com", "a.example.com", True),
    ],
)
def test_hostname_intersection(listener: str | None, route: str, expected: bool) -> None:
    assert intersects(listener, route) is expected


@pytest.mark.parametrize(
    ("hostname", "pattern", "expected"),
    [
        ("shop.payments.example.com", "*.payments.example.com", True),
        ("payments.example.com", "*.payments.example.com", False),
        ("*.eu.payments.example.com", "*.payments.example.com", True),
        ("*.payments.example.com", "*.payments.example.com", True),
        ("*.example.com", "*.payments.example.com", False),
        ("exact.example.com", "exact.example.com", True),
        ("*", "*.example.com", False),
        ("anything", "*", True),
    ],
)
def test_delegation_containment(hostname: str, pattern: str, expected: bool) -> None:
    assert contained(hostname, pattern) is expected


LABELS = {"kubernetes.io/metadata.name": "prod", "env": "prod"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        (None, False),
        ({}, True),
        ({"matchLabels": {"env": "prod"}}, True),
        ({"matchLabels": {"env": "dev"}}, False),
        ({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]}, True),
        ({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}, False),
        ({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, True),
        ({"matchExpressions": [{"key": "env", "operator": "Exists"}]}, True),
        ({"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]}, False),
        ({"matchExpressions": [{"key": "env", "operator": "Bogus"}]}, False),
        (
            {
                "matchLabels": {"env": "prod"},
                "matchExpressions": [{"key": "x", "operator": "Exists"}],
            },
            False,
        ),
    ],
)
def test_selector(selector: dict[str, object] | None, expected: bool) -> None:
    assert selector_matches(selector, LABELS) is expected


def _listeners() -> list:  # type: ignore[type-arg]
    body = {
        "spec": {
            "listeners": [
                {"name": "http", "port": 80, "protocol": "HTTP"},
                {
                    "name": "alt",
                    "port": 8080,
                    "protocol": "HTTP",
                    "allowedRoutes": {"namespaces": {"from": "All"}},
                },
                {
                    "name": "tls",
                    "port": 443,
                    "protocol": "TLS",
                    "allowedRoutes": {"kinds": [{"kind": "TLSRoute"}]},
                },
                {"name": "custom", "port": 9000, "protocol": "example.com/PROXY"},
            ]
        }
    }
    return list(parse_listeners(OWNER, body))


def test_defaults_and_candidates() -> None:
    http, alt, tls, custom = _listeners()
    assert http.namespaces_from == "Same" and http.tls_mode == "Terminate"
    assert [lst.name for lst in candidates(_listeners(), None, 8080)] == ["alt"]
    assert [lst.name for lst in candidates(_listeners(), "http", 8080)] == []
    assert len(candidates(_listeners(), None, None)) == 4
    assert kind_allowed(http, HTTPROUTE) and not kind_allowed(tls, HTTPROUTE)
    assert kind_allowed(custom, HTTPROUTE)
    assert tls.kinds == (GroupKind("gateway.networking.k8s.io", "TLSRoute"),)
    assert namespace_allowed(http, "infra", {}) and not namespace_allowed(http, "app", {})
    assert namespace_allowed(alt, "app", {})


def test_malformed_listeners_do_not_crash() -> None:
    body = {"spec": {"listeners": ["oops", {"name": 3, "port": "80", "allowedRoutes": []}]}}
    parsed = parse_listeners(OWNER, body)
    assert [(lst.name, lst.port, lst.namespaces_from) for lst in parsed] == [
        ("", None, "Same"),
        ("", None, "Same"),
    ]
