"""The one clock every rule reads, and turning instants into the user's local dates.

Usage (the service builds one `Clock` from the settings and passes it down):

    clock = Clock.frozen_at(settings.now) if settings.now else Clock()
    today = clock.today(zone)                     # the user's local date
    zone = user_zone(settings.time_zone, calendar_time_zone)
    local_date(instant, zone) -> date             # DST-correct via zoneinfo
    within_reach(instant) -> bool                 # in the years every rule can compute with

Rules never call `datetime.now()` themselves; they take `now` or a `Clock`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.errors import ConfigurationError

UTC = dt.UTC
# The years Followthrough computes with. Outside them a date is a placeholder (0001-01-01 from
# an import, 9999-12-31 for "never") and adding a grace period or a cadence can overflow.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=UTC)


def ensure_aware(instant: dt.datetime, *, what: str = "instant") -> dt.datetime:
    """Return `instant` in UTC; a naive datetime is refused because its zone would be a guess."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ConfigurationError(
            f"{what} {instant.isoformat()} has no UTC offset; give it as e.g. 2026-11-20T15:00:00Z"
        )
    return instant.astimezone(UTC)


def within_reach(instant: dt.datetime) -> bool:
    """True when `instant` lies between EARLIEST and LATEST (absolute time, so any offset)."""
    try:
        return EARLIEST <= ensure_aware(instant) < LATEST
    except OverflowError:  # its offset puts it outside the years a datetime holds
        return False


@dataclass(frozen=True)
class Clock:
    """The current time: the system's, or frozen at one instant (FOLLOWTHROUGH_NOW).

    A frozen clock lets the demo and the tests step through weeks in seconds.
    """

    frozen: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.frozen is not None:
            object.__setattr__(self, "frozen", ensure_aware(self.frozen, what="FOLLOWTHROUGH_NOW"))

    @classmethod
    def frozen_at(cls, instant: dt.datetime) -> Clock:
        """A clock that always answers `instant` (must be timezone-aware)."""
        return cls(frozen=instant)

    def now(self) -> dt.datetime:
        """The current instant, timezone-aware in UTC."""
        if self.frozen is not None:
            return self.frozen
        return dt.datetime.now(UTC)

    def today(self, zone: dt.tzinfo) -> dt.date:
        """Today's date in `zone` (the user's time zone)."""
        return local_date(self.now(), zone)


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone `name`; ConfigurationError when no such zone exists."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin"
        ) from exc


def user_zone(setting: str | None, calendar_zone: str | None) -> ZoneInfo:
    """The user's zone: the setting wins, else the calendar's, else UTC.

    A bad setting is the user's to fix (ConfigurationError); a calendar zone we cannot
    resolve falls back to UTC rather than stopping the service.
    """
    if setting:
        return zone_named(setting)
    if calendar_zone:
        try:
            return zone_named(calendar_zone)
        except ConfigurationError:
            return ZoneInfo("UTC")
    return ZoneInfo("UTC")


def local_date(instant: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The calendar date of `instant` as seen in `zone`."""
    return ensure_aware(instant).astimezone(zone).date()


def local_days_after(instant: dt.datetime, days: int, zone: dt.tzinfo) -> dt.date:
    """The local date `days` calendar days after the local date of `instant` (not 24h steps)."""
    return local_date(instant, zone) + dt.timedelta(days=days)
