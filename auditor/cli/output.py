"""Rendering of audit/analyze results: table (rich), json (DESIGN §6) and sarif."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from auditor.cli.common import cell, console
from auditor.cli.sarif import render_sarif
from auditor.model import Finding, Skipped

_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def emit(
    *, fmt: str, findings: Sequence[Finding], run: dict[str, Any] | None, skipped: Sequence[Skipped]
) -> None:
    """Print ``findings`` in ``fmt`` to stdout (notes about skipped subjects go to stderr)."""
    if fmt == "json":
        payload: dict[str, Any] = {"findings": [f.as_dict() for f in findings]}
        if run is not None:
            payload = {"run": run, **payload}
        click.echo(json.dumps(payload, indent=2, default=str))
    elif fmt == "sarif":
        click.echo(json.dumps(render_sarif(findings), indent=2))
    else:
        render_table(findings, skipped)


def _object(finding: Finding) -> str:
    if finding.object is None:
        origin = finding.origin
        return f"{origin.path}:{origin.line}" if origin else "-"
    key = finding.object
    return f"{key.kind} {key.namespace + '/' if key.namespace else ''}{key.name}"


def _detail(finding: Finding) -> list[str]:
    """The lines of the detail cell (each made safe separately, so no value adds a line)."""
    lines = [finding.message]
    for change in finding.changes[:10]:
        who = f" by {change.manager} ({change.operation})" if change.manager else ""
        lines.append(f"  {change.op} {change.path}: {change.desired!r} -> {change.live!r}{who}")
    if len(finding.changes) > 10:
        lines.append(f"  … {len(finding.changes) - 10} more")
    if finding.hidden_changes:
        lines.append(f"  ({finding.hidden_changes} expected change(s) hidden)")
    return lines


def render_table(findings: Sequence[Finding], skipped: Sequence[Skipped]) -> None:
    from rich.table import Table

    table = Table(show_lines=True, title=f"{len(findings)} finding(s)")
    for column in ("severity", "check", "team", "cluster", "object", "detail"):
        table.add_column(column, overflow="fold")
    for f in findings:
        table.add_row(
            f"[{_STYLE[str(f.severity)]}]{f.severity}[/]",
            cell(f.check) + f"\n{f.view}" + (f"\n{cell(f.reason)}" if f.reason else ""),
            cell(f.team or "-"),
            cell(f.cluster),
            cell(_object(f)),
            "\n".join(cell(line) for line in _detail(f)),
        )
    console().print(table)
    if skipped:
        err = console(stderr=True)
        err.print(f"[bold]{len(skipped)} note(s) about what was not read or checked:[/]")
        for s in skipped:
            err.print(f"  - {cell(s.subject)}: {cell(s.reason)}")
