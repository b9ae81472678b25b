"""When a cluster job fires: the APScheduler trigger of ``schedule.interval``/``schedule.cron``,
its jitter and misfire grace, and the *slot* of a tick (the scheduled time it belongs to).

Every replica computes the same slots, which is what makes the database claim per (cluster,
slot) work across replicas: intervals are anchored at the Unix epoch (a 5-minute interval fires
at :00, :05, … on every replica), cron is absolute anyway. Jitter only delays a tick within its
slot (at most a tenth of the period, ≤ 30 s), and the misfire grace (half the period) keeps a
late tick inside its own slot too, so ``slot()`` maps a tick back to its scheduled time.

Cron expressions are standard crontab (day of week 0 or 7 = Sunday); they are translated to
weekday names because APScheduler 3.x counts 0 as Monday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from auditor.config.types import ScheduleSettings
from auditor.errors import ConfigError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_JITTER = 30
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field (0/7 = Sunday, ranges, lists, steps) as APScheduler weekday
    names; ``*`` and names pass through. ValueError when it is not a valid field."""
    if field == "*" or re.fullmatch(r"[a-z,\-]+", field.lower()):
        return field.lower()
    days: list[int] = []
    for part in field.split(","):
        m = re.fullmatch(r"(\*|(\d)(?:-(\d))?)(?:/(\d))?", part)
        if m is None:
            raise ValueError(f"day of week {field!r}")
        start, end = (0, 6) if m.group(1) == "*" else (int(m.group(2)), int(m.group(3) or -1))
        if end < 0:
            end = 6 if m.group(4) else start
        if start > 7 or end > 7 or start > end:
            raise ValueError(f"day of week {field!r}")
        days.extend(d % 7 for d in range(start, end + 1, int(m.group(4) or 1)))
    return ",".join(_WEEKDAYS[d] for d in sorted(set(days)))


@dataclass(frozen=True, slots=True)
class Cadence:
    """One schedule (every cluster job uses the config's ``schedule``)."""

    interval_seconds: int | None
    cron: str | None

    @classmethod
    def of(cls, schedule: ScheduleSettings) -> Cadence:
        cadence = cls(interval_seconds=schedule.interval_seconds, cron=schedule.cron)
        cadence.trigger()  # a bad cron expression fails at start, naming the key
        return cadence

    def _cron(self, *, jitter: int | None) -> CronTrigger:
        assert self.cron is not None
        fields = self.cron.split()
        try:
            return CronTrigger(
                minute=fields[0],
                hour=fields[1],
                day=fields[2],
                month=fields[3],
                day_of_week=crontab_weekdays(fields[4]),
                timezone=UTC,
                jitter=jitter,
            )
        except (ValueError, IndexError) as e:
            raise ConfigError(f"schedule.cron {self.cron!r}: {e}") from e

    def period(self, now: datetime) -> timedelta:
        """The interval, or for cron the gap between its next two fire times after ``now``."""
        if self.interval_seconds is not None:
            return timedelta(seconds=self.interval_seconds)
        trigger = self._cron(jitter=None)
        first = trigger.get_next_fire_time(None, now)
        second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
        if first is None or second is None:
            return timedelta(days=366)
        return second - first  # type: ignore[no-any-return]

    def jitter_seconds(self, now: datetime) -> int:
        return min(MAX_JITTER, int(self.period(now).total_seconds()) // 10)

    def grace_seconds(self, now: datetime) -> int:
        return max(1, int(self.period(now).total_seconds()) // 2)

    def trigger(self, now: datetime | None = None) -> BaseTrigger:
        now = now or datetime.now(UTC)
        jitter = self.jitter_seconds(now) if self.cron is None else None
        if self.interval_seconds is None:
            return self._cron(jitter=self.jitter_seconds(now) or None)
        return IntervalTrigger(
            seconds=self.interval_seconds, start_date=EPOCH, timezone=UTC, jitter=jitter or None
        )

    def missed(self, since: datetime, now: datetime, *, limit: int) -> int:
        """How many scheduled times fall in (``since``, ``now``], counted up to ``limit``
        (readiness: a job that missed several of its ticks is stuck)."""
        if self.interval_seconds is not None:
            periods = (self.slot(now) - self.slot(since)) // timedelta(
                seconds=self.interval_seconds
            )
            return min(limit, periods)
        trigger = self._cron(jitter=None)
        count = 0
        fire = trigger.get_next_fire_time(None, since + timedelta(seconds=1))
        while fire is not None and fire <= now and count < limit:
            count += 1
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
        return count

    def slot(self, now: datetime) -> datetime:
        """The scheduled time the tick running at ``now`` belongs to (the latest fire time
        at or before ``now``, without jitter); ``now`` to the second when there is none."""
        if self.interval_seconds is not None:
            elapsed = (now - EPOCH) // timedelta(seconds=self.interval_seconds)
            return EPOCH + elapsed * timedelta(seconds=self.interval_seconds)
        trigger = self._cron(jitter=None)
        latest = None
        fire = trigger.get_next_fire_time(None, now - self.period(now) - timedelta(seconds=1))
        while fire is not None and fire <= now:
            latest = fire
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
        return latest or now.replace(microsecond=0)
