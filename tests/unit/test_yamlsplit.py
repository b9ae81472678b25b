"""A large ``kind: List`` is parsed a batch of items at a time: the result (objects, lines,
problems, ignored count) must equal parsing it whole, and anything the batches do not explain
falls back to the whole parse."""

from __future__ import annotations

import functools

import pytest

from auditor.sources import yamlload
from auditor.sources.yamlload import load_documents
from auditor.sources.yamlsplit import split_list

ITEMS = """\
- apiVersion: v1
  kind: Secret
  metadata:
    name: s
    namespace: a
    annotations: {kubectl.kubernetes.io/last-applied-configuration: "{}"}
  data: {k: dmFsdWU=}
# a comment at column 0 between items
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: r, namespace: a}
  spec:
    hostnames: ["a.example.com"]
    rules:
    - matches:
      - path: {type: PathPrefix, value: /}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: c, namespace: a}
  data:
    script: |
      - not an item
      kind: not a key
    on: yes
    octal: 0755
- just a scalar
- apiVersion: v1
  kind: Service
  metadata: {name: svc, namespace: a}
  spec: {ports: [{port: 80}]}
"""


def _list(items: str, *, indent: str = "", kind: str = "List", lead: str = "") -> str:
    body = "".join(indent + line if line.strip() else line for line in items.splitlines(True))
    return f"{lead}apiVersion: v1\nitems:\n{body}kind: {kind}\nmetadata:\n  resourceVersion: ''\n"


def _both(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    monkeypatch.setattr(yamlload, "SPLIT_FROM", 10**12)
    whole = load_documents(text, path="l.yaml")
    monkeypatch.setattr(yamlload, "SPLIT_FROM", 0)
    monkeypatch.setattr(yamlload, "split_list", functools.partial(split_list, batch=2))
    split = load_documents(text, path="l.yaml")
    return whole, split


@pytest.mark.parametrize(
    "text",
    [
        _list(ITEMS),
        _list(ITEMS, indent="  "),
        _list(ITEMS, lead="---\n"),
        _list(ITEMS, kind="ServiceList"),
        _list(ITEMS.replace("- just a scalar\n", "- {name: bare}\n"), kind="ServiceList"),
    ],
)
def test_batches_equal_the_whole_parse(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert split_list(text, batch=2) is not None
    whole, split = _both(text, monkeypatch)
    assert split == whole
    docs, problems, _ = whole  # type: ignore[misc]
    assert not problems and docs[0].line == 3 + text.startswith("---")
    assert "data" not in docs[0].body  # the Secret's values are dropped on both paths


@pytest.mark.parametrize(
    "text",
    [
        _list(
            ITEMS
            + '- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: q}\n  data: {a: "x\n- y"}\n'
        ),
        _list(ITEMS.replace("data: {k: dmFsdWU=}", "data: &d {k: dmFsdWU=}") + "- *d\n"),
        _list(ITEMS, kind="Thing"),
        _list(ITEMS + "- apiVersion: v1\n  kind: [unclosed\n"),
        _list(ITEMS) + "---\n" + _list(ITEMS),
        "%YAML 1.1\n---\n" + _list(ITEMS),
    ],
    ids=[
        "quoted-continuation",
        "alias-across-items",
        "not-a-list",
        "error",
        "two-docs",
        "directive",
    ],
)
def test_anything_unexplained_falls_back_to_the_whole_parse(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, split = _both(text, monkeypatch)
    assert split == whole


def test_split_finds_items_and_lines() -> None:
    split = split_list(_list(ITEMS, indent="  "), batch=2)
    assert split is not None
    assert [b.line for b in split.batches] == [3, 19, 29]
    assert split.header.startswith("apiVersion: v1\nitems: []\nkind: List\n")
    assert split_list("apiVersion: v1\nkind: List\nitems: []\n") is None
    assert split_list("apiVersion: v1\nitems:\nkind: List\n") is None
