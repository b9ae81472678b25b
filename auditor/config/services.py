"""The config sections of the history and the worker: ``database``, ``schedule`` and
``notify``, with the checks that catch what ``config check`` would otherwise let through (a URL
no supported driver takes, a cron expression APScheduler refuses, Slack with no credential)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from auditor.config.reader import ConfigReader
from auditor.config.types import DatabaseSettings, ScheduleSettings, SlackSettings
from auditor.redact import ambiguous_userinfo, mask_url

DATABASE_ENV = "AUDITOR_DATABASE_URL"
DATABASE_SCHEMES = {"sqlite", "sqlite+pysqlite", "postgres", "postgresql", "postgresql+psycopg"}
_SUNDAY_7 = re.compile(r"(?<![0-9])7(?![0-9])")


def database_section(reader: ConfigReader, environ: Mapping[str, str]) -> DatabaseSettings:
    reader.check_keys({"url", "auto_migrate", "retention"})
    retention = reader.duration("retention", "180d", allow_zero=True)  # 0 (any unit): keep all
    env_url = environ.get(DATABASE_ENV)
    url = env_url or reader.get("url", str, "sqlite:///auditor.db")
    problem = database_url_problem(url)
    if problem and env_url:
        raise reader.error(None, f"{DATABASE_ENV} (which overrides url): {problem}")
    if problem:
        raise reader.error("url", problem)
    return DatabaseSettings(
        url=url,
        auto_migrate=reader.get("auto_migrate", bool, False),
        retention_seconds=retention or None,
    )


def schedule_section(reader: ConfigReader) -> ScheduleSettings:
    reader.check_keys({"interval", "cron"})
    cron = reader.get("cron", str)
    if cron and "interval" in reader.data:
        raise reader.error(None, "use either interval or cron, not both")
    if cron:
        if len(cron.split()) != 5:
            raise reader.error("cron", "expected a 5-field cron expression like '*/5 * * * *'")
        problem = cron_problem(cron)
        if problem:
            raise reader.error("cron", f"invalid cron expression {cron!r}: {problem}")
        return ScheduleSettings(interval_seconds=None, cron=cron)
    return ScheduleSettings(interval_seconds=reader.duration("interval", "5m"))


def cron_problem(expression: str) -> str | None:
    """Why APScheduler's own crontab parser refuses ``expression`` (None when it accepts it).

    Crontab allows 7 for Sunday in the day-of-week field where APScheduler stops at 6; both mean
    a valid last day, so 7 is read as 6 for this check (the scheduler translates weekdays itself).
    """
    from apscheduler.triggers.cron import CronTrigger  # the scheduler's dependency, loaded lazily

    *fields, weekday = expression.split()
    try:
        CronTrigger.from_crontab(" ".join([*fields, _SUNDAY_7.sub("6", weekday)]), timezone="UTC")
    except (ValueError, TypeError) as e:
        return str(e)
    return None


AMBIGUOUS_USERINFO = (
    "more than one '@' in the URL: percent-encode '@' in the user name or password as %40 "
    "(otherwise the host is guessed and part of the password is echoed in errors)"
)


def database_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a history database (None when it can): an unsupported dialect or
    an ambiguous user info. The message shows the URL masked."""
    if ambiguous_userinfo(url):
        return AMBIGUOUS_USERINFO
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.lower() not in DATABASE_SCHEMES:
        return (
            f"unsupported database URL {mask_url(url)!r}: expected sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DB (only SQLite and PostgreSQL are supported)"
        )
    return None


def slack_section(reader: ConfigReader) -> SlackSettings | None:
    reader.check_keys({"slack"})
    if "slack" not in reader.data:
        return None
    slack = reader.child("slack")
    slack.check_keys(
        {"token_env", "webhook_url_env", "default_channel", "digest_threshold", "base_url"}
    )
    token_env, webhook_url_env = slack.get("token_env", str), slack.get("webhook_url_env", str)
    if token_env is None and webhook_url_env is None:
        # Messages would be queued for ever and a credential added later would flood the
        # channels with the whole backlog: refuse it when the config is loaded.
        raise slack.error(
            None,
            "set token_env (a bot token: posts, updates and threads) or webhook_url_env "
            "(an incoming webhook: posts only); remove notify.slack to turn notifications off",
        )
    return SlackSettings(
        token_env=token_env,
        webhook_url_env=webhook_url_env,
        default_channel=slack.get("default_channel", str),
        digest_threshold=slack.get("digest_threshold", int, 10),
        base_url=slack.get("base_url", str),
    )
