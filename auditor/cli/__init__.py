"""The ``auditor`` command: the click group, logging set-up and the single error catch."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

import click

from auditor import __version__
from auditor.errors import AuditorError

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_PARTIAL = 0, 1, 2, 3


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """GitOps policy-drift auditor: Git vs live Gateway API and mesh policy, per team and cluster."""


def _register_commands() -> None:
    from auditor.cli import audit, demo, history, misc, serve

    for module in (audit, history, misc, demo, serve):
        module.register(cli)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code. The one place errors are caught."""
    _register_commands()
    try:
        result = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Exit as e:
        return int(e.exit_code)
    except click.ClickException as e:
        e.show()
        return EXIT_ERROR
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_ERROR
    except AuditorError as e:
        logger.debug("command failed", exc_info=True, extra={"action": "cli"})
        click.echo(f"error: {_cause_chain(e)}", err=True)
        return EXIT_ERROR
    return int(result) if isinstance(result, int) else EXIT_OK


def _cause_chain(error: BaseException) -> str:
    parts = [str(error)]
    cause = error.__cause__
    while cause is not None:
        text = str(cause).strip().splitlines()
        if text and text[0] not in parts[-1]:
            parts.append(text[0][:300])
        cause = cause.__cause__
    return ": ".join(parts)


def entrypoint() -> None:  # pragma: no cover - console script shim
    sys.exit(main())
