"""What the user agent keeps for finished calls while their transactions linger (Timer M for the
INVITE, Timer K for the BYE): no parsed SIP message, so a full garbage collection does not walk
thousands of them at a sustained setup rate (docs/benchmarks.md, "setup")."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
from types import UnionType

import pytest

from callcast_stack.sipp import SippCallee
from callcast_telephony.sip import SipUserAgent
from callcast_telephony.sip.message import SipMessage
from callcast_telephony.sip.transaction import ClientTransaction

pytestmark = pytest.mark.integration

CALLS = 40


def _alive(kind: type | UnionType) -> int:
    return sum(isinstance(obj, kind) for obj in gc.get_objects())


async def test_finished_calls_leave_no_parsed_message_behind_while_their_transactions_linger(
    tmp_path: Path,
) -> None:
    async with (
        SippCallee("answer", log_dir=tmp_path, rtp_echo=False) as callee,
        SipUserAgent(trunk=callee.address) as ua,
    ):

        async def call(i: int) -> None:
            result = await ua.invite(f"+2126{i:08d}", "+212500000000", ring_timeout=5.0)
            assert result.call is not None, result
            await result.call.hangup()
            assert result.call.bye_status == 200

        await asyncio.gather(*(call(i) for i in range(CALLS)))
        gc.collect()
        lingering = _alive(ClientTransaction)
        messages = _alive(SipMessage)
    assert lingering >= CALLS  # the INVITEs are still in Timer M (32 s) ...
    assert messages == 0  # ... but hold only bytes and keys
