"""Load and validate the YAML config (DESIGN §4) into typed settings.

Every error names the file, the key path (``teams[1].sources[0].paths``) and what was expected.
Unknown keys are errors. Secrets never live in the file: only names of env vars or files.
The only place that reads the environment is :func:`load` (passed in as ``environ``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from auditor.config.parse import parse_settings
from auditor.config.reader import ConfigReader, parse_duration
from auditor.config.types import (
    ClusterSettings,
    DatabaseSettings,
    IgnoreSettings,
    KindRef,
    NormalizeSettings,
    RepositorySettings,
    ScheduleSettings,
    Settings,
    SlackSettings,
    TeamSettings,
    TeamSourceSettings,
)
from auditor.errors import ConfigError

__all__ = [
    "ClusterSettings",
    "ConfigReader",
    "DatabaseSettings",
    "IgnoreSettings",
    "KindRef",
    "NormalizeSettings",
    "RepositorySettings",
    "ScheduleSettings",
    "Settings",
    "SlackSettings",
    "TeamSettings",
    "TeamSourceSettings",
    "load",
    "parse_duration",
]

MAX_CONFIG_BYTES = 4 * 1024 * 1024


def load(path: Path, *, environ: Mapping[str, str]) -> Settings:
    """Read, parse and validate the config file at ``path``."""
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: config file larger than {MAX_CONFIG_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ConfigError(f"config file not found: {path}") from e
    except OSError as e:
        raise ConfigError(f"cannot read config file {path}: {e.strerror}") from e
    except UnicodeDecodeError as e:
        bad_line = e.object[: e.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{bad_line}: not UTF-8 text") from e
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{line}: invalid YAML: {getattr(e, 'problem', e)}") from e
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return parse_settings(ConfigReader(data, file=str(path), path=""), path=path, environ=environ)
