"""Rendering a kustomize directory with the ``kustomize`` or ``kubectl`` binary found on PATH.

The binaries are the seam: tests put a fake ``kustomize`` script on PATH. Output is YAML text for
``sources/yamlload``; failures are ``RenderError`` with a short message (stderr's last line).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

from auditor.defaults import FILE_BYTES_KEY

logger = logging.getLogger(__name__)

NOT_FOUND = "kustomize directory, but neither kustomize nor kubectl is on PATH"


class RenderError(Exception):
    """``kustomize build`` failed or timed out (message is safe to show)."""


def find_renderer(search_path: str | None) -> list[str] | None:
    """The command prefix to render with (``kustomize build`` or ``kubectl kustomize``), if any."""
    if exe := shutil.which("kustomize", path=search_path):
        return [exe, "build"]
    if exe := shutil.which("kubectl", path=search_path):
        return [exe, "kustomize"]
    return None


def render(command: list[str], directory: Path, *, timeout: float, max_bytes: int) -> str:
    """Run ``command DIRECTORY`` and return its standard output."""
    logger.debug(
        "rendering %s", directory, extra={"action": "kustomize", "resource": directory.name}
    )
    try:
        done = subprocess.run(
            [*command, str(directory)],
            capture_output=True,
            timeout=timeout,
            check=False,
            cwd=directory,
        )
    except subprocess.TimeoutExpired as e:
        raise RenderError(f"{Path(command[0]).name} timed out after {timeout:g}s") from e
    except OSError as e:
        raise RenderError(f"{Path(command[0]).name} could not run: {e.strerror}") from e
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"]
        raise RenderError(f"{Path(command[0]).name} exited {done.returncode}: {lines[-1][:300]}")
    if len(done.stdout) > max_bytes:
        raise RenderError(
            f"rendered output is over the limit of {max_bytes} bytes ({FILE_BYTES_KEY})"
        )
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RenderError("rendered output is not UTF-8") from e
