"""Options and helpers shared by the CLI commands: config/DB resolution, logging, output."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from auditor import config as config_mod
from auditor.redact import mask_secrets_in
from auditor.textsafe import CAP_BYTES, cap_value, terminal_safe

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_CONFIG = "config/auditor.yaml"
DEFAULT_DATABASE_URL = "sqlite:///auditor.db"


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_path",
        default=None,
        metavar="PATH",
        help=f"Config file (env AUDITOR_CONFIG; default {DEFAULT_CONFIG}).",
    )(func)


def db_option(func: F) -> F:
    return click.option(
        "--db", "db_url", default=None, metavar="URL", help="Database URL; overrides the config."
    )(func)


def logging_options(func: F) -> F:
    func = click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")(
        func
    )
    return click.option(
        "--log-format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Log line format (stderr).",
    )(func)


def config_path(explicit: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """The config file to use: --config, then AUDITOR_CONFIG, then the default path."""
    env = os.environ if environ is None else environ
    return Path(explicit or env.get("AUDITOR_CONFIG") or DEFAULT_CONFIG)


def load_settings(explicit: str | None) -> config_mod.Settings:
    """Load the config; a missing or invalid file is a ConfigError (exit 2)."""
    return config_mod.load(config_path(explicit), environ=os.environ)


def resolve_database_url(config_explicit: str | None, db_url: str | None) -> str:
    """--db, then AUDITOR_DATABASE_URL, then the config's database.url, then sqlite:///auditor.db.

    The config file is optional here: history commands work with only --db or the env var.
    """
    if db_url:
        return db_url
    env_url = os.environ.get("AUDITOR_DATABASE_URL")
    if env_url:
        return env_url
    path = config_path(config_explicit)
    if config_explicit or path.exists():
        return load_settings(config_explicit).database.url
    return DEFAULT_DATABASE_URL


class _JsonFormatter(logging.Formatter):
    """One JSON object per line; every text field masked (``auditor.redact``)."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_secrets_in(record.getMessage()),
        }
        for key in ("action", "resource", "run_id", "cluster", "team"):
            if hasattr(record, key):
                value = getattr(record, key)
                payload[key] = mask_secrets_in(value) if isinstance(value, str) else value
        if record.exc_info:
            payload["exc_info"] = mask_secrets_in(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)


class _MaskingFormatter(logging.Formatter):
    """The text log line (and traceback at -vv) with every URL's user info masked."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal_safe(mask_secrets_in(super().format(record)), multiline=True)


def setup_logging(verbose: int, log_format: str) -> None:
    """Configure only the ``auditor`` logger (stderr), from -v/-vv and AUDITOR_LOGLEVEL."""
    level_name = os.environ.get("AUDITOR_LOGLEVEL")
    level = logging.WARNING - 10 * min(verbose, 2)
    if level_name:
        level = logging.getLevelName(level_name.upper()) if not verbose else level
    logger = logging.getLogger("auditor")
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _JsonFormatter()
        if log_format == "json"
        else _MaskingFormatter("%(levelname)s %(name)s: %(message)s")
    )
    logger.addHandler(handler)
    logger.setLevel(level if isinstance(level, int) else logging.WARNING)
    logger.propagate = False


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def cell(text: object, *, multiline: bool = False) -> str:
    """``text`` for a rich table cell or line: capped (``textsafe.cap_value``, e.g. a huge object
    name from Git), control characters made visible (``textsafe.terminal_safe``) and rich markup
    escaped. Every table cell goes through here."""
    from rich.markup import escape

    capped = cap_value(str(text), limit=2 * CAP_BYTES)  # room for values capped in findings
    return escape(terminal_safe(capped, multiline=multiline))


def console(*, stderr: bool = False) -> Any:
    """A rich Console; when not writing to a terminal, wide enough not to fold short cells."""
    from rich.console import Console

    out = Console(soft_wrap=False, stderr=stderr)
    if not out.is_terminal:
        out = Console(soft_wrap=False, stderr=stderr, width=max(out.width, 160))
    return out
