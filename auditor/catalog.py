"""The check catalogue (CHECKS.md): stable IDs, their category, default severity and title.

Stdlib only. The checks take category and default severity from here; config may override
severities and disable checks; SARIF renders one rule per entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.model import Category, Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckInfo:
    id: str
    category: Category
    severity: Severity
    title: str


# Check IDs: use these names, never bare "PDA-…" literals, so a typo is an import error.
DR_001 = "PDA-DR-001"
DR_002 = "PDA-DR-002"
DR_003 = "PDA-DR-003"
RT_001 = "PDA-RT-001"
RT_002 = "PDA-RT-002"
RT_003 = "PDA-RT-003"
RT_004 = "PDA-RT-004"
RT_005 = "PDA-RT-005"
RT_006 = "PDA-RT-006"
RT_007 = "PDA-RT-007"
RT_008 = "PDA-RT-008"
RT_009 = "PDA-RT-009"
RT_010 = "PDA-RT-010"
LS_001 = "PDA-LS-001"
LS_002 = "PDA-LS-002"
LS_003 = "PDA-LS-003"
LS_004 = "PDA-LS-004"
HN_001 = "PDA-HN-001"
HN_002 = "PDA-HN-002"
HN_003 = "PDA-HN-003"
HN_004 = "PDA-HN-004"
HN_005 = "PDA-HN-005"
HN_006 = "PDA-HN-006"
HN_007 = "PDA-HN-007"
TN_001 = "PDA-TN-001"
TN_002 = "PDA-TN-002"
TN_003 = "PDA-TN-003"
TN_004 = "PDA-TN-004"
TN_005 = "PDA-TN-005"
TN_006 = "PDA-TN-006"
TN_007 = "PDA-TN-007"
RG_001 = "PDA-RG-001"
RG_002 = "PDA-RG-002"
RG_003 = "PDA-RG-003"
RG_004 = "PDA-RG-004"
RG_005 = "PDA-RG-005"
RG_006 = "PDA-RG-006"
RG_007 = "PDA-RG-007"
RG_008 = "PDA-RG-008"
RG_009 = "PDA-RG-009"
BE_001 = "PDA-BE-001"
BE_002 = "PDA-BE-002"
BE_003 = "PDA-BE-003"
BT_001 = "PDA-BT-001"
BT_002 = "PDA-BT-002"
ST_001 = "PDA-ST-001"
ST_002 = "PDA-ST-002"
ST_003 = "PDA-ST-003"
ST_004 = "PDA-ST-004"
ST_005 = "PDA-ST-005"
ST_006 = "PDA-ST-006"
SRC_001 = "PDA-SRC-001"
SRC_002 = "PDA-SRC-002"
SRC_003 = "PDA-SRC-003"
SRC_004 = "PDA-SRC-004"
AZ_001 = "PDA-AZ-001"
AZ_002 = "PDA-AZ-002"
AZ_003 = "PDA-AZ-003"
AZ_004 = "PDA-AZ-004"
AZ_005 = "PDA-AZ-005"
AZ_006 = "PDA-AZ-006"
AZ_007 = "PDA-AZ-007"
AZ_008 = "PDA-AZ-008"
MT_001 = "PDA-MT-001"
MT_002 = "PDA-MT-002"
MT_003 = "PDA-MT-003"
MT_004 = "PDA-MT-004"
MT_005 = "PDA-MT-005"
AM_001 = "PDA-AM-001"
AM_002 = "PDA-AM-002"
AM_003 = "PDA-AM-003"
AM_004 = "PDA-AM-004"
AM_005 = "PDA-AM-005"
AM_007 = "PDA-AM-007"
CI_002 = "PDA-CI-002"
LK_002 = "PDA-LK-002"
LK_004 = "PDA-LK-004"
LK_005 = "PDA-LK-005"
PA_001 = "PDA-PA-001"

C, S = Category, Severity

_ENTRIES: tuple[tuple[str, Category, Severity, str], ...] = (
    (DR_001, C.DRIFT, S.MEDIUM, "In Git, missing live"),
    (DR_002, C.DRIFT, S.MEDIUM, "Live, not in Git (click-ops)"),
    (DR_003, C.DRIFT, S.MEDIUM, "Live fields differ from Git"),
    (
        RT_001,
        C.UNAUTHORIZED_ATTACHMENT,
        S.HIGH,
        "Route attaches to a parent not authorized for its team",
    ),
    (
        RT_002,
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "Listener's allowedRoutes.namespaces excludes the route's namespace",
    ),
    (
        RT_003,
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "Route kind not allowed by listener kinds/protocol",
    ),
    (
        RT_004,
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "parentRef sectionName/port matches no listener",
    ),
    (
        RT_005,
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "No hostname intersection with any relevant listener",
    ),
    (RT_006, C.DANGLING_REFERENCE, S.MEDIUM, "parentRef to a nonexistent parent"),
    (RT_007, C.STATUS, S.LOW, "Route accepted by only some of its parents"),
    (
        RT_008,
        C.TENANCY,
        S.INFO,
        "Mesh (GAMMA) consumer route on a Service in another namespace",
    ),
    (
        RT_009,
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "ListenerSet not allowed by its Gateway's allowedListeners",
    ),
    (
        RT_010,
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "Route attaches only through a ListenerSet its Gateway does not accept",
    ),
    (
        LS_001,
        C.STATUS,
        S.MEDIUM,
        "Listener allowedRoutes.kinds names a kind its protocol cannot carry (InvalidRouteKinds)",
    ),
    (
        LS_002,
        C.STATUS,
        S.MEDIUM,
        "Listener protocol neither core nor domain-prefixed (UnsupportedProtocol)",
    ),
    (LS_003, C.STATUS, S.MEDIUM, "TLS-terminating listener without tls.certificateRefs"),
    (
        LS_004,
        C.STATUS,
        S.MEDIUM,
        "Gateway infrastructure.parametersRef names a missing object (InvalidParameters)",
    ),
    (HN_001, C.HOSTNAME, S.CRITICAL, "Hostname outside the team's delegated hostnames"),
    (HN_002, C.HOSTNAME, S.HIGH, "Team route with no hostnames on a shared listener"),
    (HN_003, C.HOSTNAME, S.HIGH, "Same hostname claimed by different teams on one Gateway"),
    (
        HN_004,
        C.HOSTNAME,
        S.MEDIUM,
        "Identical hostname+path+match across routes (shadowed rule)",
    ),
    (HN_005, C.HOSTNAME, S.MEDIUM, "Wildcard hostname in a team route"),
    (
        HN_006,
        C.HOSTNAME,
        S.MEDIUM,
        "Listener conflict: same port with overlapping hostname or protocol clash",
    ),
    (
        HN_007,
        C.HOSTNAME,
        S.MEDIUM,
        "HTTPRoute and GRPCRoute with intersecting hostnames on one listener (the newer is refused)",
    ),
    (TN_001, C.TENANCY, S.HIGH, "Shared Gateway listener allows routes from All namespaces"),
    (
        TN_002,
        C.TENANCY,
        S.MEDIUM,
        "Listener Selector keyed on a label other than kubernetes.io/metadata.name",
    ),
    (
        TN_003,
        C.TENANCY,
        S.HIGH,
        "Listener's effective namespace set exceeds the teams allowed on it",
    ),
    (TN_004, C.TENANCY, S.HIGH, "allowedListeners admits ListenerSets on a shared Gateway"),
    (TN_005, C.TENANCY, S.MEDIUM, "Default-gateway scope in use"),
    (
        TN_006,
        C.TENANCY,
        S.HIGH,
        "Gateway in a team namespace or with a GatewayClass not allowed for the team",
    ),
    (TN_007, C.TENANCY, S.MEDIUM, "Hostname-less listener on a multi-team Gateway"),
    (
        RG_001,
        C.MISSING_REFERENCEGRANT,
        S.MEDIUM,
        "Cross-namespace backendRef without a ReferenceGrant",
    ),
    (
        RG_002,
        C.MISSING_REFERENCEGRANT,
        S.HIGH,
        "Cross-namespace certificate/CA ref without a ReferenceGrant",
    ),
    (
        RG_003,
        C.MISSING_REFERENCEGRANT,
        S.MEDIUM,
        "Cross-namespace policy reference without a ReferenceGrant",
    ),
    (RG_004, C.REFERENCEGRANT_HYGIENE, S.LOW, "ReferenceGrant used by no existing reference"),
    (
        RG_005,
        C.REFERENCEGRANT_HYGIENE,
        S.MEDIUM,
        "ReferenceGrant without to.name exposes a whole kind",
    ),
    (
        RG_006,
        C.REFERENCEGRANT_HYGIENE,
        S.HIGH,
        "ReferenceGrant from a missing namespace or a non-peer team",
    ),
    (
        RG_007,
        C.REFERENCEGRANT_HYGIENE,
        S.HIGH,
        "ReferenceGrant in a namespace or for a kind the org does not allow",
    ),
    (
        RG_008,
        C.MISSING_REFERENCEGRANT,
        S.CRITICAL,
        "Controller reports ResolvedRefs=True for a reference no grant permits",
    ),
    (
        RG_009,
        C.MISSING_REFERENCEGRANT,
        S.HIGH,
        "Git change deletes/narrows a grant that live references still depend on",
    ),
    (BE_001, C.DANGLING_REFERENCE, S.MEDIUM, "backendRef to a missing Service or port"),
    (BE_002, C.DANGLING_REFERENCE, S.LOW, "backendRef of an unsupported kind"),
    (BE_003, C.DANGLING_REFERENCE, S.MEDIUM, "Certificate/CA reference to a missing object"),
    (
        BT_001,
        C.STATUS,
        S.MEDIUM,
        "BackendTLSPolicy conflicts with an older policy on the same target (Conflicted)",
    ),
    (BT_002, C.STATUS, S.MEDIUM, "BackendTLSPolicy with an invalid CA validation (Invalid)"),
    (ST_001, C.STATUS, S.MEDIUM, "Negative Gateway/Listener/Route condition"),
    (ST_002, C.STATUS, S.MEDIUM, "observedGeneration behind metadata.generation"),
    (ST_003, C.STATUS, S.MEDIUM, "parentRef with no status entry from any controller"),
    (ST_004, C.STATUS, S.CRITICAL, "Controller status contradicts the static evaluation"),
    (ST_005, C.STATUS, S.MEDIUM, "GatewayClass with no accepting controller"),
    (ST_006, C.SOURCE, S.HIGH, "Git sets fields the live CRD schema would prune"),
    (SRC_001, C.SOURCE, S.HIGH, "Git file is not valid YAML"),
    (SRC_002, C.SOURCE, S.HIGH, "Git file or document over the configured limits"),
    (SRC_003, C.SOURCE, S.HIGH, "Symlink leaving the repository"),
    (SRC_004, C.SOURCE, S.HIGH, "Two Git documents with the same object key"),
    (
        AZ_001,
        C.MESH_SECURITY,
        S.MEDIUM,
        "AuthorizationPolicy selector matches no workload (IST0127)",
    ),
    (
        AZ_002,
        C.MESH_SECURITY,
        S.HIGH,
        "AuthorizationPolicy targetRefs to a missing Service/ServiceEntry/Gateway/GatewayClass",
    ),
    (
        AZ_003,
        C.MESH_SECURITY,
        S.HIGH,
        "AuthorizationPolicy target not bound to a waypoint (AncestorNotBound)",
    ),
    (
        AZ_004,
        C.MESH_SECURITY,
        S.HIGH,
        "AuthorizationPolicy with HTTP attributes enforced by ztunnel",
    ),
    (
        AZ_005,
        C.MESH_SECURITY,
        S.HIGH,
        "Action unsupported by ztunnel (CUSTOM/AUDIT) or dry-run in ambient",
    ),
    (
        AZ_006,
        C.MESH_SECURITY,
        S.LOW,
        "Source namespace or principal service account does not exist",
    ),
    (
        AZ_007,
        C.MESH_SECURITY,
        S.HIGH,
        "Team namespace without a baseline allow-nothing AuthorizationPolicy",
    ),
    (
        AZ_008,
        C.MESH_SECURITY,
        S.HIGH,
        "Waypoint-bound L7 policy that callers can bypass (no ztunnel policy limiting callers to the waypoint)",
    ),
    (
        MT_001,
        C.MESH_SECURITY,
        S.HIGH,
        "PeerAuthentication PERMISSIVE or DISABLE (critical mesh-wide)",
    ),
    (MT_002, C.MESH_SECURITY, S.HIGH, "portLevelMtls relaxes a STRICT policy"),
    (
        MT_003,
        C.MESH_SECURITY,
        S.HIGH,
        "Enrolled namespace not STRICT by inheritance (no mesh or namespace STRICT policy)",
    ),
    (
        MT_004,
        C.MESH_SECURITY,
        S.MEDIUM,
        "PeerAuthentication with selector in the root namespace (ignored)",
    ),
    (
        MT_005,
        C.MESH_SECURITY,
        S.MEDIUM,
        "PeerAuthentication DISABLE in an ambient namespace (unsupported)",
    ),
    (
        AM_001,
        C.MESH_SECURITY,
        S.CRITICAL,
        "Namespace ambient in Git but live lacks or changed istio.io/dataplane-mode",
    ),
    (AM_002, C.MESH_SECURITY, S.HIGH, "Workload opted out of ambient outside the exception list"),
    (
        AM_003,
        C.MESH_SECURITY,
        S.HIGH,
        "use-waypoint names a missing waypoint, not a waypoint, or one with the wrong waypoint-for",
    ),
    (AM_004, C.MESH_SECURITY, S.HIGH, "L7 configuration on an ambient target with no waypoint"),
    (
        AM_005,
        C.MESH_SECURITY,
        S.MEDIUM,
        "L7 AuthorizationPolicy/RequestAuthentication in an ambient namespace without targetRefs",
    ),
    (AM_007, C.MESH_SECURITY, S.MEDIUM, "Conflicting injection/dataplane labels (IST0123)"),
    (CI_002, C.MESH_SECURITY, S.HIGH, "Team namespace with pods outside Cilium default deny"),
    (LK_002, C.MESH_SECURITY, S.HIGH, "Permissive Linkerd default-inbound-policy"),
    (LK_004, C.MESH_SECURITY, S.MEDIUM, "Linkerd AuthorizationPolicy targetRef missing"),
    (
        LK_005,
        C.MESH_SECURITY,
        S.HIGH,
        "requiredAuthenticationRefs names a missing MeshTLSAuthentication/NetworkAuthentication",
    ),
    (
        PA_001,
        C.DANGLING_REFERENCE,
        S.MEDIUM,
        "Policy targetRef resolves to nothing (incl. bad sectionName)",
    ),
)

CHECKS: dict[str, CheckInfo] = {
    cid: CheckInfo(id=cid, category=cat, severity=sev, title=title)
    for cid, cat, sev, title in _ENTRIES
}


def info(check_id: str) -> CheckInfo:
    """The catalogue entry of ``check_id`` (KeyError for an unknown ID: a programming error)."""
    return CHECKS[check_id]
