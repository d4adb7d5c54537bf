"""The keypad of one call: presses in order, type-ahead kept, a barge-in wait that takes nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from callcast_dialer.keypad import Keypad, KeyPress
from callcast_telephony.rtp import ReceivedDigit
from callcast_telephony.sip import SipCall

pytestmark = pytest.mark.unit


@dataclass
class _Rtp:
    received_digits: list[ReceivedDigit] = field(default_factory=list)


@dataclass
class _Call:
    """What the keypad reads of a SipCall: the digit queue and the session's log of digits."""

    rtp: _Rtp = field(default_factory=_Rtp)
    dtmf: asyncio.Queue[str] = field(default_factory=asyncio.Queue)

    def press(self, digit: str, via: str = "rfc4733", at: float = 0.0) -> None:
        self.rtp.received_digits.append(ReceivedDigit(digit, via, at))
        self.dtmf.put_nowait(digit)


def _keypad(call: _Call) -> Keypad:
    return Keypad(cast(SipCall, cast(Any, call)))


async def test_presses_come_in_the_order_they_were_made_with_how_and_when_they_arrived() -> None:
    call = _Call()
    keypad = _keypad(call)
    call.press("1", "rfc4733", 10.0)
    call.press("#", "sip_info", 11.5)
    assert await keypad.next(0.1) == KeyPress("1", "rfc4733", 10.0)
    assert await keypad.next(0.1) == KeyPress("#", "sip_info", 11.5)


async def test_no_press_within_the_timeout_is_none() -> None:
    assert await _keypad(_Call()).next(0.01) is None


async def test_waiting_for_a_press_takes_nothing_so_the_key_that_stopped_a_prompt_is_read_next() -> None:
    call = _Call()
    keypad = _keypad(call)
    waiting = asyncio.ensure_future(keypad.wait_for_press())
    await asyncio.sleep(0)
    assert not waiting.done()
    call.press("5", at=3.0)
    await asyncio.wait_for(waiting, 1.0)
    await keypad.wait_for_press()  # a press is already waiting: returns at once
    assert await keypad.next(0.01) == KeyPress("5", "rfc4733", 3.0)
    assert await keypad.next(0.01) is None


async def test_a_cancelled_wait_loses_no_press() -> None:
    call = _Call()
    keypad = _keypad(call)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(keypad.wait_for_press(), 0.01)
    call.press("7")
    assert (await keypad.next(0.1) or KeyPress("?", None, None)).digit == "7"


async def test_a_digit_the_session_did_not_log_still_counts_without_its_origin() -> None:
    call = _Call()
    keypad = _keypad(call)
    call.dtmf.put_nowait("9")  # queued directly, not through the session's log
    assert await keypad.next(0.1) == KeyPress("9", None, None)
