"""One pacing timer for every RTP stream of an event loop.

A task per call that sleeps until each frame's deadline costs one coroutine resume, one timer and
one heap operation per frame per call: with hundreds of calls the event loop spends more on waking
tasks than on sending packets. Here all streams share one timer. Time is cut into slots (1 ms by
default) and every stream starts on a slot boundary, so with a ptime that is a whole number of
slots every deadline ``t0 + n x ptime`` falls exactly on a slot: one wake-up sends all frames of
that slot, and there are at most ``ptime / slot`` wake-ups per frame interval however many calls
run.

A new stream starts on the least loaded slot of the next frame interval (so at most one ptime
later than asked): streams started together — a campaign launch, a test — are spread over the
interval instead of all sending in the same millisecond, which would make the last packet of the
batch late by the time it takes to send the whole batch.

Deadlines are absolute (multiplication from ``t0``, never accumulated), so wake-up delays never
add up to drift. If the loop stalls by more than ``max_lag`` the stream's schedule moves forward
by whole frames (keeping its slot) instead of bursting every overdue frame back-to-back.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import time
import weakref
from collections.abc import Callable
from typing import Protocol

from .pacing import FRAME_SECONDS, LatenessHistogram

DEFAULT_SLOT = 0.001
# uvloop rounds timer delays to whole milliseconds and runs a delay under 0.5 ms as call_soon
# (a busy loop until the deadline): a frame due within this much is sent now instead, at most
# half a millisecond early — far inside any receiver's jitter buffer.
EARLY_TOLERANCE = 0.0005


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


Scheduler = Callable[[float, Callable[[], None]], TimerHandle]
"""``schedule(when, callback)``: call ``callback`` at ``when`` on the pacing clock."""


class PacedStream:
    """One playback: ``send(n)`` is called for frames ``0 .. frames-1`` at ``t0 + n x ptime``.

    ``send`` returns False to end the stream early (e.g. the socket closed). The stream's
    ``done`` callback runs once, when it ends for any reason.
    """

    __slots__ = (
        "active",
        "frames",
        "last_send",
        "late_max",
        "late_total",
        "max_lag",
        "n",
        "on_done",
        "phase",
        "ptime",
        "resyncs",
        "send",
        "sent",
        "t0",
    )

    def __init__(
        self,
        send: Callable[[int], bool],
        frames: int,
        *,
        ptime: float = FRAME_SECONDS,
        max_lag: float = 0.1,
        on_done: Callable[[PacedStream], None] | None = None,
    ) -> None:
        self.send = send
        self.frames = frames
        self.ptime = ptime
        self.max_lag = max_lag
        self.t0 = 0.0
        self.n = 0  # next frame to send
        self.sent = 0
        self.last_send = 0.0
        self.late_total = 0.0
        self.late_max = 0.0
        self.resyncs = 0
        self.phase = -1
        self.active = False
        self.on_done = on_done

    def deadline(self, n: int) -> float:
        return self.t0 + n * self.ptime

    @property
    def mean_lateness(self) -> float:
        return self.late_total / self.sent if self.sent else 0.0


class MediaClock:
    """The shared pacing wheel; :meth:`for_running_loop` gives the one of the current loop."""

    _per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, MediaClock] = weakref.WeakKeyDictionary()

    def __init__(
        self,
        *,
        slot: float = DEFAULT_SLOT,
        clock: Callable[[], float] = time.monotonic,
        schedule: Scheduler | None = None,
    ) -> None:
        if slot <= 0:
            raise ValueError("slot must be positive")
        self.slot = slot
        self._clock = clock
        self._schedule = schedule or _loop_scheduler(clock)
        self._buckets: dict[int, list[PacedStream]] = {}
        self._heap: list[int] = []  # slot indices that have a bucket
        self._timer: TimerHandle | None = None
        self._timer_slot: int | None = None
        self._phase_load: dict[int, list[int]] = {}  # slots per frame -> streams per phase
        self.lateness = LatenessHistogram()
        self.wakeups = 0
        self.frames_sent = 0

    @classmethod
    def for_running_loop(cls) -> MediaClock:
        loop = asyncio.get_running_loop()
        clock = cls._per_loop.get(loop)
        if clock is None:
            clock = cls._per_loop[loop] = cls()
        return clock

    @property
    def active_streams(self) -> int:
        return sum(len(b) for b in self._buckets.values())

    # -- streams -----------------------------------------------------------------------------

    def start(self, stream: PacedStream) -> float:
        """Schedule ``stream`` from the next free slot; returns its ``t0`` (frame 0's deadline)."""
        if stream.frames <= 0:
            stream.sent = 0
            self._finish(stream)
            return stream.t0
        now = self._clock()
        first = math.ceil((now + EARLY_TOLERANCE) / self.slot)
        per_frame = self._slots_per_frame(stream.ptime)
        if per_frame:
            load = self._phase_load.setdefault(per_frame, [0] * per_frame)
            best = min(range(per_frame), key=lambda k: (load[(first + k) % per_frame], k))
            first += best
            stream.phase = first % per_frame
            load[stream.phase] += 1
        stream.t0 = first * self.slot
        stream.n = 0
        stream.active = True
        self._insert(first, stream)
        return stream.t0

    def stop(self, stream: PacedStream) -> None:
        """End ``stream`` now (its ``on_done`` runs); nothing happens if it already ended."""
        if not stream.active:
            return
        for index, bucket in self._buckets.items():
            if stream in bucket:
                bucket.remove(stream)
                if not bucket:
                    del self._buckets[index]  # its heap entry is skipped when popped
                break
        self._finish(stream)

    def _slots_per_frame(self, ptime: float) -> int:
        ratio = ptime / self.slot
        whole = round(ratio)
        return whole if whole >= 1 and abs(ratio - whole) < 1e-9 else 0

    def _finish(self, stream: PacedStream) -> None:
        stream.active = False
        if stream.phase >= 0:
            self._phase_load[self._slots_per_frame(stream.ptime)][stream.phase] -= 1
            stream.phase = -1
        if stream.on_done is not None:
            stream.on_done(stream)

    def _slot_of(self, deadline: float) -> int:
        return math.ceil(deadline / self.slot - 1e-6)

    def _insert(self, index: int, stream: PacedStream) -> None:
        bucket = self._buckets.get(index)
        if bucket is None:
            self._buckets[index] = [stream]
            heapq.heappush(self._heap, index)
        else:
            bucket.append(stream)
        if self._timer_slot is None or index < self._timer_slot:
            self._arm(index)

    def _arm(self, index: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_slot = index
        self._timer = self._schedule(index * self.slot, self._wake)

    # -- the wheel ---------------------------------------------------------------------------

    def _wake(self) -> None:
        self._timer = None
        self._timer_slot = None
        self.wakeups += 1
        self.run_due(self._clock())

    def run_due(self, now: float) -> None:
        """Send every frame due by ``now`` and arm the timer for the next one."""
        heap = self._heap
        buckets = self._buckets
        horizon = now + EARLY_TOLERANCE
        counts = self.lateness.counts
        top = LatenessHistogram.BINS
        slot = self.slot
        clock = self._clock
        sent = 0
        worst = 0.0
        while heap and heap[0] * slot <= horizon:
            index = heapq.heappop(heap)
            bucket = buckets.pop(index, None)
            if not bucket:
                continue
            for stream in bucket:
                if not stream.active:
                    continue
                n = stream.n
                now = clock()  # per frame: the batch itself takes time, and that is lateness too
                lateness = now - (stream.t0 + n * stream.ptime)
                if lateness > stream.max_lag:
                    skip = math.floor(lateness / stream.ptime) * stream.ptime
                    stream.t0 += skip  # frame n is due within the last ptime now: one gap
                    stream.resyncs += 1
                    lateness -= skip
                if lateness < 0.0:
                    lateness = 0.0
                if not stream.send(n):
                    self._finish(stream)
                    continue
                sent += 1
                stream.sent += 1
                stream.late_total += lateness
                if lateness > stream.late_max:
                    stream.late_max = lateness
                if lateness > worst:
                    worst = lateness
                bin_ = int(lateness * 10_000)
                counts[bin_ if bin_ < top else top] += 1
                n += 1
                stream.n = n
                if n >= stream.frames:
                    stream.last_send = clock()
                    self._finish(stream)
                    continue
                stream.last_send = now
                # the slot of frame n's deadline (ceil, forgiving float noise)
                nxt = math.ceil((stream.t0 + n * stream.ptime) / slot - 1e-6)
                later = buckets.get(nxt)
                if later is None:
                    buckets[nxt] = [stream]
                    heapq.heappush(heap, nxt)
                else:
                    later.append(stream)
            now = clock()
            horizon = now + EARLY_TOLERANCE
        self.lateness.counted(sent, worst)
        self.frames_sent += sent
        while heap and heap[0] not in buckets:
            heapq.heappop(heap)  # buckets emptied by stop()
        if heap:
            self._arm(heap[0])

    def _insert_quiet(self, index: int, stream: PacedStream) -> None:
        # Inside run_due the timer is armed once at the end, not per stream.
        bucket = self._buckets.get(index)
        if bucket is None:
            self._buckets[index] = [stream]
            heapq.heappush(self._heap, index)
        else:
            bucket.append(stream)


def _loop_scheduler(clock: Callable[[], float]) -> Scheduler:
    def schedule(when: float, callback: Callable[[], None]) -> TimerHandle:
        loop = asyncio.get_running_loop()
        return loop.call_later(max(0.0, when - clock()), callback)

    return schedule
