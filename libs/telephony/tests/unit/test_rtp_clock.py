"""The shared pacing wheel on a fake clock: absolute deadlines, no drift, spread starts, resync."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

import pytest

from callcast_telephony.rtp.clock import MediaClock, PacedStream

pytestmark = pytest.mark.unit


class FakeLoop:
    """A clock plus a timer queue; every wake-up is ``oversleep`` late, like a busy loop, and
    every send costs ``send_cost`` of clock time."""

    def __init__(self, *, oversleep: float = 0.0, send_cost: float = 0.0) -> None:
        self.now = 1000.0
        self.oversleep = oversleep
        self.send_cost = send_cost
        self._timers: list[tuple[float, int, Callable[[], None], list[bool]]] = []
        self._ids = itertools.count()
        self.timers_armed = 0

    def clock(self) -> float:
        return self.now

    def schedule(self, when: float, callback: Callable[[], None]) -> Handle:
        cancelled = [False]
        self.timers_armed += 1
        heapq.heappush(self._timers, (when, next(self._ids), callback, cancelled))
        return Handle(cancelled)

    def run_until(self, until: float) -> None:
        while self._timers and self._timers[0][0] <= until:
            when, _, callback, cancelled = heapq.heappop(self._timers)
            if cancelled[0]:
                continue
            self.now = max(self.now, when + self.oversleep)
            callback()
        self.now = max(self.now, until)


class Handle:
    def __init__(self, cancelled: list[bool]) -> None:
        self._cancelled = cancelled

    def cancel(self) -> None:
        self._cancelled[0] = True


def make(loop: FakeLoop) -> MediaClock:
    return MediaClock(clock=loop.clock, schedule=loop.schedule)


class Recorder:
    def __init__(self, loop: FakeLoop, frames: int, *, fail_at: int | None = None) -> None:
        self.loop = loop
        self.sent: list[tuple[int, float]] = []
        self.fail_at = fail_at
        self.done = False
        self.stream = PacedStream(self.send, frames, on_done=self.finish)

    def send(self, n: int) -> bool:
        if n == self.fail_at:
            return False
        self.sent.append((n, self.loop.now))
        self.loop.now += self.loop.send_cost
        return True

    def finish(self, _: PacedStream) -> None:
        self.done = True


def test_frames_leave_on_absolute_deadlines_and_late_wakeups_do_not_accumulate() -> None:
    loop = FakeLoop(oversleep=0.0015, send_cost=0.00005)
    clock = make(loop)
    rec = Recorder(loop, 500)  # 10 s
    t0 = clock.start(rec.stream)
    loop.run_until(t0 + 11)
    assert rec.done
    assert len(rec.sent) == 500
    assert [n for n, _ in rec.sent] == list(range(500))
    # every frame is late by the oversleep only; a "sleep 20 ms" loop would be 500 x late
    lateness = [at - (t0 + n * 0.020) for n, at in rec.sent]
    assert max(lateness) == pytest.approx(0.0015, abs=1e-9)
    assert rec.stream.last_send - (t0 + 499 * 0.020) < 0.002
    assert rec.stream.resyncs == 0
    assert clock.lateness.count == 500
    assert clock.lateness.percentile(0.99) == pytest.approx(0.0015, abs=1e-4)  # 0.1 ms bins


def test_many_streams_share_one_timer_and_are_spread_over_the_frame_interval() -> None:
    loop = FakeLoop()
    clock = make(loop)
    recs = [Recorder(loop, 50) for _ in range(200)]
    asked = loop.now
    starts = [clock.start(r.stream) for r in recs]
    loop.run_until(max(starts) + 2)
    assert all(r.done and len(r.sent) == 50 for r in recs)
    # started in the same instant, they land on all 20 one-millisecond slots, 10 per slot
    slots = [round((s - min(starts)) / 0.001) for s in starts]
    assert sorted(set(slots)) == list(range(20))
    assert max(slots.count(k) for k in range(20)) == 10
    assert asked <= min(starts)
    assert max(starts) - asked <= 0.021
    # one wake-up per occupied slot, not one per frame: 50 frames x 20 slots
    assert clock.wakeups <= 50 * 20 + 1
    assert clock.frames_sent == 200 * 50


def test_a_long_stall_moves_the_schedule_by_whole_frames_instead_of_bursting() -> None:
    loop = FakeLoop()
    clock = make(loop)
    rec = Recorder(loop, 40)
    t0 = clock.start(rec.stream)
    loop.run_until(t0 + 9 * 0.020 + 1e-4)  # frames 0..9 on time
    assert len(rec.sent) == 10
    loop.now += 0.5  # the loop was blocked for half a second
    loop.run_until(loop.now + 0.1)
    after = [at for n, at in rec.sent if n >= 10]
    assert rec.stream.resyncs == 1
    # frame 10 goes at once; the following ones are 20 ms apart again, not back-to-back
    assert [round(b - a, 6) for a, b in itertools.pairwise(after[:4])] == [pytest.approx(0.02, abs=0.0011)] * 3
    assert all(b - a > 0.015 for a, b in itertools.pairwise(after))


def test_a_short_delay_catches_up_without_resync() -> None:
    loop = FakeLoop()
    clock = make(loop)
    rec = Recorder(loop, 20)
    t0 = clock.start(rec.stream)
    loop.run_until(t0 + 4 * 0.020 + 1e-4)
    loop.now += 0.05  # 50 ms late: under max_lag, so the overdue frames go now
    loop.run_until(t0 + 1)
    assert rec.stream.resyncs == 0
    assert [n for n, _ in rec.sent] == list(range(20))
    assert rec.sent[-1][1] == pytest.approx(t0 + 19 * 0.020)  # back on the original schedule


def test_stop_ends_a_stream_at_once_and_a_failing_send_ends_it_too() -> None:
    loop = FakeLoop()
    clock = make(loop)
    stopped, failing, other = Recorder(loop, 100), Recorder(loop, 100, fail_at=3), Recorder(loop, 10)
    t0 = max(clock.start(r.stream) for r in (stopped, failing, other))
    loop.run_until(t0 + 0.1)
    clock.stop(stopped.stream)
    assert stopped.done
    count = len(stopped.sent)
    loop.run_until(t0 + 1)
    assert len(stopped.sent) == count
    assert failing.done
    assert [n for n, _ in failing.sent] == [0, 1, 2]
    assert other.done
    assert len(other.sent) == 10
    assert clock.active_streams == 0
    clock.stop(stopped.stream)  # stopping twice is harmless


def test_an_empty_stream_finishes_immediately() -> None:
    loop = FakeLoop()
    clock = make(loop)
    rec = Recorder(loop, 0)
    clock.start(rec.stream)
    assert rec.done
    assert rec.sent == []


def test_a_ptime_that_is_not_whole_slots_still_paces_on_its_deadlines() -> None:
    loop = FakeLoop()
    clock = MediaClock(slot=0.003, clock=loop.clock, schedule=loop.schedule)
    rec = Recorder(loop, 30)
    t0 = clock.start(rec.stream)
    loop.run_until(t0 + 1)
    lateness = [at - (t0 + n * 0.020) for n, at in rec.sent]
    assert len(rec.sent) == 30
    assert min(lateness) >= -0.0005
    assert max(lateness) < 0.003
