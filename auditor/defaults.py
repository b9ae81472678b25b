"""Documented defaults shared by config (what an absent key means) and the pure stages.

Stdlib only: the DRIFT_RULES C2/C3 lists of tool-injected metadata and the C10 allowlist of
controllers whose writes are expected mutation.
"""

from __future__ import annotations

IGNORE_ANNOTATIONS: tuple[str, ...] = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "argocd.argoproj.io/tracking-id",
    "notified.notifications.argoproj.io",
    "meta.helm.sh/release-name",
    "meta.helm.sh/release-namespace",
    "kustomize.toolkit.fluxcd.io/checksum",
    "fluxcd.io/sync-checksum",
    "prometheus-operator-validated",
)
"""DRIFT_RULES C2: annotations tools inject; ignored unless Git declares them."""

IGNORE_LABELS: tuple[str, ...] = (
    "app.kubernetes.io/instance",
    "argocd.argoproj.io/instance",
    "kustomize.toolkit.fluxcd.io/name",
    "kustomize.toolkit.fluxcd.io/namespace",
    "helm.toolkit.fluxcd.io/name",
    "helm.toolkit.fluxcd.io/namespace",
    "pod-template-hash",
    "controller-revision-hash",
    "kubernetes.io/metadata.name",
)
"""DRIFT_RULES C3: labels tools and the API server inject; ignored unless Git declares them."""

CONTROLLER_MANAGERS: tuple[str, ...] = (
    "kube-controller-manager",
    "horizontal-pod-autoscaler",
    "argo-rollouts",
    "istiod",
    "pilot-discovery",
    "cainjector",
    "cert-manager-cainjector",
)
"""DRIFT_RULES C10: managers whose writes are expected mutation (hidden, counted)."""

# -- size limits (config section ``limits``) -----------------------------------------------------
# Each limit's default is defined here only; config, sources and commands read it from here, and
# every error for going over a limit names the limit, the file and the key that raises it.

MAX_FILE_BYTES = 5 * 1024 * 1024
"""``limits.max_file_bytes``: one manifest file (Git, ``analyze``) or one kustomize output."""

MAX_YAML_NODES = 1_000_000
"""``limits.max_yaml_nodes``: the nodes a YAML document may expand to through aliases."""

MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024
"""``limits.max_snapshot_bytes``: one live snapshot file (``clusters[].snapshot``,
``--live-snapshot``) and one ``analyze --crds`` file. A ``kubectl get -o json`` dump of a
100,000-object cluster is about 0.4-1 GB (about 4-10 KB per object with managedFields and
status, pretty-printed), so the default fits such a cluster."""

FILE_BYTES_KEY = "limits.max_file_bytes"
YAML_NODES_KEY = "limits.max_yaml_nodes"
SNAPSHOT_BYTES_KEY = "limits.max_snapshot_bytes"
