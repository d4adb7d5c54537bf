"""Calls-per-second limit for one trunk: carriers reject (503/403) or drop INVITEs beyond the
CPS their contract allows, so the user agent spaces first INVITEs itself.

A generic cell rate algorithm (a token bucket kept as one timestamp): each call is granted a
slot ``1/max_cps`` after the previous one; up to ``burst`` calls may go at once after a quiet
spell. Slots are handed out in the order ``acquire()`` was called. The clock and sleep are
injectable for tests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class CallRateLimiter:
    def __init__(
        self,
        max_cps: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if max_cps <= 0:
            raise ValueError("max_cps must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.interval = 1.0 / max_cps
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tat: float | None = None  # theoretical arrival time of the next call

    def reserve(self) -> float:
        """Take the next slot; return how long to wait for it (0 if it is now)."""
        now = self._clock()
        tat = now if self._tat is None else max(self._tat, now)
        slot = max(now, tat - (self.burst - 1) * self.interval)
        self._tat = tat + self.interval
        return slot - now

    async def acquire(self) -> float:
        """Wait for this call's turn; return the time waited. A wait that is cancelled (the call
        was called off) gives its slot back when no later call has taken one since."""
        delay = self.reserve()
        if delay > 0:
            granted = self._tat
            try:
                await self._sleep(delay)
            except asyncio.CancelledError:
                if self._tat == granted and granted is not None:
                    self._tat = granted - self.interval
                raise
        return delay
