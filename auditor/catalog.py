"""The check catalogue (CHECKS.md): each check ID's category, default severity and title.

The IDs themselves are named in :mod:`auditor.checkids`. Stdlib only. The checks take category
and default severity from here; config may override
severities and disable checks; SARIF renders one rule per entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor import checkids as K
from auditor.model import Category, Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckInfo:
    id: str
    category: Category
    severity: Severity
    title: str


C, S = Category, Severity

_ENTRIES: tuple[tuple[str, Category, Severity, str], ...] = (
    (K.DR_001, C.DRIFT, S.MEDIUM, "In Git, missing live"),
    (K.DR_002, C.DRIFT, S.MEDIUM, "Live, not in Git (click-ops)"),
    (K.DR_003, C.DRIFT, S.MEDIUM, "Live fields differ from Git"),
    (
        K.RT_001,
        C.UNAUTHORIZED_ATTACHMENT,
        S.HIGH,
        "Route attaches to a parent not authorized for its team",
    ),
    (
        K.RT_002,
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "Listener's allowedRoutes.namespaces excludes the route's namespace",
    ),
    (
        K.RT_003,
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "Route kind not allowed by listener kinds/protocol",
    ),
    (
        K.RT_004,
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "parentRef sectionName/port matches no listener",
    ),
    (
        K.RT_005,
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "No hostname intersection with any relevant listener",
    ),
    (K.RT_006, C.DANGLING_REFERENCE, S.MEDIUM, "parentRef to a nonexistent parent"),
    (K.RT_007, C.STATUS, S.LOW, "Route accepted by only some of its parents"),
    (
        K.RT_008,
        C.TENANCY,
        S.INFO,
        "Mesh (GAMMA) consumer route on a Service in another namespace",
    ),
    (
        K.RT_009,
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "ListenerSet not allowed by its Gateway's allowedListeners",
    ),
    (
        K.RT_010,
        C.UNAUTHORIZED_ATTACHMENT,
        S.MEDIUM,
        "Route attaches only through a ListenerSet its Gateway does not accept",
    ),
    (
        K.LS_001,
        C.STATUS,
        S.MEDIUM,
        "Listener allowedRoutes.kinds names a kind its protocol cannot carry (InvalidRouteKinds)",
    ),
    (
        K.LS_002,
        C.STATUS,
        S.MEDIUM,
        "Listener protocol neither core nor domain-prefixed (UnsupportedProtocol)",
    ),
    (K.LS_003, C.STATUS, S.MEDIUM, "TLS-terminating listener without tls.certificateRefs"),
    (
        K.LS_004,
        C.STATUS,
        S.MEDIUM,
        "Gateway infrastructure.parametersRef names a missing object (InvalidParameters)",
    ),
    (K.HN_001, C.HOSTNAME, S.CRITICAL, "Hostname outside the team's delegated hostnames"),
    (K.HN_002, C.HOSTNAME, S.HIGH, "Team route with no hostnames on a shared listener"),
    (K.HN_003, C.HOSTNAME, S.HIGH, "Same hostname claimed by different teams on one Gateway"),
    (
        K.HN_004,
        C.HOSTNAME,
        S.MEDIUM,
        "Identical hostname+path+match across routes (shadowed rule)",
    ),
    (K.HN_005, C.HOSTNAME, S.MEDIUM, "Wildcard hostname in a team route"),
    (
        K.HN_006,
        C.HOSTNAME,
        S.MEDIUM,
        "Listener conflict: same port with overlapping hostname or protocol clash",
    ),
    (
        K.HN_007,
        C.HOSTNAME,
        S.MEDIUM,
        "HTTPRoute and GRPCRoute with intersecting hostnames on one listener (the newer is refused)",
    ),
    (K.TN_001, C.TENANCY, S.HIGH, "Shared Gateway listener allows routes from All namespaces"),
    (
        K.TN_002,
        C.TENANCY,
        S.MEDIUM,
        "Listener Selector keyed on a label other than kubernetes.io/metadata.name",
    ),
    (
        K.TN_003,
        C.TENANCY,
        S.HIGH,
        "Listener's effective namespace set exceeds the teams allowed on it",
    ),
    (K.TN_004, C.TENANCY, S.HIGH, "allowedListeners admits ListenerSets on a shared Gateway"),
    (K.TN_005, C.TENANCY, S.MEDIUM, "Default-gateway scope in use"),
    (
        K.TN_006,
        C.TENANCY,
        S.HIGH,
        "Gateway in a team namespace or with a GatewayClass not allowed for the team",
    ),
    (K.TN_007, C.TENANCY, S.MEDIUM, "Hostname-less listener on a multi-team Gateway"),
    (
        K.RG_001,
        C.MISSING_REFERENCEGRANT,
        S.MEDIUM,
        "Cross-namespace backendRef without a ReferenceGrant",
    ),
    (
        K.RG_002,
        C.MISSING_REFERENCEGRANT,
        S.HIGH,
        "Cross-namespace certificate/CA ref without a ReferenceGrant",
    ),
    (
        K.RG_003,
        C.MISSING_REFERENCEGRANT,
        S.MEDIUM,
        "Cross-namespace policy reference without a ReferenceGrant",
    ),
    (K.RG_004, C.REFERENCEGRANT_HYGIENE, S.LOW, "ReferenceGrant used by no existing reference"),
    (
        K.RG_005,
        C.REFERENCEGRANT_HYGIENE,
        S.MEDIUM,
        "ReferenceGrant without to.name exposes a whole kind",
    ),
    (
        K.RG_006,
        C.REFERENCEGRANT_HYGIENE,
        S.HIGH,
        "ReferenceGrant from a missing namespace or a non-peer team",
    ),
    (
        K.RG_007,
        C.REFERENCEGRANT_HYGIENE,
        S.HIGH,
        "ReferenceGrant in a namespace or for a kind the org does not allow",
    ),
    (
        K.RG_008,
        C.MISSING_REFERENCEGRANT,
        S.CRITICAL,
        "Controller reports ResolvedRefs=True for a reference no grant permits",
    ),
    (
        K.RG_009,
        C.MISSING_REFERENCEGRANT,
        S.HIGH,
        "Git change deletes/narrows a grant that live references still depend on",
    ),
    (K.BE_001, C.DANGLING_REFERENCE, S.MEDIUM, "backendRef to a missing Service or port"),
    (K.BE_002, C.DANGLING_REFERENCE, S.LOW, "backendRef of an unsupported kind"),
    (K.BE_003, C.DANGLING_REFERENCE, S.MEDIUM, "Certificate/CA reference to a missing object"),
    (
        K.BT_001,
        C.STATUS,
        S.MEDIUM,
        "BackendTLSPolicy conflicts with an older policy on the same target (Conflicted)",
    ),
    (K.BT_002, C.STATUS, S.MEDIUM, "BackendTLSPolicy with an invalid CA validation (Invalid)"),
    (K.ST_001, C.STATUS, S.MEDIUM, "Negative Gateway/Listener/Route condition"),
    (K.ST_002, C.STATUS, S.MEDIUM, "observedGeneration behind metadata.generation"),
    (K.ST_003, C.STATUS, S.MEDIUM, "parentRef with no status entry from any controller"),
    (K.ST_004, C.STATUS, S.CRITICAL, "Controller status contradicts the static evaluation"),
    (K.ST_005, C.STATUS, S.MEDIUM, "GatewayClass with no accepting controller"),
    (K.ST_006, C.SOURCE, S.HIGH, "Git sets fields the live CRD schema would prune"),
    (K.SRC_001, C.SOURCE, S.HIGH, "Git file is not valid YAML"),
    (K.SRC_002, C.SOURCE, S.HIGH, "Git file or document over the configured limits"),
    (K.SRC_003, C.SOURCE, S.HIGH, "Symlink leaving the repository"),
    (K.SRC_004, C.SOURCE, S.HIGH, "Two Git documents with the same object key"),
    (
        K.AZ_001,
        C.MESH_SECURITY,
        S.MEDIUM,
        "AuthorizationPolicy selector matches no workload (IST0127)",
    ),
    (
        K.AZ_002,
        C.MESH_SECURITY,
        S.HIGH,
        "AuthorizationPolicy targetRefs to a missing Service/ServiceEntry/Gateway/GatewayClass",
    ),
    (
        K.AZ_003,
        C.MESH_SECURITY,
        S.HIGH,
        "AuthorizationPolicy target not bound to a waypoint (AncestorNotBound)",
    ),
    (
        K.AZ_004,
        C.MESH_SECURITY,
        S.HIGH,
        "AuthorizationPolicy with HTTP attributes enforced by ztunnel",
    ),
    (
        K.AZ_005,
        C.MESH_SECURITY,
        S.HIGH,
        "Action unsupported by ztunnel (CUSTOM/AUDIT) or dry-run in ambient",
    ),
    (
        K.AZ_006,
        C.MESH_SECURITY,
        S.LOW,
        "Source namespace or principal service account does not exist",
    ),
    (
        K.AZ_007,
        C.MESH_SECURITY,
        S.HIGH,
        "Team namespace without a baseline allow-nothing AuthorizationPolicy",
    ),
    (
        K.AZ_008,
        C.MESH_SECURITY,
        S.HIGH,
        "Waypoint-bound L7 policy that callers can bypass (no ztunnel policy limiting callers to the waypoint)",
    ),
    (
        K.MT_001,
        C.MESH_SECURITY,
        S.HIGH,
        "PeerAuthentication PERMISSIVE or DISABLE (critical mesh-wide)",
    ),
    (K.MT_002, C.MESH_SECURITY, S.HIGH, "portLevelMtls relaxes a STRICT policy"),
    (
        K.MT_003,
        C.MESH_SECURITY,
        S.HIGH,
        "Enrolled namespace not STRICT by inheritance (no mesh or namespace STRICT policy)",
    ),
    (
        K.MT_004,
        C.MESH_SECURITY,
        S.MEDIUM,
        "PeerAuthentication with selector in the root namespace (ignored)",
    ),
    (
        K.MT_005,
        C.MESH_SECURITY,
        S.MEDIUM,
        "PeerAuthentication DISABLE in an ambient namespace (unsupported)",
    ),
    (
        K.AM_001,
        C.MESH_SECURITY,
        S.CRITICAL,
        "Namespace ambient in Git but live lacks or changed istio.io/dataplane-mode",
    ),
    (K.AM_002, C.MESH_SECURITY, S.HIGH, "Workload opted out of ambient outside the exception list"),
    (
        K.AM_003,
        C.MESH_SECURITY,
        S.HIGH,
        "use-waypoint names a missing waypoint, not a waypoint, or one with the wrong waypoint-for",
    ),
    (K.AM_004, C.MESH_SECURITY, S.HIGH, "L7 configuration on an ambient target with no waypoint"),
    (
        K.AM_005,
        C.MESH_SECURITY,
        S.MEDIUM,
        "L7 AuthorizationPolicy/RequestAuthentication in an ambient namespace without targetRefs",
    ),
    (K.AM_007, C.MESH_SECURITY, S.MEDIUM, "Conflicting injection/dataplane labels (IST0123)"),
    (K.CI_002, C.MESH_SECURITY, S.HIGH, "Team namespace with pods outside Cilium default deny"),
    (K.LK_002, C.MESH_SECURITY, S.HIGH, "Permissive Linkerd default-inbound-policy"),
    (K.LK_004, C.MESH_SECURITY, S.MEDIUM, "Linkerd AuthorizationPolicy targetRef missing"),
    (
        K.LK_005,
        C.MESH_SECURITY,
        S.HIGH,
        "requiredAuthenticationRefs names a missing MeshTLSAuthentication/NetworkAuthentication",
    ),
    (
        K.PA_001,
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
