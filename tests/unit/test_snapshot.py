"""Live state from a snapshot file: Lists, multi-document YAML/JSON, CRDs, scopes and bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor import kinds
from auditor.errors import SnapshotError
from auditor.keys import GroupKind
from auditor.sources.snapshot import load_snapshot

GW = "gateway.networking.k8s.io"
WIDGET = GroupKind("example.com", "Widget")
GADGET = GroupKind("example.com", "Gadget")

CRDS = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {kind: Gadget, plural: gadgets}
"""

DUMP = f"""apiVersion: v1
kind: List
items:
- apiVersion: {GW}/v1
  kind: HTTPRoute
  metadata: {{name: r, namespace: payments}}
- apiVersion: {GW}/v1beta1
  kind: HTTPRoute
  metadata: {{name: r, namespace: payments}}
- apiVersion: v1
  kind: Secret
  metadata: {{name: tls, namespace: infra}}
  data: {{tls.crt: c2VjcmV0}}
- apiVersion: v1
  kind: Namespace
  metadata: {{name: payments, labels: {{team: payments}}}}
- apiVersion: example.org/v1
  kind: Thing
  metadata: {{name: t}}
---
{CRDS}"""


def write(tmp_path: Path, text: str | bytes, name: str = "snap.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_list_dump_with_crds(tmp_path: Path) -> None:
    state = load_snapshot(write(tmp_path, DUMP), cluster="lab")
    assert state.cluster == "lab" and state.complete
    assert [(o["kind"], o["metadata"]["name"]) for o in state.objects] == [
        ("HTTPRoute", "r"),
        ("Secret", "tls"),
        ("Namespace", "payments"),
        ("Thing", "t"),
    ]  # the v1beta1 copy of the same route is one object
    assert [c["metadata"]["name"] for c in state.crds] == [
        "widgets.example.com",
        "gadgets.example.com",
    ]
    assert state.observed == state.served
    assert state.observed == kinds.BUILTIN_KINDS | {
        WIDGET,
        GADGET,
        GroupKind(GW, "HTTPRoute"),
        GroupKind("example.org", "Thing"),
    }
    assert state.scopes[WIDGET] is True and state.scopes[GADGET] is False
    assert state.scopes[kinds.NAMESPACE] is False and state.scopes[kinds.SECRET] is True
    assert state.scopes[GroupKind(GW, "HTTPRoute")] is True  # inferred from its objects
    assert state.scopes[GroupKind("example.org", "Thing")] is False
    assert "data" not in state.objects[1]


def test_multi_document_json_and_single_object(tmp_path: Path) -> None:
    route = {
        "apiVersion": f"{GW}/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "a", "namespace": "x"},
    }
    gc = {"apiVersion": f"{GW}/v1", "kind": "GatewayClass", "metadata": {"name": "public"}}
    path = write(tmp_path, json.dumps(route) + "\n" + json.dumps(gc, indent=2), "snap.json")
    state = load_snapshot(path, cluster="lab")
    assert [o["metadata"]["name"] for o in state.objects] == ["a", "public"]
    assert state.scopes[GroupKind(GW, "GatewayClass")] is False
    assert state.crds == ()
    one = load_snapshot(write(tmp_path, json.dumps(route), "one.json"), cluster="lab")
    assert len(one.objects) == 1


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "apiVersion: v1\nkind: List\nitems:\n- a: b: c\n")
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(path, cluster="lab")
    assert str(caught.value).startswith(f"{path}:4: invalid YAML")
    assert caught.value.subject == f"cluster lab: snapshot {path}"


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = "".join(
        f"  {c}: &{c} [{','.join(['*' + p] * 9)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    text = (
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + lines
    )
    with pytest.raises(SnapshotError, match="limit of 1000000 YAML nodes"):
        load_snapshot(write(tmp_path, text), cluster="lab")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read: No such file or directory"),
        ("x" * 200, "over the limit of 100 bytes"),
        (b"kind: caf\xe9\n", ":1: not UTF-8 text"),
    ],
)
def test_unreadable_snapshot_is_a_snapshot_error(
    tmp_path: Path, content: str | bytes | None, message: str
) -> None:
    path = tmp_path / "snap.yaml" if content is None else write(tmp_path, content)
    with pytest.raises(SnapshotError, match=message) as caught:
        load_snapshot(path, cluster="lab", max_bytes=100)
    assert str(path) in str(caught.value)


