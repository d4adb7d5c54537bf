"""A dialer cut off from NATS mid-call, against a real NATS JetStream and SIPp.

Dialer A reaches NATS through a TCP proxy the test cuts; dialer B is connected directly and gets
A's command when its ack wait runs out. Short of the lease B must leave the live call alone; past
the lease B ends the attempt (``dialer_lost``) and A, back, must hang up without writing.
"""

from __future__ import annotations

import asyncio

import pytest
from dialer_test_kit import (
    dialer,
    ended_of,
    history,
    nats_cut_proxy,
    put_prompt,
    queue_dial_command,
    wait_answered,
    wait_ended,
    wait_queue_empty,
)
from nats.js import JetStreamContext

from callcast_contracts.events import CallAttemptStarted, CallEnded, CallStillLive
from callcast_dialer.entrypoints.dialer_settings import DialerSettings
from callcast_dialer.handlers import DialHandler
from callcast_runtime.messaging import EventStore
from callcast_stack.sipp import SippCallee

pytestmark = pytest.mark.integration

# Fast clocks: a command comes back 2 s after its dialer went quiet; an attempt is lost after 8 s
# without an event; a live call shows an event at least every 0.5 s.
FAST = DialerSettings(max_calls=2, ack_wait_s=2.0, heartbeat_s=0.5, lease_s=8.0, drain_timeout_s=5.0)


async def _wait_result(handler: DialHandler, result: str, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while handler.results[result] == 0:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no delivery ended as {result!r}: {dict(handler.results)}")
        await asyncio.sleep(0.05)


async def test_call_of_a_dialer_cut_off_shorter_than_the_lease_is_left_alone_and_completes(
    nats_url: str, callee: SippCallee, js: JetStreamContext
) -> None:
    events = EventStore(js)
    audio = await put_prompt(js, seconds=9.0)
    async with (
        nats_cut_proxy(nats_url) as proxy,
        dialer(nats_url=proxy.url, callee=callee, settings=FAST, instance_id="dialer-a") as a,
    ):
        attempt = await queue_dial_command(events, audio)
        started = await wait_answered(events, attempt)
        assert isinstance(started[0].envelope.data, CallAttemptStarted)
        assert started[0].envelope.data.dialer_id == "dialer-a"
        async with dialer(nats_url=nats_url, callee=callee, settings=FAST, instance_id="dialer-b") as b:
            proxy.cut()
            # Longer than the ack wait (B gets the command), shorter than the lease.
            await _wait_result(b.handler, "still_live", timeout=FAST.ack_wait_s * 3)
            await asyncio.sleep(4.0 - FAST.ack_wait_s)
            proxy.heal()
            found = await wait_ended(events, attempt, timeout=30.0)
            await wait_queue_empty(js)
            assert b.handler.results["dialled"] == 0
            assert b.handler.results["settled_orphan"] == 0
        assert a.handler.results["dialled"] == 1

    types = [e.envelope.type for e in found]
    assert types[-1] == "CallEnded", types
    assert types.count("CallEnded") == 1, types
    (ended,) = ended_of(found)
    assert ended.outcome == "completed", ended.outcome_reason
    heartbeats = [e for e in found if isinstance(e.envelope.data, CallStillLive)]
    assert heartbeats, "a 9 s prompt with no other event must have had heartbeats"
    # Heartbeats only fill silences: at most one per heartbeat period of the call.
    assert len(heartbeats) <= 9.0 / FAST.heartbeat_s + 2
    counts = await callee.wait_for_counts(successful=1)
    assert counts.created == 1, counts
    assert counts.successful == 1, counts


async def test_a_dialer_cut_off_past_the_lease_hangs_up_before_its_attempt_is_settled_and_appends_nothing(
    nats_url: str, callee: SippCallee, js: JetStreamContext
) -> None:
    events = EventStore(js)
    audio = await put_prompt(js, seconds=40.0)
    async with (
        nats_cut_proxy(nats_url) as proxy,
        dialer(nats_url=proxy.url, callee=callee, settings=FAST, instance_id="dialer-a") as a,
    ):
        attempt = await queue_dial_command(events, audio)
        await wait_answered(events, attempt)
        async with dialer(nats_url=nats_url, callee=callee, settings=FAST, instance_id="dialer-b") as b:
            proxy.cut()
            settled = await wait_ended(events, attempt, timeout=FAST.lease_s + FAST.ack_wait_s * 4)
            assert b.handler.results["settled_orphan"] == 1, dict(b.handler.results)
            # A gave the call up by itself (no durable append for lease - heartbeat) before B
            # could settle it: never two live calls for one attempt, even while cut off.
            assert a.handler.results["lease_lost"] == 1, dict(a.handler.results)
            proxy.heal()
            await wait_queue_empty(js)
            assert b.handler.results["dialled"] == 0
        # A hung up: SIPp's call ends with our BYE, long before the 40 s prompt would.
        counts = await callee.wait_for_counts(successful=1, timeout=10.0)
        after = await history(events, attempt)

    assert [e.seq for e in after] == [e.seq for e in settled], "A appended after the attempt was settled"
    (ended,) = ended_of(after)
    assert isinstance(after[-1].envelope.data, CallEnded)
    assert ended.outcome == "failed"
    assert (ended.outcome_reason or "").startswith("dialer_lost"), ended.outcome_reason
    assert counts.created == 1, counts
    assert counts.successful == 1, counts
