"""Pause-window properties on random window sets, zones and instants around DST changes: the
schedule agrees with a brute-force wall-clock reference minute by minute, ``next_open`` never
answers a paused instant, and ``calling_gate`` is never OPEN inside a window or after stopAt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from callcast_runtime.errors import ValidationFailed
from callcast_scheduler.domain.calling_gate import GateState, calling_gate
from callcast_scheduler.domain.windows import WEEKDAYS, PauseSchedule, normalize_pause_windows

pytestmark = pytest.mark.unit

#: Zones with hour DST changes (two per year, Casablanca's around Ramadan), a 30-minute one
#: (Lord Howe), a southern-hemisphere one and none.
ZONES = ["Europe/Paris", "Africa/Casablanca", "America/New_York", "Australia/Lord_Howe", "Australia/Sydney", "UTC"]
LO = datetime(2025, 1, 1, tzinfo=UTC)
HI = datetime(2026, 12, 31, tzinfo=UTC)
#: DST changes of the zones above in 2025-2026, so that examples land on them often.
CHANGES = [
    datetime(2025, 2, 23, 2, tzinfo=UTC), datetime(2025, 4, 6, 2, tzinfo=UTC),
    datetime(2026, 2, 15, 2, tzinfo=UTC), datetime(2026, 3, 22, 2, tzinfo=UTC),
    datetime(2025, 3, 30, 1, tzinfo=UTC), datetime(2025, 10, 26, 1, tzinfo=UTC),
    datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2025, 3, 9, 7, tzinfo=UTC), datetime(2025, 11, 2, 6, tzinfo=UTC),
    datetime(2025, 4, 5, 15, tzinfo=UTC), datetime(2025, 10, 4, 15, 30, tzinfo=UTC),
]  # fmt: skip

# Hours near the DST changes (01:00-03:00) are drawn more often than the others.
hours = st.one_of(st.integers(0, 23), st.sampled_from([1, 2, 3]))
minutes = st.one_of(st.sampled_from([0, 15, 30, 45]), st.integers(0, 59))
times = st.fixed_dictionaries({"hour": hours, "minute": minutes})
weekly_item = st.fixed_dictionaries({"startAt": times, "endAt": times}).filter(lambda i: i["startAt"] != i["endAt"])


def instants(lo: datetime = LO, hi: datetime = HI) -> st.SearchStrategy[datetime]:
    anywhere = st.integers(0, int((hi - lo).total_seconds())).map(lambda s: lo + timedelta(seconds=s))
    near_change = st.tuples(st.sampled_from(CHANGES), st.integers(-3 * 86400, 3 * 86400)).map(
        lambda p: p[0] + timedelta(seconds=p[1])
    )
    return st.one_of(anywhere, near_change)


@st.composite
def advanced_items(draw: st.DrawFn) -> dict[str, str]:
    start = draw(instants()).replace(second=0)
    length = draw(st.integers(1, 3 * 24 * 60))
    return {"startAt": start.isoformat(), "endAt": (start + timedelta(minutes=length)).isoformat()}


@st.composite
def window_sets(draw: st.DrawFn) -> dict[str, Any]:
    days = draw(st.lists(st.sampled_from(WEEKDAYS), unique=True, max_size=7))
    raw: dict[str, Any] = {d: draw(st.lists(weekly_item, min_size=1, max_size=3)) for d in days}
    adv = draw(st.lists(advanced_items(), max_size=3))
    if adv:
        raw["advanced"] = adv
    return raw


@st.composite
def schedules(draw: st.DrawFn) -> tuple[dict[str, Any], str, PauseSchedule]:
    raw, tz = draw(window_sets()), draw(st.sampled_from(ZONES))
    try:
        return raw, tz, PauseSchedule.from_windows(raw, tz)
    except ValidationFailed:
        assume(False)  # the whole week covered: rejected, tested in test_windows
        raise


def reference_is_paused(raw: dict[str, Any], tz: str, t: datetime) -> bool:
    """Straight from the rules: the wall clock shows a time inside an item of its day, or inside
    the overnight tail of yesterday's item; or ``t`` lies in an advanced range."""
    for item in raw.get("advanced", []):
        if datetime.fromisoformat(item["startAt"]) <= t < datetime.fromisoformat(item["endAt"]):
            return True
    wall = t.astimezone(ZoneInfo(tz))
    now = wall.hour * 60 + wall.minute + wall.second / 60
    today, yesterday = WEEKDAYS[wall.weekday()], WEEKDAYS[(wall.weekday() - 1) % 7]
    for day in (today, yesterday):
        for item in raw.get(day, []):
            s = item["startAt"]["hour"] * 60 + item["startAt"]["minute"]
            e = item["endAt"]["hour"] * 60 + item["endAt"]["minute"]
            if day == today and s <= now < (e if e > s else 24 * 60):
                return True
            if day == yesterday and e < s and now < e:
                return True
    return False


