"""The alias-expansion guard runs only for documents that really use an alias (or a merge key):
detected from the parsed node graph, never from the text (CEL rules contain ``&&``)."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.sources import yamlload
from auditor.sources.yamlload import load_documents

CEL = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: routes.example.com}
spec:
  x-kubernetes-validations:
    - rule: "self.a && self.b"
      message: "a && b"
  anchored: &only-an-anchor {type: string}
"""


@pytest.fixture
def guard_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = yamlload.expanded_size

    def counting(node: Any) -> tuple[int | None, int]:
        calls.append(node.start_mark.line + 1)
        return real(node)

    monkeypatch.setattr(yamlload, "expanded_size", counting)
    return calls


def test_ampersands_and_unused_anchors_do_not_run_the_guard(guard_calls: list[int]) -> None:
    docs, problems, _ = load_documents(CEL + "---\n" + CEL, path="crds.yaml")
    assert not problems and len(docs) == 2
    assert docs[0].body["spec"]["x-kubernetes-validations"][0]["rule"] == "self.a && self.b"
    assert guard_calls == []


@pytest.mark.parametrize(
    "doc",
    [
        "apiVersion: v1\nkind: A\nmetadata: {name: a}\nx: &m [1, 2]\ny: *m\n",
        "apiVersion: v1\nkind: A\nmetadata: {name: a}\nx: &m {p: 1}\ny: {<<: *m, q: 2}\n",
    ],
)
def test_an_alias_or_merge_runs_the_guard_and_unshares(guard_calls: list[int], doc: str) -> None:
    text = CEL + "---\n" + doc
    (_, obj), problems, _ = load_documents(text, path="m.yaml")
    assert not problems
    assert guard_calls == [text.count("\n", 0, text.index("---\n")) + 2]
    if "y" in obj.body and isinstance(obj.body["y"], list):
        assert obj.body["x"] == obj.body["y"] and obj.body["x"] is not obj.body["y"]
    else:
        assert obj.body["y"] == {"p": 1, "q": 2}


def test_recursive_alias_is_refused_after_construction() -> None:
    text = "apiVersion: v1\nkind: A\nmetadata: {name: a}\nx: &r [*r]\n"
    docs, problems, _ = load_documents(text, path="m.yaml")
    assert docs == []
    assert [p.message for p in problems] == ["m.yaml:1: document refused: recursive YAML alias"]
