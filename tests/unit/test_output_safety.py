"""The pure safety functions: the URL masker (redact), terminal/CSV safety and value caps
(textsafe) and the duration parser (durations). Property tests show that no generated secret or
control character survives."""

from __future__ import annotations

import json
import string
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.durations import MAX_DURATION, format_duration, parse_duration
from auditor.redact import ambiguous_userinfo, mask_secrets_in, mask_url
from auditor.textsafe import CAP_BYTES, cap_value, csv_safe, terminal_safe

# -- redact -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://ghp_abc123@github.com/org/r.git", "https://***@github.com/org/r.git"),
        ("https://bot:p/ss@git.example/r.git", "https://***@git.example/r.git"),
        ("https://bot:p@ss@git.example/r.git", "https://***@git.example/r.git"),
        (
            "postgresql+psycopg://postgres:p@ssW0rd@127.0.0.1:5999/x",
            "postgresql+psycopg://***@127.0.0.1:5999/x",
        ),
        (
            "postgresql://u@h/db?password=s3cr3t&sslmode=require",
            "postgresql://***@h/db?password=***&sslmode=require",
        ),
        ("sqlite:///auditor.db", "sqlite:///auditor.db"),
        ("git@github.com:org/r.git", "git@github.com:org/r.git"),  # scp syntax: an SSH user
        ("https://github.com/org/r.git", "https://github.com/org/r.git"),
    ],
)
def test_mask_url_hides_the_whole_user_info(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_mask_secrets_in_free_text() -> None:
    text = (
        "fatal: unable to access 'https://ghp_T0KEN@host/r.git/': 403; "
        "connection to postgresql://u:pw@db/x failed; dsn host=db password=hunter2 user=u"
    )
    out = mask_secrets_in(text)
    assert "ghp_T0KEN" not in out and "pw@" not in out and "hunter2" not in out
    assert "https://***@host/r.git/" in out and "postgresql://***@db/x" in out
    assert "password=***" in out


@pytest.mark.parametrize(
    ("url", "ambiguous"),
    [
        ("postgresql://u:p@ss@h/db", True),
        ("https://a@b@host/r", True),
        ("https://u:p%40ss@host/r", False),
        ("https://host/r?ref=a@b@c", False),
        ("git@github.com:o/r", False),
    ],
)
def test_ambiguous_userinfo(url: str, ambiguous: bool) -> None:
    assert ambiguous_userinfo(url) is ambiguous


_SECRET = st.text(min_size=1, max_size=30)
_URL_SAFE = st.text(
    alphabet=string.ascii_letters + string.digits + "-._~!$&*+,;=:/@%", min_size=1, max_size=30
)


@settings(max_examples=300, deadline=None)
@given(user=_SECRET, password=st.one_of(st.none(), _SECRET))
def test_property_no_user_info_survives_mask_url(user: str, password: str | None) -> None:
    userinfo = user if password is None else f"{user}:{password}"
    assert mask_url(f"https://{userinfo}@git.example/org/r.git") == (
        "https://***@git.example/org/r.git"
    )


@settings(max_examples=300, deadline=None)
@given(user=_URL_SAFE, password=_URL_SAFE, scheme=st.sampled_from(["https", "postgresql+psycopg"]))
def test_property_no_secret_survives_in_messages(user: str, password: str, scheme: str) -> None:
    user, password = "U" + user + "U", "P" + password + "P"  # never a substring of the rest
    for message in (
        f"fatal: unable to access '{scheme}://{user}:{password}@h.example/r.git/': denied",
        f'could not connect to "{scheme}://{user}:{password}@h.example:5432/db"\n  retrying',
        f"{scheme}://{user}@h.example/x (no password)",
    ):
        out = mask_secrets_in(message)
        assert user not in out and password not in out, out


# -- textsafe -----------------------------------------------------------------------------------


def test_terminal_safe_makes_escapes_visible() -> None:
    hostile = "esc\x1b[2J\x1b]8;;http://evil.example\x07click\x1b]8;;\x07\u202etxt.exe\x9b31m"
    assert terminal_safe(hostile) == (
        "esc\\x1b[2J\\x1b]8;;http://evil.example\\x07click\\x1b]8;;\\x07\\u202etxt.exe\\x9b31m"
    )
    assert terminal_safe("a\nb\tc\r") == "a\\nb\\tc\\r"
    assert terminal_safe("a\nb", multiline=True) == "a\nb"
    assert terminal_safe("plain é ü 名前") == "plain é ü 名前"


_CONTROLS = "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]) + "\u2028\u202e\u2066"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_CONTROLS + "ab[]\\é"), max_size=60), st.booleans())
def test_property_no_control_character_survives(text: str, multiline: bool) -> None:
    out = terminal_safe(text, multiline=multiline)
    allowed = {"\n"} if multiline else set()
    assert not any(c in _CONTROLS and c not in allowed for c in out), repr(out)


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+2.yaml", "'+1+2.yaml"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("1e5", "1e5"),
        ("web/route", "web/route"),
        (7, 7),
        ("", ""),
    ],
)
def test_csv_safe(cell: object, safe: object) -> None:
    assert csv_safe(cell) == safe


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_property_no_csv_cell_starts_a_formula(text: str) -> None:
    out = csv_safe(text)
    if out.startswith(("=", "+", "-", "@", "\t", "\r")):
        float(out)  # only plain numbers keep such a first character


def test_cap_value() -> None:
    assert cap_value("short") == "short" and cap_value(None) is None and cap_value(3) == 3
    big = "x" * (10 * 1024 * 1024)
    capped = cap_value(big)
    assert len(capped) < CAP_BYTES + 100
    assert capped.endswith(f"… [truncated: {len(big)} bytes]")
    nested = {"a": ["é" * 5000]}
    capped_nested = cap_value(nested)
    size = len(json.dumps(nested, ensure_ascii=False).encode())
    assert isinstance(capped_nested, str) and capped_nested.endswith(f"[truncated: {size} bytes]")
    assert cap_value({"small": 1}) == {"small": 1}


# -- durations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1h30m", timedelta(minutes=90)),
        (" 0 ", timedelta(0)),
        ("36500d", MAX_DURATION),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("100", "a bare number has no unit: write 100s or 100d"),
        ("36501d", "longer than the maximum of 100 years"),
        ("99999999999w", "longer than the maximum"),
        ("2 weeks", "expected a duration like"),
        ("-5s", "expected a duration like"),
        ("5y", "expected a duration like"),
        ("", "expected a duration like"),
    ],
)
def test_parse_duration_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=int(MAX_DURATION.total_seconds())))
def test_property_format_parse_round_trip(seconds: int) -> None:
    value = timedelta(seconds=seconds)
    assert parse_duration(format_duration(value)) == value
