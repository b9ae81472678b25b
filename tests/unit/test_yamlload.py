"""The manifest YAML loader: lines, YAML 1.1, JSON, Lists, Secrets, limits and malformed input."""

from __future__ import annotations

import itertools
import time

import pytest

from auditor.sources.yamlload import MAX_DEPTH, Document, Problem, load_documents

GW = "gateway.networking.k8s.io"


def load(text: str, **kw: int) -> tuple[list[Document], list[Problem], int]:
    return load_documents(text, path="m.yaml", **kw)


def billion_laughs(levels: int = 9) -> str:
    names = "abcdefghijklmnop"[:levels]
    lines = [f'{names[0]}: &{names[0]} ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in itertools.pairwise(names):
        lines.append(f"{cur}: &{cur} [{','.join(['*' + prev] * 9)}]")
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n" + "".join(
        f"  {line}\n" for line in lines
    )


def test_documents_carry_their_first_line() -> None:
    text = (
        "# leading comment\n---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
        "---\n# about b\n\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n---\n"
    )
    docs, problems, ignored = load(text)
    assert [(d.body["metadata"]["name"], d.line) for d in docs] == [("a", 3), ("b", 9)]
    assert (problems, ignored) == ([], 0)  # the trailing empty document is not counted


def test_malformed_yaml_names_the_line_and_keeps_earlier_documents() -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: x: y\n"
    docs, problems, _ = load(text)
    assert [d.body["metadata"]["name"] for d in docs] == ["a"]
    assert problems == [
        Problem(
            check="PDA-SRC-001",
            line=6,
            message="m.yaml:6: invalid YAML: mapping values are not allowed in this context",
        )
    ]


def test_unknown_tag_refuses_only_that_document() -> None:
    text = "apiVersion: v1\nkind: A\nmetadata: {name: a}\nx: !Ref foo\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n"
    docs, problems, _ = load(text)
    assert [d.body["kind"] for d in docs] == ["B"]
    assert [(p.check, p.line) for p in problems] == [("PDA-SRC-001", 4)]
    assert "could not determine a constructor for the tag '!Ref'" in problems[0].message


def test_control_character_is_invalid_yaml_with_line() -> None:
    _, problems, _ = load("apiVersion: v1\nkind: A\nx: '\x07'\n")
    assert [(p.check, p.line) for p in problems] == [("PDA-SRC-001", 3)]
    assert "unacceptable character #x0007" in problems[0].message


def test_billion_laughs_is_refused_in_milliseconds() -> None:
    started = time.perf_counter()
    docs, problems, _ = load(
        billion_laughs() + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: after}\n"
    )
    elapsed = time.perf_counter() - started
    assert elapsed < 0.2
    assert [p.check for p in problems] == ["PDA-SRC-002"]
    assert problems[0].line == 1
    assert "expand past the limit of 1000000 YAML nodes" in problems[0].message
    assert [d.body["metadata"]["name"] for d in docs] == ["after"]


def test_recursive_alias_is_refused() -> None:
    _, problems, _ = load("apiVersion: v1\nkind: A\nmetadata: {name: a}\nx: &x [1, *x]\n")
    assert [(p.check, p.message) for p in problems] == [
        ("PDA-SRC-002", "m.yaml:1: document refused: recursive YAML alias")
    ]


def test_small_aliases_load_and_are_not_shared() -> None:
    text = "apiVersion: v1\nkind: A\nmetadata: {name: a}\nx: &m {k: [1, 2]}\ny: *m\nz: {<<: *m, extra: 1}\n"
    docs, problems, _ = load(text, max_nodes=100)
    assert problems == []
    body = docs[0].body
    assert body["x"] == body["y"] == {"k": [1, 2]}
    assert body["z"] == {"k": [1, 2], "extra": 1}
    body["x"]["k"].append(3)
    assert body["y"] == {"k": [1, 2]}


def test_alias_free_document_is_not_refused_for_size() -> None:
    items = "".join(f"  k{i}: v{i}\n" for i in range(50))
    docs, problems, _ = load(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big}}\ndata:\n{items}", max_nodes=20
    )
    assert problems == [] and len(docs[0].body["data"]) == 50


