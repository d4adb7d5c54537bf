"""The completion forecast: exact on the simple cases, the same as a call-by-call simulation of
the dispatcher's rules, monotonic, and honest about the contacts ``stopAt`` will cut off."""

from __future__ import annotations

import bisect
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcast_scheduler.domain.forecast import Forecast, forecast
from callcast_scheduler.domain.windows import PauseSchedule

pytestmark = pytest.mark.unit

NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # a Monday


class Windows:
    """Pause windows as absolute [start, end) ranges, in seconds from NOW (a test double of
    PauseSchedule)."""

    def __init__(self, ranges: list[tuple[float, float]]) -> None:
        merged: list[tuple[float, float]] = []
        for s, e in sorted(r for r in ranges if r[1] > r[0]):
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        self.ranges = merged
        self.starts = [s for s, _ in merged]

    def _cover(self, t: float) -> tuple[float, float] | None:
        i = bisect.bisect_right(self.starts, t) - 1
        return self.ranges[i] if i >= 0 and self.ranges[i][1] > t else None

    def is_paused(self, at: datetime) -> bool:
        return self._cover((at - NOW).total_seconds()) is not None

    def next_open(self, at: datetime) -> datetime:
        cover = self._cover((at - NOW).total_seconds())
        return at if cover is None else NOW + timedelta(seconds=cover[1])

    def next_pause(self, at: datetime) -> datetime | None:
        t = (self.next_open(at) - NOW).total_seconds()
        i = bisect.bisect_right(self.starts, t)
        return NOW + timedelta(seconds=self.starts[i]) if i < len(self.starts) else None


def run(
    contacts: int,
    *,
    concurrency: int = 1,
    cps: float | None = None,
    seconds: float = 60,
    in_progress: int = 0,
    retries: list[datetime] | None = None,
    windows: Windows | PauseSchedule | None = None,
    stop_after: float | None = None,
    **extra: object,
) -> Forecast:
    return forecast(
        NOW,
        remaining_first_attempts=contacts,
        pending_retries=retries or [],
        in_progress=in_progress,
        concurrency=concurrency,
        calls_per_second=cps,
        mean_call_seconds=seconds,
        schedule=windows,
        stop_at=NOW + timedelta(seconds=stop_after) if stop_after is not None else None,
        **extra,  # type: ignore[arg-type]
    )


def seconds_until_done(f: Forecast) -> float:
    assert f.estimated_completion_at is not None
    return (f.estimated_completion_at - NOW).total_seconds()


def call_by_call(
    contacts: int, concurrency: int, cps: float | None, seconds: float, windows: Windows | None, stop: float
) -> tuple[float, int]:
    """The dispatcher's rules one call at a time: call k starts at the first open instant from
    max(start(k-1) + 1/cps, start(k-C) + D), never at or after stop."""
    gap = 1 / cps if cps else 0.0
    starts: list[float] = []
    for k in range(contacts):
        t = max(starts[-1] + gap if starts else 0.0, starts[k - concurrency] + seconds if k >= concurrency else 0.0)
        if windows is not None and (cover := windows._cover(t)) is not None:
            t = cover[1]
        if t >= stop:
            return max(stop, max(starts, default=-seconds) + seconds), contacts - k
        starts.append(t)
    return (starts[-1] + seconds if starts else 0.0), 0


# -- simple cases, exactly -----------------------------------------------------------------------
@given(st.integers(1, 5000), st.integers(1, 300), st.integers(1, 900))
def test_without_windows_n_contacts_take_ceil_n_over_c_call_durations(n: int, c: int, d: int) -> None:
    f = run(n, concurrency=c, seconds=d)
    assert seconds_until_done(f) == math.ceil(n / c) * d
    assert (f.contacts_at_risk_of_stop, f.warnings) == (0, [])


def test_a_cps_limit_caps_the_start_rate() -> None:
    # 200 slots would finish 1000 one-minute calls in 5 minutes; at 2 calls/s the starts take 500 s.
    assert seconds_until_done(run(1000, concurrency=200, cps=2, seconds=60)) == 999 / 2 + 60
    # 100 slots at 2 calls/s: waves of 100 every 60 s, each spread over 49.5 s.
    assert seconds_until_done(run(1000, concurrency=100, cps=2, seconds=60)) == 9 * 60 + 99 / 2 + 60


def test_concurrency_still_binds_under_a_loose_cps_limit() -> None:
    # Waves of 10 every 60 s, each spread over 0.9 s by the 10 calls/s pace.
    assert seconds_until_done(run(35, concurrency=10, cps=10, seconds=60)) == pytest.approx(3 * 60 + 0.4 + 60)


