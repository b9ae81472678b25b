"""Manifest files for ``auditor analyze``: files, directories, stdin, problems and CRDs."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from auditor.errors import ManifestError
from auditor.keys import ResourceKey
from auditor.model import Origin
from auditor.sources.files import read_manifests

GW = "gateway.networking.k8s.io"


def route(name: str, namespace: str | None = None) -> str:
    ns = f", namespace: {namespace}" if namespace else ""
    return f"apiVersion: {GW}/v1\nkind: HTTPRoute\nmetadata: {{name: {name}{ns}}}\n"


CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec: {group: example.com, scope: Cluster, names: {kind: Gadget, plural: gadgets}}
"""


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    files = {
        "m/b.yaml": route("b") + "---\n" + route("b2", "shop"),
        "m/a.yml": route("a"),
        "m/sub/c.json": '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "dg=="}}',
        "m/sub/crd.yaml": CRD
        + "---\napiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g, namespace: x}\n",
        "m/values.yaml": "replicas: 2\n",
        "m/notes.txt": "not: [yaml",
        "m/.hidden/h.yaml": route("hidden"),
        "m/zz/bad.yaml": route("ok-before") + "---\nkind: x: y\n",
        "m/zz/dup.yaml": route("a"),
        "m/zz/big.yaml": route("big") + "#" + "x" * 600 + "\n",
        "m/zz/latin1.yaml": "",
        "extra.txt": route("explicit"),
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "m/zz/latin1.yaml").write_bytes(b"kind: caf\xe9\n")
    return tmp_path


def test_directory_walk_is_recursive_sorted_and_skips_hidden(tree: Path) -> None:
    result = read_manifests(["m", "extra.txt"], max_file_bytes=500)
    assert [(o.key.name, o.origin.path, o.origin.line) for o in result.objects if o.origin] == [
        ("a", os.path.join("m", "a.yml"), 1),
        ("b", os.path.join("m", "b.yaml"), 1),
        ("b2", os.path.join("m", "b.yaml"), 5),
        ("s", os.path.join("m", "sub", "c.json"), 1),
        ("g", os.path.join("m", "sub", "crd.yaml"), 6),
        ("ok-before", os.path.join("m", "zz", "bad.yaml"), 1),
        ("explicit", "extra.txt", 1),
    ]
    assert all(
        o.origin == Origin(repository="", commit="", path=o.origin.path, line=o.origin.line)
        for o in result.objects
        if o.origin
    )
    assert result.ignored == 1  # values.yaml


def test_namespaces_crds_and_secrets(tree: Path) -> None:
    result = read_manifests(["m"], max_file_bytes=500)
    keys = {o.key.name: o.key for o in result.objects}
    assert keys["a"] == ResourceKey(GW, "HTTPRoute", "default", "a")
    assert keys["b2"].namespace == "shop"
    assert keys["g"] == ResourceKey("example.com", "Gadget", "", "g")  # the CRD says Cluster
    assert [c["metadata"]["name"] for c in result.crds] == ["gadgets.example.com"]
    secret = next(o for o in result.objects if o.key.kind == "Secret")
    assert "data" not in secret.body


def test_each_bad_file_is_a_problem_and_the_rest_is_read(tree: Path) -> None:
    result = read_manifests(["m"], max_file_bytes=500)
    found = {(p.check, p.origin.path, p.origin.line): p.message for p in result.problems}
    zz = os.path.join("m", "zz")
    assert found == {
        (
            "PDA-SRC-001",
            f"{zz}/bad.yaml",
            5,
        ): f"{zz}/bad.yaml:5: invalid YAML: mapping values are not allowed in this context",
        (
            "PDA-SRC-004",
            f"{zz}/dup.yaml",
            1,
        ): f"HTTPRoute default/a is declared twice: at m/a.yml:1 and at {zz}/dup.yaml:1; the first is kept",
        (
            "PDA-SRC-002",
            f"{zz}/big.yaml",
            None,
        ): f"{zz}/big.yaml: file is over the limit of 500 bytes (limits.max_file_bytes); not read",
        ("PDA-SRC-001", f"{zz}/latin1.yaml", 1): f"{zz}/latin1.yaml:1: not UTF-8 text",
    }
    assert {"a", "b", "b2", "s", "g", "ok-before"} <= {o.key.name for o in result.objects}


def test_stdin(tree: Path) -> None:
    result = read_manifests(["-", "m/a.yml"], stdin=io.StringIO("---\n" + route("from-stdin")))
    assert [(o.key.name, o.origin.path, o.origin.line) for o in result.objects if o.origin] == [
        ("from-stdin", "<stdin>", 2),
        ("a", "m/a.yml", 1),
    ]
    big = read_manifests(["-"], stdin=io.StringIO(route("x") * 10), max_file_bytes=100)
    assert [p.check for p in big.problems] == ["PDA-SRC-002"] and big.objects == []


def test_missing_path_is_a_manifest_error(tree: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        read_manifests(["m", "nope/route.yaml"])
    assert str(caught.value) == "nope/route.yaml: no such file or directory"
    assert caught.value.path == "nope/route.yaml"


def test_absolute_paths_are_kept_as_given(tree: Path) -> None:
    result = read_manifests([str(tree / "m" / "a.yml")])
    assert result.objects[0].origin == Origin(
        repository="", commit="", path=str(tree / "m" / "a.yml"), line=1
    )


def test_a_namespace_that_is_not_a_string_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "ns.yaml"
    path.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: {x: 1}}\n")
    result = read_manifests([str(path)])
    assert not result.objects
    (problem,) = result.problems
    assert (
        problem.check == "PDA-SRC-001" and "metadata.namespace is not a string" in problem.message
    )