def test_aliases_over_a_small_limit_are_refused() -> None:
    text = (
        "apiVersion: v1\nkind: A\nmetadata: {name: a}\nx: &m [1, 2, 3, 4, 5]\ny: [*m, *m, *m, *m]\n"
    )
    _, problems, _ = load(text, max_nodes=20)
    assert [p.message for p in problems] == [
        "m.yaml:1: document refused: its aliases expand past the limit of 20 YAML nodes"
        " (raise limits.max_yaml_nodes if this is intended)"
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", True),
        ("no", False),
        ("on", True),
        ("Off", False),
        ("0755", 493),
        ("0x1F", 31),
        ("1_000", 1000),
        ("'0755'", "0755"),
        ("2024-01-02", "2024-01-02"),
        ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"),
        ("~", None),
        ("1e3", 1000.0),
        ("1.5e3", 1500.0),
        ("12:30", "12:30"),
        ("09", 9.0),
    ],
)
def test_yaml_1_1_scalars(value: str, expected: object) -> None:
    docs, _, _ = load(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\nv: {value}\n")
    assert docs[0].body["v"] == expected
    assert type(docs[0].body["v"]) is type(expected)


def test_mapping_keys_become_strings_as_in_json() -> None:
    docs, _, _ = load(
        "apiVersion: v1\nkind: A\nmetadata: {name: a}\nm: {80: a, yes: b, ~: c, 1.5: d}\n"
    )
    assert docs[0].body["m"] == {"80": "a", "true": "b", "null": "c", "1.5": "d"}


def test_binary_and_set_stay_json_compatible() -> None:
    docs, _, _ = load(
        "apiVersion: v1\nkind: A\nmetadata: {name: a}\nb: !!binary aGk=\ns: !!set {x, y}\n"
    )
    assert docs[0].body["b"] == "aGk=" and docs[0].body["s"] == {"x": None, "y": None}


def test_non_kubernetes_documents_are_counted() -> None:
    text = "replicaCount: 2\n---\njust a string\n---\n- a\n- b\n---\nkind: Service\n---\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
    docs, problems, ignored = load(text)
    assert [d.body["metadata"]["name"] for d in docs] == ["s"]
    assert (problems, ignored) == ([], 4)


LIST = f"""apiVersion: v1
kind: List
items:
- apiVersion: {GW}/v1
  kind: HTTPRoute
  metadata: {{name: a}}
- just-a-string
-   apiVersion: v1
    kind: Secret
    metadata: {{name: s}}
    data: {{k: c2VjcmV0}}
"""


def test_list_is_unwrapped_with_item_lines_and_secrets_scrubbed() -> None:
    docs, problems, ignored = load("# dump\n" + LIST)
    assert [(d.body["kind"], d.line) for d in docs] == [("HTTPRoute", 5), ("Secret", 9)]
    assert "data" not in docs[1].body
    assert (problems, ignored) == ([], 1)


def test_typed_list_items_take_kind_and_api_version_from_the_list() -> None:
    text = f"apiVersion: {GW}/v1\nkind: HTTPRouteList\nmetadata: {{resourceVersion: '1'}}\nitems:\n- metadata: {{name: a}}\n"
    docs, _, _ = load(text)
    assert docs[0].body == {
        "apiVersion": f"{GW}/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "a"},
    }
    assert docs[0].line == 5


def test_empty_list_yields_nothing() -> None:
    assert load("apiVersion: v1\nkind: List\nitems: []\n") == ([], [], 0)


def test_secret_values_are_dropped_only_from_core_secrets() -> None:
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n"
        '    kubectl.kubernetes.io/last-applied-configuration: \'{"data": {"k": "c2VjcmV0"}}\'\n'
        "    keep: me\ndata: {k: c2VjcmV0}\nstringData: {t: secret}\ntype: Opaque\n"
        "---\napiVersion: example.com/v1\nkind: Secret\nmetadata: {name: other}\ndata: {k: v}\n"
    )
    docs, _, _ = load(text)
    assert docs[0].body == {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": "s", "annotations": {"keep": "me"}},
    }
    assert docs[1].body["data"] == {"k": "v"}


@pytest.mark.parametrize("api_version", ["V1", "v2", "v1beta1"])
def test_secret_values_are_dropped_whatever_the_core_version(api_version: str) -> None:
    """Any group-less apiVersion keys as the core Secret kind: its values are dropped too."""
    text = (
        f"apiVersion: {api_version}\nkind: Secret\nmetadata: {{name: s}}\ndata: {{k: c2VjcmV0}}\n"
    )
    docs, _, _ = load(text)
    assert docs[0].body == {"apiVersion": api_version, "kind": "Secret", "metadata": {"name": "s"}}


def test_json_is_read_with_json_semantics() -> None:
    text = '\ufeff{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "n": 1e5, "s": "\\ud83d\\ude00 \\/"}\n'
    docs, problems, _ = load(text)
    assert problems == []
    assert docs[0].body["n"] == 100000.0 and docs[0].body["s"] == "\U0001f600 /"


