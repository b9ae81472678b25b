"""The evaluation context of the Gateway check modules: the shared ``CheckContext`` (the Finding
factory and ownership lookups) plus the Gateway index and settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from auditor.checks.common.context import CheckContext
from auditor.checks.gateway.index import Index
from auditor.checks.gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Context(CheckContext):
    """One Gateway analysis run: the index, the settings and the inherited Finding factory."""

    index: Index
    settings: GatewaySettings

    @classmethod
    def of(cls, index: Index, settings: GatewaySettings) -> Context:
        return cls(
            state=index.state,
            teams=settings.teams,
            disabled=settings.disabled,
            ns_labels=index.ns_labels,
            index=index,
            settings=settings,
        )
