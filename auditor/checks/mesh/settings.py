"""Settings of the mesh analysis (re-exported by the package)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from auditor.model import TeamPolicy

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class MeshSettings:
    """What the mesh checks need besides the cluster state.

    ``ambient_exceptions``: ``namespace/name`` globs of workloads allowed to opt out of ambient
    (config ``mesh.ambient_exceptions``, AM-002).
    """

    teams: Sequence[TeamPolicy] = ()
    disabled: frozenset[str] = frozenset()
    ambient_exceptions: tuple[str, ...] = ()