def test_concatenated_json_documents_and_lists() -> None:
    text = (
        '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}\n\n'
        '{"apiVersion": "v1", "kind": "List", "items": [\n'
        '  {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "dg=="}}\n]}\n'
        "[1, 2]\n"
    )
    docs, problems, ignored = load(text)
    assert [(d.body["kind"], d.line) for d in docs] == [("Service", 1), ("Secret", 3)]
    assert "data" not in docs[1].body
    assert (problems, ignored) == ([], 1)


def test_yaml_flow_mapping_that_is_not_json_is_read_as_yaml() -> None:
    docs, problems, _ = load("{apiVersion: v1, kind: Service, metadata: {name: a}}\n")
    assert problems == [] and docs[0].body["metadata"] == {"name": "a"}


@pytest.mark.parametrize("value", ["!!int hunter2", "!!float hunter2", "!!bool hunter2"])
def test_value_that_does_not_fit_its_tag_is_invalid_without_quoting_it(value: str) -> None:
    text = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\ndata: {{pw: {value}}}\n"
    docs, problems, _ = load(text + "---\napiVersion: v1\nkind: Service\nmetadata: {name: ok}\n")
    assert [d.body["metadata"]["name"] for d in docs] == ["ok"]
    assert [(p.check, p.line) for p in problems] == [("PDA-SRC-001", 1)]
    assert "a value does not fit its tag" in problems[0].message
    assert "hunter2" not in problems[0].message


@pytest.mark.parametrize(("value", "expected"), [("0b_", "0b_"), ("0x_", "0x_"), ("0b1_1", 3)])
def test_malformed_prefixed_numbers_stay_strings(value: str, expected: object) -> None:
    docs, problems, _ = load(f"apiVersion: v1\nkind: A\nmetadata: {{name: a}}\nv: {value}\n")
    assert problems == [] and docs[0].body["v"] == expected


@pytest.mark.parametrize("metadata", ["foo", "[1]", "7"])
def test_secret_with_malformed_metadata_loads_without_values(metadata: str) -> None:
    """Scrubbing a Secret never crashes on a metadata that is not a mapping."""
    text = f"apiVersion: v1\nkind: Secret\nmetadata: {metadata}\ndata: {{a: c2VjcmV0}}\n"
    docs, problems, _ = load(text)
    assert problems == []
    assert [sorted(d.body) for d in docs] == [["apiVersion", "kind", "metadata"]]


def test_json_nested_past_the_interpreter_limit_is_a_problem_not_a_crash() -> None:
    first = '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}\n'
    docs, problems, _ = load(first + "[" * 100_000 + "]" * 100_000)
    assert [d.body["metadata"]["name"] for d in docs] == ["a"]
    assert [(p.check, p.line) for p in problems] == [("PDA-SRC-001", 2)]
    assert "nesting too deep" in problems[0].message


@pytest.mark.parametrize("style", ["json", "yaml"])
def test_documents_nested_too_deep_for_later_steps_are_refused(style: str) -> None:
    """Nesting that parses but would overflow the recursive normalization is PDA-SRC-002."""
    levels = MAX_DEPTH + 5
    deep = '{"a": ' * levels + "1" + "}" * levels
    if style == "json":
        text = f'{{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {{"name": "a"}}, "data": {deep}}}'
    else:
        text = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\ndata: {deep}\n"
    docs, problems, _ = load(text)
    assert docs == []
    assert [(p.check, p.line) for p in problems] == [("PDA-SRC-002", 1)]
    assert f"nested deeper than {MAX_DEPTH} levels" in problems[0].message
    shallow = '{"a": ' * 20 + "1" + "}" * 20
    assert (
        len(load(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\ndata: {shallow}\n")[0])
        == 1
    )


def test_duplicate_keys_are_invalid_yaml_like_kubectl() -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n---\napiVersion: v1\nkind: Service\nmetadata: {name: c}\n"
    docs, problems, _ = load_documents(text, path="dup.yaml")
    assert [d.body["metadata"]["name"] for d in docs] == ["c"]
    (problem,) = problems
    assert problem.check == "PDA-SRC-001" and problem.line == 5
    assert "duplicate key 'name'" in problem.message


def test_merge_keys_may_be_overridden() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nbase: &b {x: 1, y: 2}\ndata:\n  <<: *b\n  x: 3\n"
    docs, problems, _ = load_documents(text, path="merge.yaml")
    assert not problems and docs[0].body["data"] == {"x": 3, "y": 2}
