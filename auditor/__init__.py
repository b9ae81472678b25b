"""GitOps policy-drift auditor."""

__version__ = "0.1.0"
