"""Settings every policy-check family receives from a run."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from auditor.model import TeamPolicy

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySettings:
    """What a run gives every check family besides the cluster state.

    ``teams`` empty means no org policy (findings carry ``team=None``); ``disabled`` are check IDs
    not to emit; ``now`` is passed in so the checks stay pure; ``ambient_exceptions`` are the
    config's ``mesh.ambient_exceptions`` (``namespace/name`` globs, AM-002).
    """

    teams: Sequence[TeamPolicy] = ()
    disabled: frozenset[str] = frozenset()
    now: datetime | None = None
    assume_namespace_labels: bool = False
    """Gateway: see ``GatewaySettings.assume_namespace_labels``."""
    ambient_exceptions: tuple[str, ...] = ()
