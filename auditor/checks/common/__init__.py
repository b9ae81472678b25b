"""Plumbing shared by every policy-check family (Gateway, mesh): the Finding factory with its
ownership lookups, the run settings, and defensive accessors for Kubernetes JSON bodies.

One home for these so a family never re-implements how a finding gets its category, default
severity, team and origin, and so every family treats malformed bodies the same way.
"""