@settings(max_examples=40, deadline=None)
@given(schedules(), instants())
def test_schedule_agrees_with_the_wall_clock_reference_minute_by_minute_over_a_week(
    case: tuple[dict[str, Any], str, PauseSchedule], start: datetime
) -> None:
    raw, tz, s = case
    t0 = start.replace(second=0)
    # Walk the week by the schedule's own transitions and compare each minute with the reference:
    # this checks is_paused, next_open and next_pause together.
    t, paused = t0, s.is_paused(t0)
    end = t0 + timedelta(days=7)
    while t < end:
        change: datetime | None
        if paused:
            opened = s.next_open(t)
            assert opened > t
            change = opened
        else:
            change = s.next_pause(t)
            assert change is None or change > t
        stop = end if change is None else min(change, end)
        while t < stop:
            assert s.is_paused(t) == paused == reference_is_paused(raw, tz, t), t
            t += timedelta(minutes=1)
        t, paused = stop, not paused
        if stop == end:
            break


@settings(max_examples=200, deadline=None)
@given(schedules(), instants(), st.floats(0, 1, exclude_max=True))
def test_next_open_is_never_earlier_than_asked_and_never_paused(
    case: tuple[dict[str, Any], str, PauseSchedule], at: datetime, fraction: float
) -> None:
    _, _, s = case
    opened = s.next_open(at)
    assert opened >= at
    assert not s.is_paused(opened)
    assert s.is_paused(at) == (opened > at)
    # Every instant before it is paused (no earlier opening was skipped).
    if opened > at:
        span = (opened - at) // timedelta(microseconds=1)
        inside = at + timedelta(microseconds=min(int(span * fraction), span - 1))
        assert s.is_paused(inside)


@settings(max_examples=200, deadline=None)
@given(schedules(), instants())
def test_next_pause_starts_a_window_after_an_open_stretch(
    case: tuple[dict[str, Any], str, PauseSchedule], at: datetime
) -> None:
    _, _, s = case
    starts = s.next_pause(at)
    if starts is None:
        assert not any(s.is_paused(s.next_open(at) + timedelta(hours=h)) for h in range(0, 24 * 15))
        return
    assert starts > at or (starts == at and s.is_paused(at))
    assert s.is_paused(starts)
    assert not s.is_paused(starts - timedelta(microseconds=1))


@settings(max_examples=100, deadline=None)
@given(window_sets())
def test_normal_form_is_idempotent(raw: dict[str, Any]) -> None:
    try:
        norm = normalize_pause_windows(raw)
    except ValidationFailed:
        return
    assert normalize_pause_windows(norm) == norm


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.none(), schedules()),
    instants(),
    st.one_of(st.none(), instants()),
    st.one_of(st.none(), instants()),
)
def test_calling_gate_is_never_open_inside_a_window_or_outside_the_period(
    case: tuple[dict[str, Any], str, PauseSchedule] | None,
    now: datetime,
    start_at: datetime | None,
    stop_at: datetime | None,
) -> None:
    s = case[2] if case else None
    gate = calling_gate(now, start_at=start_at, stop_at=stop_at, schedule=s)
    paused = s is not None and s.is_paused(now)
    stopped = stop_at is not None and now >= stop_at
    early = start_at is not None and now < start_at
    assert (gate.state is GateState.OPEN) == (not paused and not stopped and not early)
    assert (gate.state is GateState.STOPPED) == stopped
    if gate.state is GateState.STOPPED:
        assert gate.until is None
    else:
        assert gate.until is None or gate.until > now
    if gate.state is GateState.OPEN and gate.until is not None:
        # Open up to `until`, and `until` is a real change (a window starts, or stopAt).
        assert not s or not s.is_paused(gate.until - timedelta(microseconds=1))
        nxt = calling_gate(gate.until, start_at=start_at, stop_at=stop_at, schedule=s)
        assert nxt.state is not GateState.OPEN
    if gate.state is GateState.PAUSED_WINDOW:
        assert s is not None
        assert gate.until is not None
        nxt = calling_gate(gate.until, start_at=start_at, stop_at=stop_at, schedule=s)
        assert nxt.state in (GateState.OPEN, GateState.STOPPED)
