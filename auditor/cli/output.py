"""Printing audit/analyze results: table (rich, from ``render.table``), JSON and SARIF."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from auditor.cli.common import cell, console
from auditor.model import Finding, Skipped
from auditor.render import findings_json
from auditor.render.sarif import render_sarif
from auditor.render.table import findings_table

_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def emit(
    *, fmt: str, findings: Sequence[Finding], run: dict[str, Any] | None, skipped: Sequence[Skipped]
) -> None:
    """Print ``findings`` in ``fmt`` to stdout (notes about skipped subjects go to stderr)."""
    dicts = [f.as_dict() for f in findings]
    if fmt == "json":
        click.echo(findings_json(dicts, run=run))
    elif fmt == "sarif":
        click.echo(json.dumps(render_sarif(dicts), indent=2))
    else:
        render_table(dicts, skipped)


def render_table(findings: Sequence[dict[str, Any]], skipped: Sequence[Skipped]) -> None:
    from rich.table import Table

    model = findings_table(findings)
    table = Table(show_lines=True, title=model.title)
    for column in model.columns:
        table.add_column(column, overflow="fold")
    for row in model.rows:
        table.add_row(
            f"[{_STYLE.get(row.severity, '')}]{cell(row.severity)}[/]",
            *("\n".join(cell(line) for line in lines) for lines in row.cells),
        )
    console().print(table)
    if skipped:
        err = console(stderr=True)
        err.print(f"[bold]{len(skipped)} note(s) about what was not read or checked:[/]")
        for s in skipped:
            err.print(f"  - {cell(s.subject)}: {cell(s.reason)}")
