"""The ``auditor`` command: the click group, logging set-up and the single error catch.

Exit codes (README): 0 clean, 1 findings, 2 usage/config/database/internal error, 3 partial run,
130 interrupted (SIGINT), 143 terminated (SIGTERM). An unexpected exception is one line on stderr
(``internal error: …; run with -vv for details``); the traceback is logged only at ``-vv``.
Everything printed here goes through ``auditor.redact.mask_secrets_in``.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

import click

from auditor import __version__
from auditor.errors import AuditorError
from auditor.redact import mask_secrets_in
from auditor.textsafe import terminal_safe

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_PARTIAL = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM


class Terminated(BaseException):
    """SIGTERM arrived during a one-off command (raised by the handler :func:`main` installs).

    A BaseException, so that no ``except Exception`` on the way swallows it; transactions roll
    back and temporary files are removed as the stack unwinds.
    """


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise Terminated


_Handlers = dict[int, Any]


def install_one_off_signal_handlers() -> _Handlers:
    """SIGINT raises KeyboardInterrupt (exit 130), SIGTERM raises :class:`Terminated` (exit 143).

    :func:`main` calls this before running any command and restores the returned previous
    handlers afterwards. A long-running command (``serve``) replaces these by calling
    ``signal.signal`` with its own handlers (stop and exit 0) when it starts; outside the main
    thread nothing is installed.
    """
    previous: _Handlers = {}
    try:
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
        previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # pragma: no cover - not the main thread
        pass
    return previous


def _restore(handlers: _Handlers) -> None:
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """GitOps policy-drift auditor: Git vs live Gateway API and mesh policy, per team and cluster."""


def _register_commands() -> None:
    from auditor.cli import audit, demo, deploy, history, misc, serve

    for module in (audit, history, misc, demo, serve, deploy):
        module.register(cli)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code. The one place errors are caught."""
    previous = install_one_off_signal_handlers()  # first: Ctrl-C while commands load is exit 130
    try:
        return _run(argv)
    finally:
        _restore(previous)


def _register_while_signals_wait() -> None:
    """Import and register the commands with SIGINT and SIGTERM held back until they are loaded.

    A signal that lands inside an import can be lost or turn into the wrong exit: CPython reports
    an exception raised in importlib's module-lock callback as "ignored" (the Ctrl-C is dropped),
    and one raised inside the ``eval`` that builds a namedtuple leaves the interpreter's "unhandled
    KeyboardInterrupt" flag set, so it kills itself with SIGINT (-2) after printing "interrupted"
    and returning 130. Held back, the signal arrives when the mask is lifted, here, where
    :func:`_run` catches it: a Ctrl-C while commands load is still exit 130, every time.
    """
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except AttributeError:  # pragma: no cover - no pthread_sigmask on this platform (Windows)
        _register_commands()
        return
    try:
        _register_commands()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a pending signal is raised here


def _run(argv: Sequence[str] | None) -> int:
    try:
        _register_while_signals_wait()
        result = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Exit as e:
        return int(e.exit_code)
    except click.ClickException as e:
        e.show()
        return EXIT_ERROR
    except (click.exceptions.Abort, KeyboardInterrupt) as e:
        interrupted = isinstance(e, KeyboardInterrupt) or isinstance(
            e.__context__, KeyboardInterrupt
        )
        click.echo("interrupted" if interrupted else "aborted", err=True)
        return EXIT_INTERRUPTED if interrupted else EXIT_ERROR
    except Terminated:
        click.echo("terminated", err=True)
        return EXIT_TERMINATED
    except AuditorError as e:
        logger.debug("command failed", exc_info=True, extra={"action": "cli"})
        click.echo(f"error: {terminal_safe(mask_secrets_in(_cause_chain(e)))}", err=True)
        return EXIT_ERROR
    except Exception as e:  # the last line of defence: one line, exit 2, traceback only at -vv
        logger.debug("internal error", exc_info=True, extra={"action": "cli"})
        first = (str(e).strip().splitlines() or [""])[0][:300]
        detail = f"{type(e).__name__}: {first}" if first else type(e).__name__
        safe = terminal_safe(mask_secrets_in(detail))
        click.echo(f"internal error: {safe}; run with -vv for details", err=True)
        return EXIT_ERROR
    return int(result) if isinstance(result, int) else EXIT_OK


def _cause_chain(error: BaseException) -> str:
    """The error and the first line of each cause (driver and git messages), joined by ``: ``."""
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
