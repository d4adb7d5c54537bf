"""Dialer capacity against a real NATS JetStream and SIPp: a dialer takes no more commands than
it has call slots, and several dialers share one work queue, each command dialled once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dialer_test_kit import (
    dialer,
    ended_of,
    put_prompt,
    queue_dial_command,
    sipp_callee,
    sipp_peak_dialogs,
    wait_ended,
    wait_queue_empty,
)
from nats.js import JetStreamContext

from callcast_contracts.events import CallAttemptStarted
from callcast_contracts.streams import DIAL_COMMANDS
from callcast_dialer.entrypoints.dialer_settings import DialerSettings
from callcast_dialer.entrypoints.events import DURABLE
from callcast_runtime.messaging import EventStore
from callcast_stack.sipp import SippCallee

pytestmark = pytest.mark.integration


@pytest.fixture
async def callee(tmp_path: Path) -> AsyncIterator[SippCallee]:
    sipp = sipp_callee(tmp_path, trace_messages=True)
    await sipp.start()
    yield sipp
    await sipp.stop()


async def test_a_dialer_runs_at_most_max_calls_and_leaves_the_rest_in_the_work_queue(
    nats_url: str, callee: SippCallee, js: JetStreamContext
) -> None:
    events = EventStore(js)
    settings = DialerSettings(max_calls=2, ack_wait_s=5.0, heartbeat_s=1.0, lease_s=5.0)
    audio = await put_prompt(js, seconds=2.0)
    attempts = [await queue_dial_command(events, audio) for _ in range(5)]
    peak_delivered = 0
    saw_full_with_a_backlog = False
    async with dialer(nats_url=nats_url, callee=callee, settings=settings, instance_id="dialer-cap") as one:
        ending = asyncio.gather(*(wait_ended(events, a, timeout=60.0) for a in attempts))
        while not ending.done():
            info = await js.consumer_info(DIAL_COMMANDS.name, DURABLE)
            peak_delivered = max(peak_delivered, info.num_ack_pending)
            # Two calls up, the other commands neither acked nor handed out: still in the queue.
            if info.num_ack_pending == 2 and info.num_pending >= 1:
                saw_full_with_a_backlog = True
            assert one.consumer.live_calls <= 2
            await asyncio.sleep(0.05)
        histories = await ending
        await wait_queue_empty(js)

    assert peak_delivered == 2, peak_delivered
    assert saw_full_with_a_backlog
    assert [ended_of(h)[0].outcome for h in histories] == ["completed"] * 5
    counts = await callee.wait_for_counts(successful=5)
    assert counts.created == 5, counts
    assert counts.successful == 5, counts
    assert sipp_peak_dialogs(callee) == 2


async def test_two_dialers_share_the_work_queue_and_dial_each_command_once(
    nats_url: str, callee: SippCallee, js: JetStreamContext
) -> None:
    events = EventStore(js)
    settings = DialerSettings(max_calls=2, ack_wait_s=5.0, heartbeat_s=1.0, lease_s=5.0)
    audio = await put_prompt(js, seconds=1.5)
    async with (
        dialer(nats_url=nats_url, callee=callee, settings=settings, instance_id="dialer-one") as one,
        dialer(nats_url=nats_url, callee=callee, settings=settings, instance_id="dialer-two") as two,
    ):
        attempts = [await queue_dial_command(events, audio) for _ in range(8)]
        histories = await asyncio.gather(*(wait_ended(events, a, timeout=60.0) for a in attempts))
        await wait_queue_empty(js)
        results = one.handler.results + two.handler.results

    by_dialer: Counter[str] = Counter()
    for found in histories:
        started = [e.envelope.data for e in found if isinstance(e.envelope.data, CallAttemptStarted)]
        assert len(started) == 1
        assert isinstance(found[0].envelope.data, CallAttemptStarted)
        by_dialer[started[0].dialer_id] += 1
        (ended,) = ended_of(found)
        assert ended.outcome == "completed", ended.outcome_reason
    assert set(by_dialer) == {"dialer-one", "dialer-two"}, by_dialer
    assert results["dialled"] == 8, results
    assert results["settled_orphan"] == 0, results
    counts = await callee.wait_for_counts(successful=8)
    assert counts.created == 8, counts
    assert counts.successful == 8, counts
