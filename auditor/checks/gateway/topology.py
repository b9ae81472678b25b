"""Which Gateway every accepted attachment lands on, and the ListenerSets merged into each Gateway.

Built once from the evaluations; used by the hostname, tenancy and status checks. A route attached
through a ListenerSet lands on that ListenerSet's Gateway when the ListenerSet is accepted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from auditor.checks.gateway.evaluate import Evaluation, Outcome, created
from auditor.checks.gateway.index import LISTENERSET_KINDS, Index, Listener, Parent
from auditor.keys import ResourceKey

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Topology:
    """Accepted attachments per Gateway and accepted ListenerSets per Gateway (merge order)."""

    gateway_of_ls: dict[ResourceKey, ResourceKey] = field(default_factory=dict)
    attached: dict[ResourceKey, list[Evaluation]] = field(default_factory=dict)
    listenersets: dict[ResourceKey, list[Parent]] = field(default_factory=dict)

    def gateway_of(self, ev: Evaluation) -> ResourceKey | None:
        """The Gateway an evaluation's parent belongs to (the parent itself for a Gateway)."""
        parent = ev.gateway_parent
        if parent is None:
            return None
        if parent.key.group_kind in LISTENERSET_KINDS:
            return self.gateway_of_ls.get(parent.key)
        return parent.key

    def merged_listeners(self, gateway: Parent) -> list[Listener]:
        """The Gateway's listeners, then those of its accepted ListenerSets, oldest first."""
        out = list(gateway.listeners)
        for ls in self.listenersets.get(gateway.key, []):
            out.extend(ls.listeners)
        return out


def build_topology(index: Index, evaluations: list[Evaluation]) -> Topology:
    topo = Topology()
    for ev in evaluations:
        if ev.referrer.key.group_kind in LISTENERSET_KINDS and ev.outcome == Outcome.ACCEPTED:
            gateway = ev.gateway_parent
            ls = index.listenersets.get(ev.referrer.key)
            if gateway is not None and ls is not None:
                topo.gateway_of_ls[ls.key] = gateway.key
                topo.listenersets.setdefault(gateway.key, []).append(ls)
    for sets in topo.listenersets.values():
        sets.sort(key=lambda p: (created(p.obj), p.key.namespace, p.key.name))
    for ev in evaluations:
        if ev.outcome != Outcome.ACCEPTED or ev.referrer.key.group_kind in LISTENERSET_KINDS:
            continue
        gateway_key = topo.gateway_of(ev)
        if gateway_key is not None:
            topo.attached.setdefault(gateway_key, []).append(ev)
    return topo
