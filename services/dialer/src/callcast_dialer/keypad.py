"""The callee's key presses on one call, in the order they were pressed.

Keys pressed while a prompt plays are kept (type-ahead) for the next node that collects digits.
A barge-in waits for a press without taking it, so the key that stopped a prompt is still the
first key the dtmf node reads.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from callcast_telephony.sip import SipCall


@dataclass(frozen=True, slots=True)
class KeyPress:
    digit: str
    #: rfc4733 | sip_info; None when the session did not log how it arrived.
    via: str | None
    #: time.monotonic() when it arrived; None when unknown.
    at: float | None


class Keypad:
    def __init__(self, call: SipCall) -> None:
        self._call = call
        self._taken = 0
        self._buffer: deque[KeyPress] = deque()

    async def wait_for_press(self) -> None:
        """Return once a press is waiting (taking none)."""
        if self._buffer:
            return
        digit = await self._call.dtmf.get()
        self._buffer.append(self._press(digit))

    async def next(self, timeout: float) -> KeyPress | None:
        """The next press, or None when none comes within ``timeout`` seconds."""
        if not self._buffer:
            try:
                await asyncio.wait_for(self.wait_for_press(), timeout)
            except TimeoutError:
                return None
        return self._buffer.popleft()

    def _press(self, digit: str) -> KeyPress:
        # The n-th digit of the queue is the n-th entry of the session's own log.
        received = self._call.rtp.received_digits
        n, self._taken = self._taken, self._taken + 1
        if n < len(received) and received[n].digit == digit:
            return KeyPress(digit, received[n].via, received[n].at)
        return KeyPress(digit, None, None)
