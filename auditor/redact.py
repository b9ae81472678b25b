"""The one credential masker for every URL the auditor prints, logs or stores (stdlib only).

Why one function: the same URL (a Git remote, a database URL) travels through config output,
error messages, log lines, JSON reports and stored ``runs.skipped`` rows, and each hand-written
regex used to miss a different spelling. The rule here is deliberately coarse:

- In a URL (``scheme://…``) the whole user info becomes ``***``: everything between ``://`` and the
  *last* ``@`` of the URL, whatever it contains (a token as the user name, ``:`` ``/`` ``@`` in a
  password). A URL with ``@`` in its path is over-masked; that is accepted, leaking is not.
- ``password=…`` parameters (libpq query strings and keyword DSNs) lose their value.

API: :func:`mask_url` (one URL), :func:`mask_secrets_in` (free text such as a driver or git
message), :func:`ambiguous_userinfo` (the config refuses URLs with more than one ``@``, since
drivers then disagree about where the host starts and echo the rest of the password).
"""

from __future__ import annotations

import re

__all__ = ["MASK", "ambiguous_userinfo", "mask_secrets_in", "mask_url"]

MASK = "***"

# A URL token in free text: scheme://, then anything up to whitespace or a quote/bracket that
# usually delimits a URL in messages ('…', "…", <…>, (…)).
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>()\[\]{}]*")
_PASSWORD_PARAM = re.compile(r"(password\s*=\s*)('[^']*'|\"[^\"]*\"|[^\s&#;,]*)", re.IGNORECASE)


def mask_url(text: str) -> str:
    """``text`` (one URL) with its whole user info replaced by ``***`` and ``password=`` masked.

    >>> mask_url("https://ghp_abc@github.com/org/repo.git")
    'https://***@github.com/org/repo.git'
    >>> mask_url("postgresql://u:p@ss/w@db:5432/x?password=y")
    'postgresql://***@db:5432/x?password=***'
    """
    scheme, sep, rest = text.partition("://")
    if sep and "@" in rest:
        rest = MASK + rest[rest.rindex("@") :]
    return _PASSWORD_PARAM.sub(_mask_param, scheme + sep + rest if sep else text)


def mask_secrets_in(text: str) -> str:
    """``text`` with every URL in it masked (see :func:`mask_url`) and ``password=`` values hidden.

    For messages the auditor does not write itself: git's stderr, database driver errors,
    tracebacks, log lines.
    """
    return _PASSWORD_PARAM.sub(_mask_param, _URL.sub(lambda m: mask_url(m.group(0)), text))


def ambiguous_userinfo(url: str) -> bool:
    """True when the URL has more than one ``@`` before its query: where its host starts is a
    guess (drivers split at the first ``@`` and echo the rest of the password as a host name).
    The fix is to percent-encode ``@`` in the user name or password as ``%40``."""
    _, sep, rest = url.partition("://")
    if not sep:
        return False
    return rest.split("?", 1)[0].split("#", 1)[0].count("@") > 1


def _mask_param(match: re.Match[str]) -> str:
    return match.group(1) + MASK
