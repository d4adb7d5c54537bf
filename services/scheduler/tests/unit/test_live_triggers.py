"""The trigger maths of live programs (``domain.live_triggers``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from callcast_scheduler.domain.live_triggers import attribute_date, due_triggers, trigger_time

pytestmark = pytest.mark.unit


def test_a_date_attribute_value_is_a_date_or_the_date_of_a_date_time() -> None:
    assert str(attribute_date("2026-03-29")) == "2026-03-29"
    assert str(attribute_date("2026-03-29T23:30:00Z")) == "2026-03-29"
    for bad in (None, 20260329, "", "29/03/2026", "2026-02-30", "soon"):
        assert attribute_date(bad) is None


def test_the_default_time_is_ten_in_the_programs_zone_across_a_dst_change() -> None:
    trigger = {"attributeName": "renewal_date"}
    # Paris: CET (+1) the day before the change, CEST (+2) on the day of it.
    assert trigger_time("2026-03-28", trigger, "Europe/Paris") == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    assert trigger_time("2026-03-29", trigger, "Europe/Paris") == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)


def test_offset_days_and_time_of_day_move_the_trigger() -> None:
    trigger = {"attributeName": "due", "offsetDays": -3, "time": {"hour": 18, "minute": 45}}
    assert trigger_time("2026-06-10", trigger, "Africa/Casablanca") == datetime(2026, 6, 7, 17, 45, tzinfo=UTC)


def test_a_wall_time_that_dst_skips_is_never_early() -> None:
    trigger = {"attributeName": "due", "time": {"hour": 2, "minute": 30}}  # 02:30 does not exist that day
    at = trigger_time("2026-03-29", trigger, "Europe/Paris")
    assert at is not None
    assert at >= datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST, when 02:30 would have come


def test_only_triggers_still_to_come_and_before_stop_at_are_due() -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    contacts = [
        ("past", "+1", "2026-05-31"),
        ("today-later", "+2", "2026-06-01"),  # 10:00 UTC: two hours ago
        ("tomorrow", "+3", "2026-06-02"),
        ("after-stop", "+4", "2026-06-20"),
        ("none", "+5", None),
    ]
    trigger = {"attributeName": "d", "time": {"hour": 15, "minute": 0}}
    due = due_triggers(contacts, trigger, "UTC", not_before=now, stop_at=now + timedelta(days=10))
    assert [c for c, _, _ in due] == ["today-later", "tomorrow"]
