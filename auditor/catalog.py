"""The check catalogue (CHECKS.md): stable IDs, their category, default severity and title.

Stdlib only. The checks take category and default severity from here; config may override
severities and disable checks; SARIF renders one rule per entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.model import Category, GroupKind, Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckInfo:
    id: str
    category: Category
    severity: Severity
    title: str


C, S = Category, Severity

_ENTRIES: tuple[tuple[str, Category, Severity, str], ...] = (
    ("PDA-DR-001", C.DRIFT, S.MEDIUM, "In Git, missing live"),
    ("PDA-DR-002", C.DRIFT, S.MEDIUM, "Live, not in Git (click-ops)"),
    ("PDA-DR-003", C.DRIFT, S.MEDIUM, "Live fields differ from Git"),
    (
        "PDA-RT-001",
        C.UNAUTHORIZED_ATTACHMENT,
        S.HIGH,
        "Route attaches to a parent not authorized for its team",
    ),
    (
        "PDA-RT-002",
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "Listener's allowedRoutes.namespaces excludes the route's namespace",
    ),
    (
        "PDA-RT-003",
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "Route kind not allowed by listener kinds/protocol",
    ),
    (
        "PDA-RT-004",
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "parentRef sectionName/port matches no listener",
    ),
    (
        "PDA-RT-005",
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "No hostname intersection with any relevant listener",
    ),
    ("PDA-RT-006", C.DANGLING_REFERENCE, S.MEDIUM, "parentRef to a nonexistent parent"),
    ("PDA-RT-007", C.STATUS, S.LOW, "Route accepted by only some of its parents"),
    (
        "PDA-RT-008",
        C.TENANCY,
        S.INFO,
        "Mesh (GAMMA) consumer route on a Service in another namespace",
    ),
    (
        "PDA-RT-009",
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "ListenerSet not allowed by its Gateway's allowedListeners",
    ),
    (
        "PDA-LS-001",
        C.STATUS,
        S.MEDIUM,
        "Listener allowedRoutes.kinds names a kind its protocol cannot carry (InvalidRouteKinds)",
    ),
    (
        "PDA-LS-002",
        C.STATUS,
        S.MEDIUM,
        "Listener protocol neither core nor domain-prefixed (UnsupportedProtocol)",
    ),
    (
        "PDA-LS-003",
        C.STATUS,
        S.MEDIUM,
        "TLS-terminating listener without tls.certificateRefs",
    ),
    (
        "PDA-LS-004",
        C.STATUS,
        S.MEDIUM,
        "Gateway infrastructure.parametersRef names a missing object (InvalidParameters)",
    ),
    (
        "PDA-RT-010",
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "Route attaches only through a ListenerSet its Gateway does not accept",
    ),
    ("PDA-HN-001", C.HOSTNAME, S.CRITICAL, "Hostname outside the team's delegated hostnames"),
    ("PDA-HN-002", C.HOSTNAME, S.HIGH, "Team route with no hostnames on a shared listener"),
    ("PDA-HN-003", C.HOSTNAME, S.HIGH, "Same hostname claimed by different teams on one Gateway"),
    (
        "PDA-HN-004",
        C.HOSTNAME,
        S.MEDIUM,
        "Identical hostname+path+match across routes (shadowed rule)",
    ),
    ("PDA-HN-005", C.HOSTNAME, S.MEDIUM, "Wildcard hostname in a team route"),
    (
        "PDA-HN-006",
        C.HOSTNAME,
        S.MEDIUM,
        "Listener conflict: same port with overlapping hostname or protocol clash",
    ),
    (
        "PDA-HN-007",
        C.HOSTNAME,
        S.MEDIUM,
        "HTTPRoute and GRPCRoute with intersecting hostnames on one listener (the newer is refused)",
    ),
    ("PDA-TN-001", C.TENANCY, S.HIGH, "Shared Gateway listener allows routes from All namespaces"),
    (
        "PDA-TN-002",
        C.TENANCY,
        S.MEDIUM,
        "Listener Selector keyed on a label other than kubernetes.io/metadata.name",
    ),
    (
        "PDA-TN-003",
        C.TENANCY,
        S.HIGH,
        "Listener's effective namespace set exceeds the teams allowed on it",
    ),
    ("PDA-TN-004", C.TENANCY, S.HIGH, "allowedListeners admits ListenerSets on a shared Gateway"),
    ("PDA-TN-005", C.TENANCY, S.MEDIUM, "Default-gateway scope in use"),
    (
        "PDA-TN-006",
        C.TENANCY,
        S.HIGH,
        "Gateway in a team namespace or with a GatewayClass not allowed for the team",
    ),
    ("PDA-TN-007", C.TENANCY, S.MEDIUM, "Hostname-less listener on a multi-team Gateway"),
    (
        "PDA-RG-001",
        C.MISSING_REFERENCEGRANT,
        S.MEDIUM,
        "Cross-namespace backendRef without a ReferenceGrant",
    ),
    (
        "PDA-RG-002",
        C.MISSING_REFERENCEGRANT,
        S.HIGH,
        "Cross-namespace certificate/CA ref without a ReferenceGrant",
    ),
    (
        "PDA-RG-003",
        C.MISSING_REFERENCEGRANT,
        S.MEDIUM,
        "Cross-namespace policy reference without a ReferenceGrant",
    ),
    ("PDA-RG-004", C.REFERENCEGRANT_HYGIENE, S.LOW, "ReferenceGrant used by no existing reference"),
    (
        "PDA-RG-005",
        C.REFERENCEGRANT_HYGIENE,
        S.MEDIUM,
        "ReferenceGrant without to.name exposes a whole kind",
    ),
    (
        "PDA-RG-006",
        C.REFERENCEGRANT_HYGIENE,
        S.HIGH,
        "ReferenceGrant from a missing namespace or a non-peer team",
    ),
    (
        "PDA-RG-007",
        C.REFERENCEGRANT_HYGIENE,
        S.HIGH,
        "ReferenceGrant in a namespace or for a kind the org does not allow",
    ),
    (
        "PDA-RG-008",
        C.MISSING_REFERENCEGRANT,
        S.CRITICAL,
        "Controller reports ResolvedRefs=True for a reference no grant permits",
    ),
    (
        "PDA-RG-009",
        C.MISSING_REFERENCEGRANT,
        S.HIGH,
        "Git change deletes/narrows a grant that live references still depend on",
    ),
    ("PDA-BE-001", C.DANGLING_REFERENCE, S.MEDIUM, "backendRef to a missing Service or port"),
    ("PDA-BE-002", C.DANGLING_REFERENCE, S.LOW, "backendRef of an unsupported kind"),
    ("PDA-BE-003", C.DANGLING_REFERENCE, S.MEDIUM, "Certificate/CA reference to a missing object"),
    (
        "PDA-BT-001",
        C.STATUS,
        S.MEDIUM,
        "BackendTLSPolicy conflicts with an older policy on the same target (Conflicted)",
    ),
    (
        "PDA-BT-002",
        C.STATUS,
        S.MEDIUM,
        "BackendTLSPolicy with an invalid CA validation (Invalid)",
    ),
    (
        "PDA-PA-001",
        C.DANGLING_REFERENCE,
        S.MEDIUM,
        "Policy targetRef resolves to nothing (incl. a bad sectionName)",
    ),
    ("PDA-ST-001", C.STATUS, S.MEDIUM, "Negative Gateway/Listener/Route condition"),
    ("PDA-ST-002", C.STATUS, S.MEDIUM, "observedGeneration behind metadata.generation"),
    ("PDA-ST-003", C.STATUS, S.MEDIUM, "parentRef with no status entry from any controller"),
    ("PDA-ST-004", C.STATUS, S.CRITICAL, "Controller status contradicts the static evaluation"),
    ("PDA-ST-005", C.STATUS, S.MEDIUM, "GatewayClass with no accepting controller"),
    ("PDA-ST-006", C.SOURCE, S.HIGH, "Git sets fields the live CRD schema would prune"),
    ("PDA-SRC-001", C.SOURCE, S.HIGH, "Git file is not valid YAML"),
    ("PDA-SRC-002", C.SOURCE, S.HIGH, "Git file or document over the configured limits"),
    ("PDA-SRC-003", C.SOURCE, S.HIGH, "Symlink leaving the repository"),
    ("PDA-SRC-004", C.SOURCE, S.HIGH, "Two Git documents with the same object key"),
)

CHECKS: dict[str, CheckInfo] = {
    cid: CheckInfo(id=cid, category=cat, severity=sev, title=title)
    for cid, cat, sev, title in _ENTRIES
}


def info(check_id: str) -> CheckInfo:
    """The catalogue entry of ``check_id`` (KeyError for an unknown ID: a programming error)."""
    return CHECKS[check_id]


_GW = "gateway.networking.k8s.io"
_GRANT = GroupKind(_GW, "ReferenceGrant")
_PARENTS = frozenset(
    {GroupKind(_GW, "Gateway"), GroupKind(_GW, "ListenerSet"), GroupKind("", "Namespace")}
)
_SERVICE = GroupKind("", "Service")
_SECRET = GroupKind("", "Secret")
_NAMESPACE = GroupKind("", "Namespace")

_INPUTS: dict[str, frozenset[GroupKind]] = {
    **{f"PDA-RT-0{n:02d}": _PARENTS | {_SERVICE} for n in range(1, 11)},
    **{f"PDA-HN-00{n}": _PARENTS for n in range(1, 8)},
    **{f"PDA-LS-00{n}": _PARENTS for n in range(1, 5)},
    **{f"PDA-TN-00{n}": _PARENTS for n in range(1, 8)},
    "PDA-RG-001": frozenset({_GRANT}),
    "PDA-RG-002": frozenset({_GRANT}),
    "PDA-RG-003": frozenset({_GRANT}),
    "PDA-RG-004": frozenset({_GRANT}),
    "PDA-RG-006": frozenset({_GRANT, _NAMESPACE}),
    "PDA-RG-008": frozenset({_GRANT}),
    "PDA-RG-009": frozenset({_GRANT}),
    "PDA-BE-001": frozenset({_GRANT, _SERVICE}),
    "PDA-BE-002": frozenset({_GRANT}),
    "PDA-BE-003": frozenset({_GRANT, _SECRET}),
    "PDA-PA-001": frozenset({_SERVICE}),
    "PDA-ST-003": _PARENTS,
    "PDA-ST-004": _PARENTS | {_GRANT, _SERVICE},
}


def inputs(check_id: str) -> frozenset[GroupKind]:
    """Kinds besides the finding's own object that a check must have read to be trusted.

    A finding whose check lacks one of these in a run is neither raised reliably nor resolved.
    """
    return _INPUTS.get(check_id, frozenset())


def evaluable(*, unread: frozenset[GroupKind]) -> frozenset[str] | None:
    """The checks whose inputs were all read (None: every check), given the kinds not read."""
    blocked = {check for check in CHECKS if inputs(check) & unread}
    return frozenset(CHECKS) - blocked if blocked else None