def test_nothing_left_is_done_now_and_calls_in_progress_are_half_way_through() -> None:
    assert run(0).estimated_completion_at == NOW
    assert seconds_until_done(run(0, in_progress=7, concurrency=3, seconds=80)) == 40


def test_calls_in_progress_hold_their_slots() -> None:
    # 2 slots, 1 busy until 30 s: contacts start at 0 (free slot) and 30 (then 60, 90, ...).
    assert seconds_until_done(run(3, concurrency=2, in_progress=1, seconds=60)) == 120


def test_a_scheduled_start_shifts_everything() -> None:
    f = run(4, concurrency=2, seconds=60, start_at=NOW + timedelta(hours=1))
    assert seconds_until_done(f) == 3600 + 120


def test_pending_retries_start_when_due() -> None:
    due = [NOW + timedelta(minutes=30), NOW + timedelta(minutes=30), NOW + timedelta(minutes=45)]
    assert seconds_until_done(run(0, retries=due, concurrency=2, seconds=60)) == 45 * 60 + 60
    # A retry already due goes first, alongside the first attempts.
    assert seconds_until_done(run(1, retries=[NOW - timedelta(hours=1)], concurrency=2, seconds=60)) == 60


# -- windows and stopAt --------------------------------------------------------------------------
def test_no_call_starts_inside_a_window_and_calls_in_progress_finish() -> None:
    # One slot, one-minute calls, a pause from minute 10 to 20: 10 calls, then 5 more after it.
    f = run(15, windows=Windows([(600, 1200)]))
    assert seconds_until_done(f) == 1200 + 5 * 60
    # A call starting just before the window runs through it.
    assert seconds_until_done(run(1, windows=Windows([(30, 3600)]))) == 60


def test_a_retry_due_inside_a_window_waits_for_its_end() -> None:
    f = run(0, retries=[NOW + timedelta(minutes=15)], windows=Windows([(600, 1200)]))
    assert seconds_until_done(f) == 1200 + 60


def test_contacts_stop_at_cuts_off_are_counted_and_warned_about() -> None:
    f = run(10, seconds=60, stop_after=300)
    assert f.contacts_at_risk_of_stop == 5
    assert f.estimated_completion_at == NOW + timedelta(seconds=300)
    assert len(f.warnings) == 1
    assert "5 contacts" in f.warnings[0]
    assert "stopAt" in f.warnings[0]


def test_a_window_up_to_stop_at_cuts_off_everything_after_it() -> None:
    f = run(30, windows=Windows([(600, 7200)]), stop_after=3600, retries=[NOW + timedelta(minutes=20)])
    assert f.contacts_at_risk_of_stop == 20 + 1


def test_calls_started_before_stop_at_may_end_after_it() -> None:
    f = run(2, concurrency=2, seconds=600, stop_after=60)
    assert (seconds_until_done(f), f.contacts_at_risk_of_stop, f.warnings) == (600, 0, [])


def test_a_gate_that_never_opens_gives_no_estimate() -> None:
    f = run(5, windows=Windows([(0, 1e10)]))
    assert f.estimated_completion_at is None
    assert f.warnings


def test_with_the_real_pause_schedule_across_a_lunch_window_in_paris() -> None:
    windows = {"monday": [{"startAt": {"hour": 12, "minute": 0}, "endAt": {"hour": 14, "minute": 0}}]}
    schedule = PauseSchedule.from_windows(windows, "Europe/Paris")
    # 08:00Z is 09:00 in Paris: 3 hours of one-minute calls before lunch, the rest from 14:00.
    f = run(300, windows=schedule)
    assert f.estimated_completion_at == datetime(2025, 3, 3, 13, 0, tzinfo=UTC) + timedelta(minutes=120)


# -- expected retries ----------------------------------------------------------------------------
def test_expected_fixed_delay_retries_extend_the_estimate() -> None:
    strategy = {"type": "fixed_delay", "delayMinutes": 10, "maxRetries": 2}
    # 10 calls end at 60 s; half come back 10 minutes later (5), then half of those (2).
    f = run(10, concurrency=10, seconds=60, retry_strategy=strategy, unreached_share=0.5)
    assert seconds_until_done(f) == 60 + 600 + 60 + 600 + 60
    assert seconds_until_done(run(10, concurrency=10, seconds=60, retry_strategy=strategy)) == 60


