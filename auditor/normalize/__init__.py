"""Normalization: schema defaulting and pruning, server-field stripping, value equivalence,
field paths and pairing — everything drift needs before it compares two bodies.

Pure functions of their arguments; no third-party imports.
"""

from __future__ import annotations

from auditor.normalize.defaulting import (
    DefaultedViews,
    apply_defaults,
    defaulted_view,
    prune,
    pruned_paths,
)
from auditor.normalize.defaults_builtin import BUILTIN_KINDS, builtin_rules
from auditor.normalize.pairing import Pair, Pairing, pair_objects
from auditor.normalize.paths import (
    Keyed,
    Path,
    PathSyntaxError,
    Pattern,
    Segment,
    Wildcard,
    format_path,
    matches,
    parse_path,
)
from auditor.normalize.schema import METADATA_NODE, KindSchema, SchemaNode, SchemaRegistry
from auditor.normalize.strip import (
    DEFAULT_IGNORE_ANNOTATIONS,
    DEFAULT_IGNORE_LABELS,
    SECRET_MASK,
    NormalizeRules,
    redact_secret,
    strip,
)
from auditor.normalize.values import (
    canon,
    equivalent,
    is_empty,
    parse_duration,
    parse_quantity,
    strictly_equal,
)

__all__ = [
    "BUILTIN_KINDS",
    "DEFAULT_IGNORE_ANNOTATIONS",
    "DEFAULT_IGNORE_LABELS",
    "METADATA_NODE",
    "SECRET_MASK",
    "DefaultedViews",
    "Keyed",
    "KindSchema",
    "NormalizeRules",
    "Pair",
    "Pairing",
    "Path",
    "PathSyntaxError",
    "Pattern",
    "SchemaNode",
    "SchemaRegistry",
    "Segment",
    "Wildcard",
    "apply_defaults",
    "builtin_rules",
    "canon",
    "defaulted_view",
    "equivalent",
    "format_path",
    "is_empty",
    "matches",
    "pair_objects",
    "parse_duration",
    "parse_path",
    "parse_quantity",
    "prune",
    "pruned_paths",
    "redact_secret",
    "strictly_equal",
    "strip",
]
