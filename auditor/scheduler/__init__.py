"""The scheduled worker (``auditor serve``): APScheduler jobs per cluster, Leases, claims, the
``/healthz`` ``/readyz`` ``/metrics`` endpoints and the metric objects.

Sits above ``auditor.app`` (it calls the same audit-and-store sequence as ``auditor audit``) and
below ``auditor.cli``. Modules load APScheduler, kubernetes and prometheus_client, so the CLI
imports them only inside ``serve``.
"""