def test_expected_scheduled_retries_wait_for_their_dates() -> None:
    strategy = {"type": "scheduled", "retryDates": ["2025-03-04T08:00:00Z"]}
    f = run(4, concurrency=4, seconds=60, retry_strategy=strategy, unreached_share=0.25)
    assert seconds_until_done(f) == 86400 + 60


def test_expected_retries_due_after_stop_at_are_not_contacts_at_risk() -> None:
    # Outcomes never schedule a retry at or after stopAt: those contacts fail, they are not skipped.
    strategy = {"type": "fixed_delay", "delayMinutes": 60, "maxRetries": 1}
    f = run(10, concurrency=10, seconds=60, retry_strategy=strategy, unreached_share=1.0, stop_after=1800)
    assert (seconds_until_done(f), f.contacts_at_risk_of_stop) == (60, 0)


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"cps": 0}, "calls_per_second"),
        ({"seconds": 0}, "mean_call_seconds"),
        ({"in_progress": -1}, "negative"),
        ({"unreached_share": 1.5}, "unreached_share"),
    ],
)
def test_nonsense_limits_are_refused(bad: dict[str, float], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        run(1, **bad)  # type: ignore[arg-type]


# -- properties ----------------------------------------------------------------------------------
window_ranges = st.lists(
    st.tuples(st.integers(0, 20_000), st.integers(1, 5_000)).map(lambda p: (float(p[0]), float(p[0] + p[1]))),
    max_size=6,
)
limits = st.fixed_dictionaries(
    {
        "concurrency": st.integers(1, 12),
        "cps": st.one_of(st.none(), st.sampled_from([0.05, 0.2, 0.5, 1.0, 4.0])),
        "seconds": st.sampled_from([15.0, 60.0, 90.0, 300.0]),
    }
)


@settings(max_examples=300)
@given(st.integers(0, 80), limits, window_ranges, st.one_of(st.none(), st.integers(1, 40_000)))
def test_the_wave_model_matches_a_call_by_call_simulation(
    n: int, lim: dict[str, float], ranges: list[tuple[float, float]], stop: int | None
) -> None:
    windows = Windows(ranges) if ranges else None
    expected_end, expected_cut = call_by_call(
        n, int(lim["concurrency"]), lim["cps"], lim["seconds"], windows, math.inf if stop is None else stop
    )
    f = run(n, windows=windows, stop_after=stop, **lim)  # type: ignore[arg-type]
    assert f.contacts_at_risk_of_stop == expected_cut
    assert seconds_until_done(f) == pytest.approx(expected_end, abs=1e-3)


retry_dues = st.lists(st.integers(-600, 30_000).map(lambda s: NOW + timedelta(seconds=s)), max_size=8)


def worse_or_equal(a: Forecast, b: Forecast) -> bool:
    """``a`` skips more contacts than ``b``, or as many and ends no sooner. With a stopAt cutting
    work off, finishing later can be the price of skipping fewer, so the end alone is not ordered."""
    if a.contacts_at_risk_of_stop != b.contacts_at_risk_of_stop:
        return a.contacts_at_risk_of_stop > b.contacts_at_risk_of_stop
    return seconds_until_done(a) >= seconds_until_done(b) - 1e-6


stops = st.one_of(st.none(), st.integers(1, 40_000))


@given(st.integers(0, 60), st.integers(0, 5), limits, window_ranges, retry_dues, stops)
def test_more_contacts_never_finish_sooner_nor_risk_fewer(
    n: int, busy: int, lim: dict[str, float], ranges: list[tuple[float, float]], dues: list[datetime], stop: int | None
) -> None:
    args = {"windows": Windows(ranges), "stop_after": stop, "in_progress": busy, "retries": dues, **lim}
    fewer, more = run(n, **args), run(n + 1, **args)  # type: ignore[arg-type]
    assert worse_or_equal(more, fewer)
    if stop is None:
        assert seconds_until_done(more) >= seconds_until_done(fewer) - 1e-6


@given(st.integers(0, 60), st.integers(0, 5), limits, window_ranges, retry_dues, stops)
def test_more_concurrency_never_finishes_later_nor_risks_more(
    n: int, busy: int, lim: dict[str, float], ranges: list[tuple[float, float]], dues: list[datetime], stop: int | None
) -> None:
    c = int(lim.pop("concurrency"))
    args = {"windows": Windows(ranges), "stop_after": stop, "in_progress": busy, "retries": dues, **lim}
    lower, higher = run(n, concurrency=c, **args), run(n, concurrency=c + 1, **args)  # type: ignore[arg-type]
    assert worse_or_equal(lower, higher)
    if stop is None:
        assert seconds_until_done(higher) <= seconds_until_done(lower) + 1e-6
