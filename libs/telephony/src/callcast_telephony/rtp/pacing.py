"""Frame pacing on absolute deadlines.

Frame *n* is due at ``t0 + n * ptime`` on the monotonic clock. Sleeping "20 ms" after each send
would accumulate every wake-up delay (the event loop is always a little late), so a 10 s prompt
would stretch and the far end's jitter buffer would underrun. Computing each deadline from the
start time keeps the long-run rate exact: a late wake-up only delays that one frame, and the next
sleep is shorter to make up for it.

If the loop stalls for longer than ``max_lag`` (GC pause, CPU starvation), the schedule is
re-anchored instead of bursting every overdue frame back-to-back: a burst would overflow small
jitter buffers, while a one-off shift is absorbed as a single gap.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

FRAME_SECONDS = 0.020
SAMPLES_PER_FRAME = 160  # 20 ms at 8 kHz
FRAME_BYTES = 160  # G.711: one byte per sample


def frame_deadline(t0: float, n: int, ptime: float = FRAME_SECONDS) -> float:
    """When frame ``n`` (0-based) is due. Multiplication, never accumulation: no float drift."""
    return t0 + n * ptime


@dataclass
class LatenessStats:
    count: int = 0
    total: float = 0.0
    maximum: float = 0.0

    def add(self, lateness: float) -> None:
        self.count += 1
        self.total += lateness
        self.maximum = max(self.maximum, lateness)

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0


class LatenessHistogram:
    """Per-frame lateness in 0.1 ms bins (the last bin collects everything from 1 s on): cheap
    enough to keep for every frame of every call, precise enough for p50/p99 in milliseconds."""

    BIN = 0.0001
    BINS = 10_000

    def __init__(self) -> None:
        self.counts = [0] * (self.BINS + 1)
        self.count = 0
        self.maximum = 0.0

    def add(self, lateness: float) -> None:
        index = int(lateness * 10_000)
        self.counts[index if index < self.BINS else self.BINS] += 1
        self.count += 1
        if lateness > self.maximum:
            self.maximum = lateness

    def counted(self, count: int, maximum: float) -> None:
        """``count`` values were added to :attr:`counts` directly (hot loops inline the bin)."""
        self.count += count
        if maximum > self.maximum:
            self.maximum = maximum

    def reset(self) -> None:
        self.counts = [0] * (self.BINS + 1)
        self.count = 0
        self.maximum = 0.0

    def percentile(self, fraction: float) -> float:
        """Upper edge of the bin holding the ``fraction`` quantile, in seconds (0 if empty)."""
        if not self.count:
            return 0.0
        wanted = max(1, math.ceil(fraction * self.count))
        seen = 0
        for index, n in enumerate(self.counts):
            seen += n
            if seen >= wanted:
                return min((index + 1) * self.BIN, self.maximum)
        return self.maximum


class FramePacer:
    def __init__(
        self,
        ptime: float = FRAME_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        max_lag: float = 0.1,
    ) -> None:
        self.ptime = ptime
        self._clock = clock
        self._sleep = sleep
        self.max_lag = max_lag
        self.t0 = 0.0
        self.resyncs = 0
        self.lateness = LatenessStats()

    def start(self, t0: float | None = None) -> float:
        self.t0 = self._clock() if t0 is None else t0
        return self.t0

    def deadline(self, n: int) -> float:
        return frame_deadline(self.t0, n, self.ptime)

    async def wait_for_frame(self, n: int) -> float:
        """Sleep until frame ``n`` is due; return how late we woke (seconds, >= 0)."""
        deadline = self.deadline(n)
        delay = deadline - self._clock()
        if delay > 0:
            await self._sleep(delay)
        lateness = max(0.0, self._clock() - deadline)
        if lateness > self.max_lag:
            self.t0 += lateness  # re-anchor: frame n is "on time" now, later frames follow it
            self.resyncs += 1
        self.lateness.add(lateness)
        return lateness
