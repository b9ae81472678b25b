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
