"""Drift between Git and live: PDA-DR-001/002/003, and PDA-ST-006 (fields the CRD would prune).

Pure: Git objects, live objects, the kinds observed and the schemas in; findings out (view
``live``, team unassigned). Pipeline per object, after pairing by version-insensitive key:

1. Git: prune what the live CRD schema does not know (reported once as PDA-ST-006), then apply
   schema defaults. Live: strip server/tool fields (DRIFT_RULES C1–C4), apply defaults too
   (the API server applies them on every read).
2. Fast path: ``==`` on the compared essences; only pairs that differ are walked
   (:mod:`auditor.checks.drift_diff`, schema-aware, own walker: deepdiff is not needed).
3. Each drifted path is attributed to its managedFields owner (:mod:`auditor.checks.drift_owners`);
   paths owned by a controller manager or matched by an ignore rule are hidden and counted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor import defaults
from auditor.catalog import info
from auditor.checkids import DR_001, DR_002, DR_003, ST_006
from auditor.checks.drift_diff import RawChange, diff_essences, essence
from auditor.checks.drift_owners import Owner, Ownership
from auditor.checks.drift_severity import drift_severity, missing_severity, undeclared_severity
from auditor.keys import GroupKind, ResourceKey
from auditor.kinds import POLICY_KINDS, SECRET
from auditor.model import Body, Change, ChangeOp, Finding, KubeObject, View
from auditor.normalize import (
    SECRET_MASK,
    DefaultedViews,
    KindSchema,
    NormalizeRules,
    Path,
    Pattern,
    SchemaRegistry,
    apply_defaults,
    format_path,
    matches,
    pair_objects,
    parse_path,
    prune,
    redact_secret,
    strictly_equal,
    strip,
)

logger = logging.getLogger(__name__)

DEFAULT_CONTROLLER_MANAGERS = defaults.CONTROLLER_MANAGERS

_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_POLICY_KINDS = frozenset(POLICY_KINDS)
_METADATA_ONLY = frozenset({"apiVersion", "kind", "metadata"})


@dataclass(frozen=True, slots=True, kw_only=True)
class IgnoreRule:
    """DESIGN §4 ``ignore``: paths only hide always; managers only hide what they own; both: both.

    ``paths`` use the DESIGN path syntax with ``[*]`` wildcards and match their subtrees.
    A malformed path raises :class:`auditor.normalize.PathSyntaxError` (a ValueError).
    """

    group: str
    kind: str
    paths: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()
    patterns: tuple[Pattern, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "patterns", tuple(parse_path(p) for p in self.paths))

    def hides(self, gk: GroupKind, path: Path, manager: str | None) -> bool:
        if (gk.group, gk.kind) != (self.group, self.kind) and not (
            self.kind == "*" and gk.group == self.group
        ):
            return False
        if not self.patterns and not self.managers:
            return False
        path_ok = not self.patterns or any(matches(p, path) for p in self.patterns)
        manager_ok = not self.managers or manager in self.managers
        return path_ok and manager_ok


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftSettings:
    controller_managers: tuple[str, ...] = DEFAULT_CONTROLLER_MANAGERS
    ignore: tuple[IgnoreRule, ...] = ()
    rules: NormalizeRules = field(default_factory=NormalizeRules)


def check_drift(
    *,
    cluster: str,
    desired: Sequence[KubeObject],
    live: Sequence[KubeObject],
    observed: frozenset[GroupKind],
    schemas: SchemaRegistry,
    settings: DriftSettings,
    views: DefaultedViews | None = None,
    same: dict[ResourceKey, Body] | None = None,
) -> list[Finding]:
    """DR-001/002/003 and ST-006 findings of one cluster (team unassigned; the caller owns it).

    ``same``, when given, receives the Git body of every object whose defaulted Git body equals
    its live twin's, strictly, in every field but ``metadata`` and ``status`` (and the same
    ``apiVersion``, nothing pruned, not a Secret): the proof the views need to compute what they
    parse from those fields once (:func:`auditor.checks.evaluate.overlay_state`). The fast path
    decides it; nothing more is compared for it."""
    views = views or DefaultedViews()
    pairing = pair_objects(desired, live)
    twins = {p.desired.key: p for p in pairing.pairs}
    findings: list[Finding] = []
    for obj in _unique(desired):
        gk = obj.key.group_kind
        schema = schemas.for_kind(gk, _version(obj.body))
        kept, dropped = prune(obj.body, schema)
        if dropped:
            findings.append(_pruned_finding(cluster, obj, schema, dropped))
        pair = twins.get(obj.key)
        if pair is not None:
            found, equal = _compare(cluster, obj, kept, pair.live, schema, settings, views)
            findings.extend([found] if found else [])
            if equal and same is not None and _same_reading(obj, kept, pair.live):
                same[obj.key] = obj.body
        elif gk in observed:
            findings.append(_missing_finding(cluster, obj))
    findings.extend(
        _undeclared_finding(cluster, obj)
        for obj in pairing.live_only
        if obj.key.group_kind in _POLICY_KINDS and not _controlled(obj.body)
    )
    return findings


def _same_reading(obj: KubeObject, kept: Body, live: KubeObject) -> bool:
    """Whether equal essences mean equal bodies as the views read them: the views default the
    Git body unpruned and each body under its own version's schema (drift, under the Git one's),
    and a Secret is compared as digests."""
    return (
        kept is obj.body
        and obj.key.group_kind != SECRET
        and obj.body.get("apiVersion") == live.body.get("apiVersion")
    )


def _unique(objects: Sequence[KubeObject]) -> list[KubeObject]:
    seen: dict[ResourceKey, KubeObject] = {}
    for obj in objects:
        seen.setdefault(obj.key, obj)
    return list(seen.values())


def _version(body: Body) -> str | None:
    return str(body.get("apiVersion", "")).rpartition("/")[2] or None


def _name(key: ResourceKey) -> str:
    return f"{key.kind} {key.namespace}/{key.name}" if key.namespace else f"{key.kind} {key.name}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _controlled(body: Body) -> bool:
    """Made by a controller (an ownerReference with ``controller: true``): not click-ops."""
    meta = body.get("metadata")
    refs = meta.get("ownerReferences") if isinstance(meta, dict) else None
    return isinstance(refs, list) and any(
        isinstance(r, dict) and r.get("controller") is True for r in refs
    )


# --- DR-001 / DR-002 / ST-006 -------------------------------------------------------------


def _missing_finding(cluster: str, obj: KubeObject) -> Finding:
    entry = info(DR_001)
    where = f" ({obj.origin.path})" if obj.origin else ""
    return Finding(
        check=entry.id,
        category=entry.category,
        severity=missing_severity(obj.key.group_kind, entry.severity),
        view=View.LIVE,
        cluster=cluster,
        object=obj.key,
        message=f"{_name(obj.key)} is declared in Git{where} but does not exist in cluster {cluster}",
        origin=obj.origin,
    )


def _undeclared_finding(cluster: str, obj: KubeObject) -> Finding:
    entry = info(DR_002)
    return Finding(
        check=entry.id,
        category=entry.category,
        severity=undeclared_severity(
            obj.key.group_kind, obj.body, obj.key.namespace, entry.severity
        ),
        view=View.LIVE,
        cluster=cluster,
        object=obj.key,
        message=f"{_name(obj.key)} exists in cluster {cluster} but is not declared in Git",
    )


def _pruned_finding(
    cluster: str, obj: KubeObject, schema: KindSchema | None, dropped: list[tuple[Path, Any]]
) -> Finding:
    entry = info(ST_006)
    paths = [format_path(p) for p, _ in dropped]
    listed = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
    version = f" {schema.version}" if schema and schema.version else ""
    return Finding(
        check=entry.id,
        category=entry.category,
        severity=entry.severity,
        view=View.LIVE,
        cluster=cluster,
        object=obj.key,
        message=(
            f"{_name(obj.key)} sets {_plural(len(paths), 'field')} that the cluster's {obj.key.kind}"
            f"{version} CRD schema does not define ({listed}); the API server silently drops "
            f"{'it' if len(paths) == 1 else 'them'}"
        ),
        changes=tuple(
            Change(path=text, op=ChangeOp.REMOVE, desired=value, live=None)
            for text, (_, value) in zip(paths, dropped, strict=True)
        ),
        origin=obj.origin,
    )


# --- DR-003 --------------------------------------------------------------------------------


def _normalized_pair(
    gk: GroupKind,
    git_body: Body,
    live: KubeObject,
    schema: KindSchema | None,
    rules: NormalizeRules,
    declared: Body,
    views: DefaultedViews,
) -> tuple[Body, Body]:
    if gk != SECRET:  # compared only: views that share what needs no change
        # Stripping after defaulting is the same (defaults never reach the stripped fields) and
        # reuses the policy view's defaulting of the same live body.
        current = strip(views.of(live.body, schema), rules=rules, declared=declared, copy=False)
        return views.of(git_body, schema), current
    desired = apply_defaults(git_body, schema)
    current = apply_defaults(strip(live.body, rules=rules, declared=declared), schema)
    for body in (desired, current):  # kubectl's copy of the whole Secret, values included
        annotations = (body.get("metadata") or {}).get("annotations")
        if isinstance(annotations, dict):
            annotations.pop(_LAST_APPLIED, None)
    if set(live.body) <= _METADATA_ONLY:  # listed as metadata only: type etc. were never read
        return _only(desired, _METADATA_ONLY), _only(current, _METADATA_ONLY)
    if "data" not in current and "stringData" not in current:  # values dropped as loaded
        return {k: v for k, v in desired.items() if k not in ("data", "stringData")}, current
    return redact_secret(desired), redact_secret(current)


def _only(body: Body, keys: frozenset[str]) -> Body:
    return {k: v for k, v in body.items() if k in keys}


def _compare(
    cluster: str,
    obj: KubeObject,
    git_body: Body,
    live: KubeObject,
    schema: KindSchema | None,
    settings: DriftSettings,
    views: DefaultedViews,
) -> tuple[Finding | None, bool]:
    """The DR-003 finding of one pair (None: no drift shown), and whether the essences are
    strictly equal."""
    gk = obj.key.group_kind
    desired, current = _normalized_pair(gk, git_body, live, schema, settings.rules, obj.body, views)
    wanted, actual = essence(desired), essence(current)
    if strictly_equal(wanted, actual):
        return None, True
    raw = diff_essences(wanted, actual, schema.root if schema else None)
    ownership = Ownership.of(live.body)
    shown: list[tuple[RawChange, Owner | None]] = []
    hidden_by: list[str] = []
    for change in raw:
        owner = ownership.owner_of(change.path)
        reason = _hidden_reason(gk, change.path, owner, settings)
        if reason:
            hidden_by.append(reason)
        else:
            shown.append((change, owner))
    if not shown:
        if hidden_by:
            logger.debug(
                "%s: %d expected changes hidden",
                obj.key,
                len(hidden_by),
                extra={"action": "drift", "resource": str(obj.key), "cluster": cluster},
            )
        return None, False
    return _drift_finding(cluster, obj, shown, hidden_by), False


def _hidden_reason(
    gk: GroupKind, path: Path, owner: Owner | None, settings: DriftSettings
) -> str | None:
    manager = owner.manager if owner else None
    if manager is not None and manager in settings.controller_managers:
        return "controller"
    if any(rule.hides(gk, path, manager) for rule in settings.ignore):
        return "ignore"
    return None


def _display(gk: GroupKind, path: Path, value: Any) -> Any:
    if gk == SECRET and path and path[0] in ("data", "stringData") and value is not None:
        return SECRET_MASK
    return value


def _to_change(gk: GroupKind, raw: RawChange, owner: Owner | None) -> Change:
    return Change(
        path=format_path(raw.path),
        op=raw.op,
        desired=_display(gk, raw.path, raw.desired),
        live=_display(gk, raw.path, raw.live),
        manager=owner.manager if owner else None,
        operation=owner.operation if owner else None,
        time=owner.time if owner else None,
    )


def _hidden_note(hidden_by: list[str]) -> str:
    if not hidden_by:
        return ""
    kinds = set(hidden_by)
    why = (
        "as expected controller mutation"
        if kinds == {"controller"}
        else "by ignore rules"
        if kinds == {"ignore"}
        else "as expected controller mutation or by ignore rules"
    )
    return f" ({len(hidden_by)} hidden {why})"


def _drift_finding(
    cluster: str, obj: KubeObject, shown: list[tuple[RawChange, Owner | None]], hidden_by: list[str]
) -> Finding:
    entry = info(DR_003)
    gk = obj.key.group_kind
    ordered = sorted(shown, key=lambda item: format_path(item[0].path))
    total = len(shown) + len(hidden_by)
    return Finding(
        check=entry.id,
        category=entry.category,
        severity=drift_severity(gk, [(raw.path, raw.op) for raw, _ in ordered]),
        view=View.LIVE,
        cluster=cluster,
        object=obj.key,
        message=f"{_name(obj.key)} differs from Git in {_plural(total, 'field')}{_hidden_note(hidden_by)}",
        changes=tuple(_to_change(gk, raw, owner) for raw, owner in ordered),
        hidden_changes=len(hidden_by),
        origin=obj.origin,
    )
