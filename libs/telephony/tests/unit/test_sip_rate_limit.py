"""Calls-per-second limiter on a fake clock (no timing in tests)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from callcast_telephony.sip.rate import CallRateLimiter

pytestmark = pytest.mark.unit


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_calls_at_the_same_instant_get_evenly_spaced_slots() -> None:
    clock = FakeClock()
    limiter = CallRateLimiter(4, clock=clock, sleep=clock.sleep)
    assert [limiter.reserve() for _ in range(5)] == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])


def test_a_quiet_spell_does_not_bank_more_than_the_burst() -> None:
    clock = FakeClock()
    limiter = CallRateLimiter(2, burst=3, clock=clock, sleep=clock.sleep)
    assert limiter.reserve() == 0.0
    clock.now += 60.0  # a minute without calls
    # Three may go at once, then one every 0.5 s.
    assert [limiter.reserve() for _ in range(5)] == pytest.approx([0.0, 0.0, 0.0, 0.5, 1.0])


def test_calls_slower_than_the_limit_never_wait() -> None:
    clock = FakeClock()
    limiter = CallRateLimiter(10, clock=clock, sleep=clock.sleep)
    for _ in range(20):
        assert limiter.reserve() == 0.0
        clock.now += 0.15


def test_acquire_sleeps_until_the_slot_and_n_calls_span_n_minus_1_intervals() -> None:
    clock = FakeClock()
    limiter = CallRateLimiter(5, clock=clock, sleep=clock.sleep)
    start = clock.now

    async def run() -> list[float]:
        granted: list[float] = []
        for _ in range(11):
            await limiter.acquire()
            granted.append(clock.now)
        return granted

    granted = asyncio.run(run())
    assert granted[-1] - start == pytest.approx(10 / 5)
    gaps = [b - a for a, b in itertools.pairwise(granted)]
    assert gaps == pytest.approx([0.2] * 10)


@pytest.mark.parametrize(("cps", "burst", "match"), [(0, 1, "max_cps"), (-1, 1, "max_cps"), (1, 0, "burst")])
def test_nonsense_limits_are_rejected(cps: float, burst: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        CallRateLimiter(cps, burst=burst)


async def test_a_call_called_off_while_it_waits_gives_its_slot_to_the_next() -> None:
    clock = FakeClock()
    never = asyncio.Event()

    async def sleep_until_cancelled(seconds: float) -> None:
        await never.wait()

    limiter = CallRateLimiter(4, clock=clock, sleep=sleep_until_cancelled)
    assert await limiter.acquire() == 0.0  # the first call goes at once
    waiting = asyncio.ensure_future(limiter.acquire())  # the second waits 0.25 s ...
    await asyncio.sleep(0)
    waiting.cancel()  # ... and is called off
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert limiter.reserve() == pytest.approx(0.25)  # the next call takes that slot, not 0.5 s
