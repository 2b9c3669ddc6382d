"""The clock and local dates, across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from connectors.errors import ConfigurationError
from tests.workflows.rules.builders import BERLIN, NEW_YORK
from workflows.rules.clock import (
    Clock,
    ensure_aware,
    local_date,
    local_days_after,
    user_zone,
)


def test_a_frozen_clock_answers_the_frozen_instant_in_utc() -> None:
    clock = Clock.frozen_at(dt.datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    assert clock.now() == dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    assert clock.now().utcoffset() == dt.timedelta(0)


def test_a_frozen_clock_answers_the_same_instant_every_time() -> None:
    clock = Clock.frozen_at(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    assert clock.now() == clock.now() == dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    assert clock.today(NEW_YORK) == dt.date(2026, 11, 20)


def test_the_system_clock_is_aware_and_current() -> None:
    before = dt.datetime.now(dt.UTC)
    assert before <= Clock().now() <= dt.datetime.now(dt.UTC)


def test_a_naive_frozen_instant_is_refused_with_the_fix() -> None:
    with pytest.raises(ConfigurationError, match="FOLLOWTHROUGH_NOW"):
        Clock.frozen_at(dt.datetime(2026, 11, 20, 9, 0))


def test_the_evening_in_new_york_is_already_tomorrow_in_utc() -> None:
    instant = dt.datetime(2026, 11, 21, 2, 30, tzinfo=dt.UTC)  # 21:30 on the 20th in New York
    assert local_date(instant, NEW_YORK) == dt.date(2026, 11, 20)
    assert Clock.frozen_at(instant).today(BERLIN) == dt.date(2026, 11, 21)


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        (NEW_YORK, dt.date(2026, 3, 8)),  # spring forward: a 23-hour day
        (NEW_YORK, dt.date(2026, 11, 1)),  # fall back: a 25-hour day
        (BERLIN, dt.date(2026, 3, 29)),
        (BERLIN, dt.date(2026, 10, 25)),
    ],
)
def test_days_are_calendar_days_across_dst(zone: ZoneInfo, day: dt.date) -> None:
    late_evening = dt.datetime.combine(day, dt.time(23, 30), tzinfo=zone).astimezone(dt.UTC)
    early_morning = dt.datetime.combine(day, dt.time(0, 30), tzinfo=zone).astimezone(dt.UTC)
    assert local_date(late_evening, zone) == local_date(early_morning, zone) == day
    assert local_days_after(late_evening, 1, zone) == day + dt.timedelta(days=1)
    assert local_days_after(early_morning, 1, zone) == day + dt.timedelta(days=1)


def test_a_local_date_is_the_users_whatever_the_machines_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        day = local_date(dt.datetime(2026, 11, 19, 23, 30, tzinfo=dt.UTC), BERLIN)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert day == dt.date(2026, 11, 20)


def test_today_is_the_date_in_the_users_zone() -> None:
    friday_evening_in_new_york = dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC)
    assert Clock.frozen_at(friday_evening_in_new_york).today(NEW_YORK) == dt.date(2026, 11, 20)


def test_an_instant_without_an_offset_is_refused_saying_what_it_is() -> None:
    class Floating(dt.tzinfo):
        def utcoffset(self, _: dt.datetime | None) -> None:
            return None

        def dst(self, _: dt.datetime | None) -> None:
            return None

        def tzname(self, _: dt.datetime | None) -> None:
            return None

    with pytest.raises(ConfigurationError, match=r"^instant 2026-11-20T15:00:00 has no UTC"):
        ensure_aware(dt.datetime(2026, 11, 20, 15, 0))
    with pytest.raises(ConfigurationError, match="has no UTC offset"):
        ensure_aware(dt.datetime(2026, 11, 20, 15, 0, tzinfo=Floating()))
    with pytest.raises(ConfigurationError, match=r"^FOLLOWTHROUGH_NOW 2026-11-20T15:00:00 has"):
        Clock.frozen_at(dt.datetime(2026, 11, 20, 15, 0))


def test_an_aware_instant_is_given_in_utc_whatever_the_machines_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        instant = ensure_aware(dt.datetime(2026, 11, 20, 16, 0, tzinfo=BERLIN))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert instant.isoformat() == "2026-11-20T15:00:00+00:00"


def test_user_zone_prefers_the_setting_then_the_calendar() -> None:
    assert user_zone("Europe/Berlin", "America/New_York") == BERLIN
    assert user_zone(None, "America/New_York") == NEW_YORK
    assert user_zone(None, "Not/AZone") == ZoneInfo("UTC")
    assert user_zone(None, None) == ZoneInfo("UTC")


def test_a_bad_time_zone_setting_says_what_to_use() -> None:
    with pytest.raises(ConfigurationError, match="IANA"):
        user_zone("Mars/Olympus", None)