def test_empty_snapshot_observes_only_builtins(tmp_path: Path) -> None:
    state = load_snapshot(write(tmp_path, "# nothing\n---\n"), cluster="lab")
    assert state.objects == () and state.observed == kinds.BUILTIN_KINDS


ROUTE_DOC = f"apiVersion: {GW}/v1\nkind: HTTPRoute\nmetadata: {{name: ok, namespace: web}}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # issue 8: an invalid document is never dropped silently (it would look deleted)
        (
            ROUTE_DOC + f"---\napiVersion: {GW}/v1\nmetadata: {{name: r, namespace: web}}\n",
            r"1 document\(s\) are not Kubernetes objects .*\(the first: document 2, line 5\)",
        ),
        (ROUTE_DOC + "---\nfoo: bar\n", r"\(the first: document 2, line 5\)"),
        (ROUTE_DOC + "---\n- a\n- b\n", r"\(the first: document 2, line 5\)"),
        (
            f"apiVersion: v1\nkind: List\nitems:\n- {{apiVersion: {GW}/v1, metadata: {{name: r}}}}\n",
            r"\(the first: document 1, item 1, line 4\)",
        ),
        (
            ROUTE_DOC + f"---\napiVersion: {GW}/v1\nkind: HTTPRoute\nmetadata: {{name: 42}}\n",
            r"snap.yaml:5: HTTPRoute whose metadata.name is not a non-empty string",
        ),
        (
            ROUTE_DOC
            + f"---\napiVersion: {GW}/v1\nkind: HTTPRoute\nmetadata: {{name: r, namespace: 7}}\n",
            r"snap.yaml:5: HTTPRoute whose metadata.namespace is not",
        ),
        (
            ROUTE_DOC + f"---\napiVersion: {GW}/v1\nkind: HTTPRoute\n",
            r"snap.yaml:5: HTTPRoute whose metadata.name",
        ),
        (
            json.dumps({"apiVersion": "v1", "kind": "List", "items": [{"kind": "HTTPRoute"}]}),
            r"\(the first: JSON value 1, item 1\)",
        ),
        (
            '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}} [1]',
            "JSON value 2",
        ),
    ],
)
def test_invalid_documents_make_the_snapshot_an_error(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(SnapshotError, match=message) as caught:
        load_snapshot(write(tmp_path, text), cluster="lab")
    assert caught.value.subject == f"cluster lab: snapshot {tmp_path / 'snap.yaml'}"


def test_typed_list_items_without_type_are_objects(tmp_path: Path) -> None:
    text = (
        f"apiVersion: {GW}/v1\nkind: HTTPRouteList\nitems:\n- metadata: {{name: r, namespace: a}}\n"
    )
    state = load_snapshot(write(tmp_path, text), cluster="lab")
    assert [o["metadata"]["name"] for o in state.objects] == ["r"]


def test_pods_and_workloads_are_reduced_as_the_cluster_path_lists_them(tmp_path: Path) -> None:
    env = [{"name": "TOKEN", "value": "s3cret-value"}]
    container = {"name": "app", "image": "app:1", "env": env}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "a", "labels": {"app": "x"}, "uid": "u1"},
        "spec": {"serviceAccountName": "sa", "containers": [container]},
        "status": {"phase": "Running"},
    }
    template = {
        "metadata": {"labels": {"app": "x"}},
        "spec": {"serviceAccountName": "sa", "containers": [container]},
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "a"},
        "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": template},
    }
    path = tmp_path / "live.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [pod, deployment]}))
    live = load_snapshot(path, cluster="c")
    by_kind = {body["kind"]: body for body in live.objects}
    assert by_kind["Pod"] == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "a", "labels": {"app": "x"}, "uid": "u1"},
    }
    assert by_kind["Deployment"]["spec"] == {
        "template": {"metadata": {"labels": {"app": "x"}}, "spec": {"serviceAccountName": "sa"}},
        "selector": {"matchLabels": {"app": "x"}},
    }
    assert "s3cret-value" not in json.dumps(live.objects)
