"""The one-finding-per-subject rule every check family applies to its output."""

from __future__ import annotations

from collections.abc import Iterable

from auditor.model import Finding


def unique_findings(findings: Iterable[Finding | None]) -> list[Finding]:
    """First finding per (check, object, ref), ordered by check, object and ref; None skipped."""
    seen: dict[tuple[object, ...], Finding] = {}
    for f in findings:
        if f is None:
            continue
        ref = tuple(sorted(f.ref.as_dict().items())) if f.ref else ()
        seen.setdefault((f.check, f.object, ref), f)
    return sorted(seen.values(), key=lambda f: (f.check, str(f.object), repr(f.ref)))
