"""Pause windows: bad input names its field, the normal form is canonical, and the schedule reads
weekly windows on the zone's wall clock across DST changes (Europe/Paris, Africa/Casablanca)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcast_runtime.errors import ValidationFailed
from callcast_scheduler.domain.windows import PauseSchedule, normalize_pause_windows

pytestmark = pytest.mark.unit

PARIS = ZoneInfo("Europe/Paris")
CASABLANCA = ZoneInfo("Africa/Casablanca")


def hm(hour: int, minute: int = 0) -> dict[str, int]:
    return {"hour": hour, "minute": minute}


def item(start: tuple[int, int], end: tuple[int, int]) -> dict[str, Any]:
    return {"startAt": hm(*start), "endAt": hm(*end)}


def z(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def errors_of(raw: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as exc:
        normalize_pause_windows(raw)
    return exc.value.field_errors


M0 = "pauseWindows.monday[0]"
A0 = "pauseWindows.advanced[0]"
XMAS = "2025-12-24T18:00:00Z"


# -- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ([], "pauseWindows"),
        ({"funday": []}, "pauseWindows.funday"),
        ({"monday": {}}, "pauseWindows.monday"),
        ({"monday": ["x"]}, M0),
        ({"monday": [{"startAt": hm(9)}]}, M0 + ".endAt"),
        ({"monday": [{**item((9, 0), (10, 0)), "label": "x"}]}, M0 + ".label"),
        ({"monday": [item((9, 0), (24, 0))]}, M0 + ".endAt.hour"),
        ({"monday": [item((9, 60), (10, 0))]}, M0 + ".startAt.minute"),
        (
            {"monday": [{"startAt": {"hour": True, "minute": 0}, "endAt": hm(10)}]},
            M0 + ".startAt.hour",
        ),
        ({"monday": [{"startAt": {"hour": 9}, "endAt": hm(10)}]}, M0 + ".startAt.minute"),
        (
            {"monday": [{"startAt": {"hour": 9, "minute": 0, "second": 1}, "endAt": hm(10)}]},
            M0 + ".startAt.second",
        ),
        ({"tuesday": [item((9, 0), (10, 0)), item((11, 0), (11, 0))]}, "pauseWindows.tuesday[1].endAt"),
        ({"monday": [{"startAt": "09:00", "endAt": hm(10)}]}, M0 + ".startAt"),
        (
            {"advanced": [{"startAt": "2025-12-24T18:00:00", "endAt": "2025-12-26T08:00:00Z"}]},
            A0 + ".startAt",
        ),
        ({"advanced": [{"startAt": XMAS, "endAt": "tomorrow"}]}, A0 + ".endAt"),
        (
            {"advanced": [{"startAt": XMAS, "endAt": "2025-12-24T19:00:00+01:00"}]},
            A0 + ".endAt",
        ),
        ({"advanced": [{"startAt": XMAS, "endAt": 1735000000}]}, A0 + ".endAt"),
        ({"advanced": [{"startAt": XMAS}]}, A0 + ".endAt"),
        ({"advanced": {"startAt": XMAS}}, "pauseWindows.advanced"),
        ({"monday": [item((9, 0), (10, 0))] * 49}, "pauseWindows.monday"),
    ],
)
def test_invalid_pause_windows_name_the_field(raw: Any, field: str) -> None:
    assert field in errors_of(raw)


def test_every_error_of_the_document_is_reported_at_once() -> None:
    raw = {"monday": [item((9, 0), (9, 0))], "friday": [{"startAt": hm(25), "endAt": hm(1)}], "extra": 1}
    assert set(errors_of(raw)) == {
        M0 + ".endAt",
        "pauseWindows.friday[0].startAt.hour",
        "pauseWindows.extra",
    }


def test_error_details_carry_a_code_per_field() -> None:
    with pytest.raises(ValidationFailed) as exc:
        normalize_pause_windows({"monday": [item((9, 0), (9, 0))], "nope": []})
    assert exc.value.field_details[M0 + ".endAt"][0]["code"] == "invalid"
    assert exc.value.field_details["pauseWindows.nope"][0]["code"] == "unknownField"
    assert exc.value.status_code == 400
    assert exc.value.code == "VALIDATION_FAILED"


def test_windows_covering_the_whole_week_are_rejected() -> None:
    whole_days = {
        day: [item((0, 0), (12, 0)), item((12, 0), (0, 0))]
        for day in ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
    }
    assert "pauseWindows" in errors_of(whole_days)
    # Overnight items that chain around the week, Saturday into Sunday included, count too.
    chained = {day: [item((0, 0), (0, 1)), item((0, 1), (0, 0))] for day in whole_days}
    assert "pauseWindows" in errors_of(chained)
    one_minute_free = {**whole_days, "wednesday": [item((0, 0), (12, 0)), item((12, 1), (0, 0))]}
    assert normalize_pause_windows(one_minute_free) is not None


# -- normal form --------------------------------------------------------------------------------
def test_absent_windows_are_none_and_null_days_count_as_absent() -> None:
    assert normalize_pause_windows(None) is None
    assert normalize_pause_windows({}) == {}
    assert normalize_pause_windows({"monday": None, "advanced": None, "tuesday": []}) == {}


def test_normal_form_sorts_dedupes_and_writes_instants_in_utc() -> None:
    raw = {
        "friday": [item((14, 0), (15, 0)), item((12, 0), (13, 0)), item((14, 0), (15, 0))],
        "sunday": [item((22, 0), (6, 0))],
        "advanced": [
            {"startAt": "2025-12-31T23:00:00+01:00", "endAt": "2026-01-01T12:00:00+01:00"},
            {"startAt": XMAS, "endAt": "2025-12-26T08:00:00Z"},
        ],
    }
    norm = normalize_pause_windows(raw)
    assert norm == {
        "sunday": [item((22, 0), (6, 0))],
        "friday": [item((12, 0), (13, 0)), item((14, 0), (15, 0))],
        "advanced": [
            {"startAt": XMAS, "endAt": "2025-12-26T08:00:00Z"},
            {"startAt": "2025-12-31T22:00:00Z", "endAt": "2026-01-01T11:00:00Z"},
        ],
    }
    assert list(norm) == ["sunday", "friday", "advanced"]
    assert normalize_pause_windows(norm) == norm


# -- the schedule: plain weeks, chaining --------------------------------------------------------
def sched(windows: dict[str, Any], tz: str = "Europe/Paris") -> PauseSchedule:
    return PauseSchedule.from_windows(windows, tz)


def test_a_lunch_window_pauses_its_hours_in_the_zone() -> None:
    s = sched({"monday": [item((12, 0), (14, 0))]})
    monday = datetime(2025, 6, 2, tzinfo=PARIS)
    assert not s.is_paused(monday.replace(hour=11, minute=59))
    assert s.is_paused(monday.replace(hour=12))
    assert s.is_paused(monday.replace(hour=13, minute=59, second=59))
    assert not s.is_paused(monday.replace(hour=14))
    assert s.next_open(monday.replace(hour=12, minute=30)) == monday.replace(hour=14)
    assert s.next_pause(monday.replace(hour=9)) == monday.replace(hour=12)
    # After Monday's window the next one is a week later.
    assert s.next_pause(monday.replace(hour=14)) == monday.replace(hour=12) + timedelta(days=7)


def test_next_open_of_an_open_instant_is_that_instant() -> None:
    s = sched({"monday": [item((12, 0), (14, 0))]})
    at = datetime(2025, 6, 2, 9, 17, 3, 5, tzinfo=PARIS)
    assert s.next_open(at) is at


def test_an_item_ending_before_it_starts_runs_past_midnight() -> None:
    s = sched({"friday": [item((22, 0), (6, 0))]})
    friday = datetime(2025, 6, 6, tzinfo=PARIS)
    assert s.is_paused(friday.replace(hour=23))
    assert s.is_paused(friday.replace(hour=5, minute=59) + timedelta(days=1))
    assert not s.is_paused(friday.replace(hour=3))  # Friday's own small hours are Thursday's item's
    assert s.next_open(friday.replace(hour=22, minute=30)) == friday.replace(hour=6) + timedelta(days=1)


def test_an_item_ending_at_midnight_ends_at_the_next_day_start() -> None:
    s = sched({"friday": [item((18, 0), (0, 0))]})
    friday = datetime(2025, 6, 6, tzinfo=PARIS)
    assert s.next_open(friday.replace(hour=19)) == datetime(2025, 6, 7, tzinfo=PARIS)


def test_adjacent_and_overlapping_items_chain_into_one_window() -> None:
    s = sched({"monday": [item((12, 0), (13, 0)), item((13, 0), (14, 0)), item((13, 30), (15, 0))]})
    monday = datetime(2025, 6, 2, tzinfo=PARIS)
    assert s.next_open(monday.replace(hour=12, minute=10)) == monday.replace(hour=15)


def test_windows_chain_across_the_end_of_the_week() -> None:
    s = sched(
        {
            "saturday": [item((20, 0), (2, 0))],
            "sunday": [item((1, 0), (9, 0)), item((21, 0), (0, 0))],
            "monday": [item((0, 0), (7, 30))],
        }
    )
    saturday = datetime(2025, 6, 7, 21, tzinfo=PARIS)
    assert s.next_open(saturday) == datetime(2025, 6, 8, 9, tzinfo=PARIS)
    assert s.next_open(datetime(2025, 6, 8, 22, tzinfo=PARIS)) == datetime(2025, 6, 9, 7, 30, tzinfo=PARIS)
    assert s.next_pause(datetime(2025, 6, 8, 10, tzinfo=PARIS)) == datetime(2025, 6, 8, 21, tzinfo=PARIS)


def test_weekly_and_advanced_windows_chain() -> None:
    windows = {
        "monday": [item((12, 0), (14, 0)), item((15, 30), (17, 0))],
        "advanced": [{"startAt": "2025-06-02T13:00:00+02:00", "endAt": "2025-06-02T16:00:00+02:00"}],
    }
    s = sched(windows)
    assert s.next_open(datetime(2025, 6, 2, 12, 10, tzinfo=PARIS)) == datetime(2025, 6, 2, 17, tzinfo=PARIS)
    # A week later the advanced item is gone: the gap between the weekly items is open.
    assert s.next_open(datetime(2025, 6, 9, 12, 10, tzinfo=PARIS)) == datetime(2025, 6, 9, 14, tzinfo=PARIS)


def test_a_holiday_spanning_days_swallows_the_weekly_windows_inside_it() -> None:
    windows = {
        "monday": [item((12, 0), (14, 0))],
        "wednesday": [item((18, 0), (9, 0))],
        "advanced": [{"startAt": "2025-12-24T12:00:00Z", "endAt": "2025-12-26T07:00:00Z"}],
    }
    s = sched(windows, "UTC")
    # Dec 24 2025 is a Wednesday: its overnight item ends Thursday 09:00, inside the holiday.
    assert s.next_open(z(2025, 12, 24, 13)) == z(2025, 12, 26, 7)
    assert s.next_pause(z(2025, 12, 24, 13)) == z(2025, 12, 29, 12)


def test_next_pause_is_none_when_no_window_lies_ahead() -> None:
    assert sched({}).next_pause(z(2025, 1, 1)) is None
    adv = sched({"advanced": [{"startAt": "2025-01-01T10:00:00Z", "endAt": "2025-01-01T11:00:00Z"}]}, "UTC")
    assert adv.next_pause(z(2025, 1, 1, 9)) == z(2025, 1, 1, 10)
    assert adv.next_pause(z(2025, 1, 1, 10, 30)) is None
    assert adv.next_open(z(2025, 1, 1, 10, 30)) == z(2025, 1, 1, 11)


def test_instants_keep_the_callers_timezone() -> None:
    s = sched({"monday": [item((12, 0), (14, 0))]})
    at = datetime(2025, 6, 2, 10, 30, tzinfo=UTC)  # 12:30 in Paris
    assert s.next_open(at) == z(2025, 6, 2, 12)
    assert s.next_open(at).tzinfo is UTC


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sched({}).is_paused(datetime(2025, 1, 1))


# -- Europe/Paris DST: spring forward 2025-03-30 02:00 CET -> 03:00 CEST (01:00Z) ----------------
def test_paris_spring_forward_window_starting_in_the_gap_starts_when_the_clock_jumps() -> None:
    s = sched({"sunday": [item((2, 30), (4, 0))]})
    assert s.next_pause(z(2025, 3, 29, 23)) == z(2025, 3, 30, 1)  # 03:00 CEST
    assert not s.is_paused(z(2025, 3, 30, 0, 59, 59))
    assert s.is_paused(z(2025, 3, 30, 1))
    assert s.next_open(z(2025, 3, 30, 1)) == z(2025, 3, 30, 2)  # 04:00 CEST
    # The Sunday before, the same wall-clock window was 90 minutes long.
    assert s.next_pause(z(2025, 3, 22)) == z(2025, 3, 23, 1, 30)
    assert s.next_open(z(2025, 3, 23, 1, 30)) == z(2025, 3, 23, 3)


def test_paris_spring_forward_window_ending_in_the_gap_ends_when_the_clock_jumps() -> None:
    s = sched({"sunday": [item((1, 0), (2, 30))]})
    assert s.next_open(z(2025, 3, 30, 0, 10)) == z(2025, 3, 30, 1)  # 03:00 CEST, one real hour
    assert not s.is_paused(z(2025, 3, 30, 1))


def test_paris_window_made_of_missing_times_is_empty_on_the_spring_forward_day() -> None:
    s = sched({"sunday": [item((2, 10), (2, 50))]})
    day = z(2025, 3, 30)
    assert not any(s.is_paused(day + timedelta(minutes=m)) for m in range(0, 24 * 60))
    assert s.next_pause(z(2025, 3, 29)) == datetime(2025, 4, 6, 2, 10, tzinfo=PARIS)


def test_paris_overnight_window_across_spring_forward_is_an_hour_shorter() -> None:
    s = sched({"saturday": [item((22, 0), (8, 0))]})
    start = s.next_pause(z(2025, 3, 29, 12))
    assert start == datetime(2025, 3, 29, 22, tzinfo=PARIS)
    assert s.next_open(start) == datetime(2025, 3, 30, 8, tzinfo=PARIS)
    assert s.next_open(start) - start == timedelta(hours=9)


# -- Europe/Paris DST: fall back 2025-10-26 03:00 CEST -> 02:00 CET (01:00Z) ---------------------
def test_paris_fall_back_window_over_the_repeated_hour_pauses_both_passes() -> None:
    s = sched({"sunday": [item((2, 30), (2, 45))]})
    assert s.next_pause(z(2025, 10, 25, 12)) == z(2025, 10, 26, 0, 30)  # 02:30 CEST
    assert s.next_open(z(2025, 10, 26, 0, 30)) == z(2025, 10, 26, 0, 45)
    assert s.next_pause(z(2025, 10, 26, 0, 45)) == z(2025, 10, 26, 1, 30)  # 02:30 CET
    assert s.next_open(z(2025, 10, 26, 1, 30)) == z(2025, 10, 26, 1, 45)


def test_paris_fall_back_window_from_before_the_fold_is_wall_clock() -> None:
    s = sched({"sunday": [item((1, 30), (2, 30))]})
    # 01:30-02:30 CEST, then 02:30-02:59 CEST reads outside, then 02:00-02:30 CET inside again.
    assert s.next_pause(z(2025, 10, 25, 12)) == z(2025, 10, 25, 23, 30)
    assert s.next_open(z(2025, 10, 25, 23, 30)) == z(2025, 10, 26, 0, 30)
    assert not s.is_paused(z(2025, 10, 26, 0, 45))
    assert s.next_pause(z(2025, 10, 26, 0, 30)) == z(2025, 10, 26, 1)
    assert s.next_open(z(2025, 10, 26, 1)) == z(2025, 10, 26, 1, 30)


def test_paris_overnight_window_across_fall_back_is_an_hour_longer() -> None:
    s = sched({"saturday": [item((22, 0), (8, 0))]})
    start = datetime(2025, 10, 25, 22, tzinfo=PARIS)
    assert s.is_paused(start)
    assert s.next_open(start) == datetime(2025, 10, 26, 8, tzinfo=PARIS)
    assert s.next_open(start).astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=11)


# -- Africa/Casablanca: Ramadan 2026, 2026-02-15 03:00 -> 02:00 (+01 -> +00, 02:00Z) and
# -- 2026-03-22 02:00 -> 03:00 (+00 -> +01, 02:00Z) ---------------------------------------------
def test_casablanca_zone_data_has_the_ramadan_changes_these_tests_rely_on() -> None:
    assert datetime(2026, 2, 15, 1, 59, tzinfo=UTC).astimezone(CASABLANCA).utcoffset() == timedelta(hours=1)
    assert datetime(2026, 2, 15, 2, tzinfo=UTC).astimezone(CASABLANCA).utcoffset() == timedelta(0)
    assert datetime(2026, 3, 22, 1, 59, tzinfo=UTC).astimezone(CASABLANCA).utcoffset() == timedelta(0)
    assert datetime(2026, 3, 22, 2, tzinfo=UTC).astimezone(CASABLANCA).utcoffset() == timedelta(hours=1)


def test_casablanca_lunch_window_follows_the_wall_clock_through_ramadan() -> None:
    s = sched({"monday": [item((12, 0), (14, 0))]}, "Africa/Casablanca")
    assert s.next_pause(z(2026, 2, 9)) == z(2026, 2, 9, 11)  # +01 before Ramadan
    assert s.next_pause(z(2026, 2, 16)) == z(2026, 2, 16, 12)  # +00 during
    assert s.next_open(z(2026, 2, 16, 12)) == z(2026, 2, 16, 14)
    assert s.next_pause(z(2026, 3, 23)) == z(2026, 3, 23, 11)  # +01 again after


def test_casablanca_window_over_the_repeated_hour_at_ramadan_start_pauses_both_passes() -> None:
    s = sched({"sunday": [item((2, 15), (2, 45))]}, "Africa/Casablanca")
    assert s.next_pause(z(2026, 2, 14)) == z(2026, 2, 15, 1, 15)
    assert s.next_open(z(2026, 2, 15, 1, 15)) == z(2026, 2, 15, 1, 45)
    assert s.next_pause(z(2026, 2, 15, 1, 45)) == z(2026, 2, 15, 2, 15)
    assert s.next_open(z(2026, 2, 15, 2, 15)) == z(2026, 2, 15, 2, 45)


def test_casablanca_window_in_the_gap_at_ramadan_end_is_empty_that_day() -> None:
    s = sched({"sunday": [item((2, 15), (2, 45))]}, "Africa/Casablanca")
    assert s.next_pause(z(2026, 3, 21)) == datetime(2026, 3, 29, 2, 15, tzinfo=CASABLANCA)


def test_casablanca_overnight_window_across_both_changes() -> None:
    s = sched({"saturday": [item((22, 0), (6, 0))]}, "Africa/Casablanca")
    # Aware datetimes sharing a tzinfo subtract as wall clocks: compare in UTC.
    start = datetime(2026, 2, 14, 22, tzinfo=CASABLANCA).astimezone(UTC)
    assert s.next_open(start) - start == timedelta(hours=9)
    start = datetime(2026, 3, 21, 22, tzinfo=CASABLANCA).astimezone(UTC)
    assert s.next_open(start) - start == timedelta(hours=7)
